/* The Noise handshake (proto/noise.c) against the published test vectors
 * (tests/unit/vectors/noise-ik.json: cacophony's and snow's), and against
 * truncated, altered, replayed and out-of-turn messages. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "proto/noise.h"

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	assert_int_equal(sodium_hex2bin(out, cap, s, strlen(s), NULL, &n, NULL), 0);
	return n;
}

static size_t field(json_t *v, const char *key, uint8_t *out, size_t cap)
{
	json_t *f = json_object_get(v, key);
	assert_non_null(f);
	return unhex(json_string_value(f), out, cap);
}

/* runs one vector: both sides with its keys, every message compared */
static void run_vector(json_t *v)
{
	struct noise_hs ini, res;
	struct noise_cipher ci[2], cr[2]; /* [0]: initiator to responder */
	uint8_t pro[256], s[32], e[32], rs[32], hh[64], h1[64], h2[64], pl[512], ct[1024], out[1024], got[1024];
	size_t pn = field(v, "init_prologue", pro, sizeof(pro));
	json_t *msgs = json_object_get(v, "messages"), *m;
	size_t i;

	field(v, "init_static", s, 32);
	field(v, "init_remote_static", rs, 32);
	noise_ik_init(&ini, 1, pro, pn, s, rs);
	field(v, "init_ephemeral", e, 32);
	noise_set_ephemeral(&ini, e);
	pn = field(v, "resp_prologue", pro, sizeof(pro));
	field(v, "resp_static", s, 32);
	noise_ik_init(&res, 0, pro, pn, s, NULL);
	field(v, "resp_ephemeral", e, 32);
	noise_set_ephemeral(&res, e);

	json_array_foreach(msgs, i, m) {
		size_t n = field(m, "payload", pl, sizeof(pl)), cn = field(m, "ciphertext", ct, sizeof(ct));
		int w, r;
		if (i < 2) {
			struct noise_hs *tx = i == 0 ? &ini : &res, *rx = i == 0 ? &res : &ini;
			w = noise_write(tx, pl, n, out, sizeof(out));
			r = noise_read(rx, out, (size_t)w, got, sizeof(got));
			if (i == 1) {
				noise_split(&ini, &ci[0], &ci[1], h1);
				noise_split(&res, &cr[0], &cr[1], h2);
				assert_memory_equal(h1, h2, 64);
				if (json_object_get(v, "handshake_hash")) {
					field(v, "handshake_hash", hh, 64);
					assert_memory_equal(h1, hh, 64);
				}
			}
		} else {
			/* transport: the initiator sends the even ones */
			int d = (int)(i % 2);
			w = noise_encrypt(d ? &cr[1] : &ci[0], NULL, 0, pl, n, out);
			r = noise_decrypt(d ? &ci[1] : &cr[0], NULL, 0, out, (size_t)w, got);
		}
		assert_int_equal(w, (int)cn);
		assert_memory_equal(out, ct, cn);
		assert_int_equal(r, (int)n);
		assert_memory_equal(got, pl, n);
	}
	assert_true(i >= 4);
}

static void published_vectors(void **state)
{
	(void)state;
	json_error_t err;
	json_t *root = json_load_file("tests/unit/vectors/noise-ik.json", 0, &err), *v;
	size_t i, seen[2] = { 0, 0 };
	assert_non_null(root);
	json_array_foreach(json_object_get(root, "vectors"), i, v) {
		assert_string_equal(json_string_value(json_object_get(v, "protocol_name")), noise_ik_name);
		run_vector(v);
		seen[!strcmp(json_string_value(json_object_get(v, "source")), "snow")]++;
	}
	/* both independent implementations' vectors ran */
	assert_true(seen[0] >= 1 && seen[1] >= 1);
	json_decref(root);
}

struct pair {
	uint8_t is[32], ip[32], rsk[32], rp[32];
	struct noise_hs ini, res;
	uint8_t m1[256], m2[256];
	int n1, n2;
};

static void start(struct pair *p)
{
	noise_keypair(p->is, p->ip);
	noise_keypair(p->rsk, p->rp);
	noise_ik_init(&p->ini, 1, (const uint8_t *)"x", 1, p->is, p->rp);
	noise_ik_init(&p->res, 0, (const uint8_t *)"x", 1, p->rsk, NULL);
	p->n1 = noise_write(&p->ini, (const uint8_t *)"hello", 5, p->m1, sizeof(p->m1));
	assert_int_equal(p->n1, NOISE_IK_MSG1(5));
}

/* a round trip: the responder learns the initiator's static key; the
 * payloads arrive; the transport keys match */
static void round_trip(void **state)
{
	(void)state;
	struct pair p;
	uint8_t pl[64], ct[64], pt[64], h1[64], h2[64];
	struct noise_cipher a[2], b[2];
	start(&p);
	assert_int_equal(noise_read(&p.res, p.m1, (size_t)p.n1, pl, sizeof(pl)), 5);
	assert_memory_equal(pl, "hello", 5);
	assert_memory_equal(p.res.rs, p.ip, 32);
	p.n2 = noise_write(&p.res, NULL, 0, p.m2, sizeof(p.m2));
	assert_int_equal(p.n2, NOISE_IK_MSG2(0));
	assert_int_equal(noise_read(&p.ini, p.m2, (size_t)p.n2, pl, sizeof(pl)), 0);
	noise_split(&p.ini, &a[0], &a[1], h1);
	noise_split(&p.res, &b[0], &b[1], h2);
	assert_memory_equal(h1, h2, 64);
	assert_int_equal(noise_encrypt(&a[0], NULL, 0, (const uint8_t *)"abc", 3, ct), 3 + NOISE_TAG);
	assert_int_equal(noise_decrypt(&b[0], NULL, 0, ct, 3 + NOISE_TAG, pt), 3);
	/* the same frame again (a replay) no longer opens: the counter moved */
	assert_int_equal(noise_decrypt(&b[0], NULL, 0, ct, 3 + NOISE_TAG, pt), -EBADMSG);
	/* a frame of the other direction does not open either (reflection) */
	assert_int_equal(noise_encrypt(&a[1], NULL, 0, (const uint8_t *)"abc", 3, ct), 3 + NOISE_TAG);
	assert_int_equal(noise_decrypt(&a[1], NULL, 0, ct, 3 + NOISE_TAG, pt), -EBADMSG);
}

