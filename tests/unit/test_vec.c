/* The base library's containers (base/vec.h) and whole files (base/file.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/file.h"
#include "base/vec.h"

static void push_and_reserve(void **state)
{
	(void)state;
	VEC(int) v = { 0 };
	for (int i = 0; i < 1000; i++)
		assert_int_equal(vec_push(&v, i), 0);
	assert_int_equal(v.n, 1000);
	assert_true(v.cap >= 1000 && v.cap < 2048); /* doubling, not one by one */
	for (int i = 0; i < 1000; i++)
		assert_int_equal(v.v[i], i);
	size_t cap = v.cap;
	assert_int_equal(vec_reserve(&v, 10), 0); /* room enough: nothing moves */
	assert_int_equal(v.cap, cap);
	assert_int_equal(vec_reserve(&v, (size_t)-1 / 2), -ENOMEM); /* too big: refused, unchanged */
	assert_int_equal(v.n, 1000);
	assert_int_equal(v.v[999], 999);
	vec_free(&v);
	assert_null(v.v);
	assert_int_equal(v.n + v.cap, 0);
}

struct named { char name[32]; int x; };

static void sorted_by_name(void **state)
{
	(void)state;
	VEC(struct named) v = { 0 };
	static const char *const names[] = { "m", "c", "x", "a", "q", "c" };
	int fresh;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct named *e = vec_name_put(&v, names[i], &fresh);
		assert_non_null(e);
		assert_string_equal(e->name, names[i]);
		assert_int_equal(fresh, i != 5); /* "c" again: the same element */
		e->x = (int)i;
	}
	assert_int_equal(v.n, 5);
	for (size_t i = 1; i < v.n; i++)
		assert_true(strcmp(v.v[i - 1].name, v.v[i].name) < 0);
	assert_int_equal(((struct named *)vec_name_find(&v, "c"))->x, 5);
	assert_null(vec_name_find(&v, "b"));
	assert_int_equal(vec_name_del(&v, "m"), 1);
	assert_int_equal(vec_name_del(&v, "m"), 0);
	assert_int_equal(v.n, 4);
	assert_null(vec_name_find(&v, "m"));
	assert_non_null(vec_name_find(&v, "x"));
	/* a fresh element is zeroed but for its name */
	struct named *z = vec_name_put(&v, "zz", &fresh);
	assert_int_equal(z->x, 0);
	vec_free(&v);
}

static void whole_files(void **state)
{
	(void)state;
	char path[] = "/tmp/onlink-file-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	char *big = malloc(100001);
	memset(big, 'a', 100000);
	big[100000] = 0;
	assert_int_equal(file_replace(path, big, 0600), 0);
	char *back = file_read(path);
	assert_non_null(back);
	assert_string_equal(back, big);
	free(back);
	assert_int_equal(file_replace(path, "", 0600), 0);
	back = file_read(path);
	assert_string_equal(back, "");
	free(back);
	char tmp[64];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_int_equal(access(tmp, F_OK), -1); /* renamed, not left behind */
	unlink(path);
	assert_null(file_read(path));
	assert_int_equal(file_replace("/nonexistent/dir/f", "x", 0600), -ENOENT);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(push_and_reserve),
		cmocka_unit_test(sorted_by_name),
		cmocka_unit_test(whole_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
