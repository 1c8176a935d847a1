/* Whole files: read into memory, and replaced atomically. */
#ifndef OL_FILE_H
#define OL_FILE_H

/* The file's bytes and a NUL (malloc'd), or NULL with errno set. */
char *file_read(const char *path);
/* Writes text to a new file of its own beside path (PATH.XXXXXX, made
 * with O_EXCL, mode less the umask set before the data, the old file's
 * group kept),
 * syncs it and renames it over path, so that a reader sees the old file
 * or the new one, never a part. 0 or negative errno. */
int file_replace(const char *path, const char *text, unsigned mode);
#endif
