/* The checked JSON builders (proto/json.h): a value that cannot be built
 * makes the whole answer NULL, never an answer with a piece missing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "proto/json.h"

static void pack_refuses_what_json_cannot_hold(void **state)
{
	(void)state;
	json_t *v = jpack("{s:s, s:i}", "name", "h1", "n", 3);
	assert_non_null(v);
	assert_string_equal(json_string_value(json_object_get(v, "name")), "h1");
	json_decref(v);
	assert_null(jpack("{s:s}", "name", (const char *)NULL)); /* no '?' */
	assert_null(jpack("{s:s}", "name", "\xff\xfe"));       /* not UTF-8 */
	v = jpack("{s:s?}", "name", (const char *)NULL);        /* '?': null */
	assert_non_null(v);
	assert_true(json_is_null(json_object_get(v, "name")));
	json_decref(v);
	/* a part that failed fails what holds it */
	assert_null(jpack("{s:o}", "inner", jpack("{s:s}", "x", "\xc3")));
}

static void append_poisons_the_array(void **state)
{
	(void)state;
	json_t *a = json_array();
	assert_int_equal(jappend(&a, json_integer(1)), 0);
	assert_int_equal(json_array_size(a), 1);
	assert_int_equal(jappend(&a, jpack("{s:s}", "x", "\xff")), -1);
	assert_null(a); /* freed, not one element short */
	/* later appends to it take nothing and leak nothing (ASan's leak check) */
	assert_int_equal(jappend(&a, json_string("later")), -1);
	assert_null(a);
	/* and the answer that holds it cannot be built either */
	assert_null(jpack("{s:s, s:o}", "reply", "status", "providers", a));
}

static void set_poisons_the_object(void **state)
{
	(void)state;
	json_t *o = json_object();
	assert_int_equal(jset(&o, "a", json_true()), 0);
	assert_int_equal(jset(&o, "b", json_string("\xe2\x82")), -1); /* cut UTF-8 */
	assert_null(o);
	assert_int_equal(jset(&o, "c", json_integer(2)), -1);
	assert_null(o);
	o = json_object();
	assert_int_equal(jset(&o, "\xff", json_true()), -1); /* a key not UTF-8 */
	assert_null(o);
}

static void egress_with_a_bad_name_is_no_answer(void **state)
{
	(void)state;
	struct ol_egress e = { .nslices = 2 };
	assert_int_equal(addr_parse("192.0.2.10", &e.addr), 0);
	strcpy(e.slices[0].host, "h1");
	e.slices[0].first = 1024, e.slices[0].last = 2047;
	strcpy(e.slices[1].host, "h\xff");
	e.slices[1].first = 2048, e.slices[1].last = 4095;
	/* before: {"address", "slices": [h1's]}, h2's slice silently gone */
	assert_null(egress_to_json(&e, "h1"));
	strcpy(e.slices[1].host, "h2");
	json_t *o = egress_to_json(&e, "h2");
	assert_non_null(o);
	assert_int_equal(json_array_size(json_object_get(o, "slices")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "mine"), "first")), 2048);
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pack_refuses_what_json_cannot_hold),
		cmocka_unit_test(append_poisons_the_array),
		cmocka_unit_test(set_poisons_the_object),
		cmocka_unit_test(egress_with_a_bad_name_is_no_answer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