/* every truncation and every single-bit change of either message fails,
 * and leaves the reader refusing anything more */
static void truncated_and_altered(void **state)
{
	(void)state;
	struct pair p;
	uint8_t pl[64];
	start(&p);
	for (int cut = 0; cut < p.n1; cut++) {
		struct noise_hs r;
		noise_ik_init(&r, 0, (const uint8_t *)"x", 1, p.rsk, NULL);
		assert_int_equal(noise_read(&r, p.m1, (size_t)cut, pl, sizeof(pl)), -EBADMSG);
	}
	for (int bit = 0; bit < p.n1 * 8; bit += 7) {
		struct noise_hs r;
		uint8_t m[256];
		memcpy(m, p.m1, (size_t)p.n1);
		m[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		noise_ik_init(&r, 0, (const uint8_t *)"x", 1, p.rsk, NULL);
		assert_true(noise_read(&r, m, (size_t)p.n1, pl, sizeof(pl)) < 0);
		assert_int_equal(noise_read(&r, p.m1, (size_t)p.n1, pl, sizeof(pl)), -EINVAL); /* unusable */
	}
	/* oversized: a payload longer than the reader's buffer */
	struct noise_hs r;
	noise_ik_init(&r, 0, (const uint8_t *)"x", 1, p.rsk, NULL);
	assert_int_equal(noise_read(&r, p.m1, (size_t)p.n1, pl, 4), -EBADMSG);
	/* the second message altered or cut */
	assert_int_equal(noise_read(&p.res, p.m1, (size_t)p.n1, pl, sizeof(pl)), 5);
	p.n2 = noise_write(&p.res, NULL, 0, p.m2, sizeof(p.m2));
	struct noise_hs ini2 = p.ini;
	p.m2[40] ^= 1;
	assert_int_equal(noise_read(&ini2, p.m2, (size_t)p.n2, pl, sizeof(pl)), -EBADMSG);
	p.m2[40] ^= 1;
	ini2 = p.ini;
	assert_int_equal(noise_read(&ini2, p.m2, (size_t)p.n2 - 1, pl, sizeof(pl)), -EBADMSG);
	assert_int_equal(noise_read(&p.ini, p.m2, (size_t)p.n2, pl, sizeof(pl)), 0);
}

/* the wrong responder key: the responder cannot open the first message; a
 * responder that is not the expected one cannot answer */
static void wrong_keys(void **state)
{
	(void)state;
	struct pair p;
	uint8_t other[32], otherp[32], pl[64];
	struct noise_hs r;
	start(&p);
	noise_keypair(other, otherp);
	noise_ik_init(&r, 0, (const uint8_t *)"x", 1, other, NULL); /* an impostor */
	assert_int_equal(noise_read(&r, p.m1, (size_t)p.n1, pl, sizeof(pl)), -EBADMSG);
	/* another prologue (another protocol version): refused */
	noise_ik_init(&r, 0, (const uint8_t *)"y", 1, p.rsk, NULL);
	assert_int_equal(noise_read(&r, p.m1, (size_t)p.n1, pl, sizeof(pl)), -EBADMSG);
	/* a low-order ephemeral key (all zeros): refused, not a zero secret */
	uint8_t m[256];
	memcpy(m, p.m1, (size_t)p.n1);
	memset(m, 0, 32);
	noise_ik_init(&r, 0, (const uint8_t *)"x", 1, p.rsk, NULL);
	assert_int_equal(noise_read(&r, m, (size_t)p.n1, pl, sizeof(pl)), -EBADMSG);
}

/* out of turn: each side writes and reads only in its turn; a replayed
 * first message to a responder that already answered is refused */
static void out_of_turn(void **state)
{
	(void)state;
	struct pair p;
	uint8_t pl[64], m[256];
	start(&p);
	assert_int_equal(noise_write(&p.ini, NULL, 0, m, sizeof(m)), -EINVAL);
	assert_int_equal(noise_write(&p.res, NULL, 0, m, sizeof(m)), -EINVAL);
	struct noise_hs fresh;
	noise_ik_init(&fresh, 1, (const uint8_t *)"x", 1, p.is, p.rp);
	assert_int_equal(noise_read(&fresh, p.m1, (size_t)p.n1, pl, sizeof(pl)), -EINVAL); /* before writing */
	assert_int_equal(noise_read(&p.res, p.m1, (size_t)p.n1, pl, sizeof(pl)), 5);
	assert_int_equal(noise_read(&p.res, p.m1, (size_t)p.n1, pl, sizeof(pl)), -EINVAL);
	assert_int_equal(noise_write(&p.res, NULL, 0, m, 10), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(published_vectors),
		cmocka_unit_test(round_trip),
		cmocka_unit_test(truncated_and_altered),
		cmocka_unit_test(wrong_keys),
		cmocka_unit_test(out_of_turn),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
