/* Whole files: read into memory, and replaced atomically. */
#ifndef OL_FILE_H
#define OL_FILE_H

/* The file's bytes and a NUL (malloc'd), or NULL with errno set. */
char *file_read(const char *path);
/* Writes text to PATH.tmp, syncs it and renames it over path, so that a
 * reader sees the old file or the new one, never a part. 0 or negative
 * errno. */
int file_replace(const char *path, const char *text, unsigned mode);
#endif
