/* base/file.c: a file replaced atomically never takes a name, an owner or
 * a mode someone else prepared. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "base/file.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/onlink-test-file-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static size_t entries(void)
{
	size_t n = 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

/* A stale PATH.tmp of another user, world-writable, and one that is a
 * link to a file elsewhere: neither is written, and the file is ours,
 * with the mode asked for, whatever the umask. */
static void stale_tmp_ignored(void **state)
{
	(void)state;
	char path[128], tmp[140], other[140];
	snprintf(path, sizeof(path), "%s/onlink.conf", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	snprintf(other, sizeof(other), "%s/elsewhere", dir);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
	assert_true(fd >= 0);
	close(fd);
	chmod(tmp, 0666);
	if (geteuid() == 0)
		assert_int_equal(chown(tmp, 65534, 65534), 0);
	mode_t um = umask(0);
	assert_int_equal(file_replace(path, "password \"secret\";\n", 0640), 0);
	umask(um);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(st.st_uid, geteuid());
	assert_int_equal(stat(tmp, &st), 0);
	assert_int_equal(st.st_size, 0); /* the stale file untouched */
	char *text = file_read(path);
	assert_non_null(text);
	assert_string_equal(text, "password \"secret\";\n");
	free(text);
	/* a link where a temporary file might be looked for */
	unlink(tmp);
	assert_int_equal(symlink(other, tmp), 0);
	assert_int_equal(file_replace(path, "second\n", 0600), 0);
	assert_int_equal(access(other, F_OK), -1);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* nothing left behind: the file and the stale link */
	assert_int_equal(entries(), 2);
}

/* A replaced file keeps its group (BIRD's, on a switch). */
static void group_kept(void **state)
{
	(void)state;
	char path[128];
	struct stat st;
	if (geteuid() != 0)
		skip();
	snprintf(path, sizeof(path), "%s/grouped", dir);
	assert_int_equal(file_replace(path, "a\n", 0640), 0);
	assert_int_equal(chown(path, 0, 65534), 0);
	assert_int_equal(file_replace(path, "b\n", 0640), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_gid, 65534);
}

/* An error leaves no temporary file. */
static void failure_leaves_nothing(void **state)
{
	(void)state;
	char path[160];
	snprintf(path, sizeof(path), "%s/no-such-dir/file", dir);
	assert_true(file_replace(path, "x", 0600) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(stale_tmp_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(group_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(failure_leaves_nothing, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
