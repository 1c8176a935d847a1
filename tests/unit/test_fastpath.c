/* The fast path: its messages, its datagrams, the switch agent's packing of
 * a turn of changes into datagrams, and the host agent's checks. Sockets
 * are AF_UNIX datagram pairs: no network. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sodium.h>
#include <sys/socket.h>
#include <unistd.h>
#include "proto/session.h"
#include "proto/wire.h"
#include "host/fastrx.h"
#include "switch/fastpath.h"

static void messages_round_trip(void **state)
{
	(void)state;
	uint8_t b[128];
	uint64_t g;
	assert_int_equal(wire_gen_encode(b, sizeof(b), 0x0102030405060708ull), 8);
	assert_int_equal(wire_gen_decode(b, 8, &g), 0);
	assert_true(g == 0x0102030405060708ull);
	assert_int_equal(wire_gen_decode(b, 7, &g), -EBADMSG);
	assert_int_equal(wire_gen_decode(b, 9, &g), -EBADMSG);

	struct wire_fastpath f = { .port = 4714, .epoch = 77, .seq = 5 }, o;
	addr_parse("239.255.71.4", &f.group);
	randombytes_buf(f.pub, sizeof(f.pub));
	int n = wire_fastpath_encode(b, sizeof(b), &f);
	assert_true(n > 0);
	assert_int_equal(wire_fastpath_decode(b, (size_t)n, &o), 0);
	assert_int_equal(addr_cmp(&o.group, &f.group), 0);
	assert_int_equal(o.port, 4714);
	assert_true(o.epoch == 77 && o.seq == 5);
	assert_memory_equal(o.pub, f.pub, 32);
	assert_int_equal(wire_fastpath_decode(b, (size_t)n - 1, &o), -EBADMSG);
	addr_parse("ff02::4714", &f.group);
	n = wire_fastpath_encode(b, sizeof(b), &f);
	assert_int_equal(wire_fastpath_decode(b, (size_t)n, &o), 0);
	assert_int_equal(addr_cmp(&o.group, &f.group), 0);
	/* a unicast group or port 0 is refused */
	addr_parse("10.0.0.1", &f.group);
	n = wire_fastpath_encode(b, sizeof(b), &f);
	assert_int_equal(wire_fastpath_decode(b, (size_t)n, &o), -EBADMSG);
	addr_parse("239.1.2.3", &f.group);
	f.port = 0;
	n = wire_fastpath_encode(b, sizeof(b), &f);
	assert_int_equal(wire_fastpath_decode(b, (size_t)n, &o), -EBADMSG);
}

/* Datagrams are signed with the switch agent's Ed25519 key of the epoch:
 * a host holding the public key (every host) cannot forge one. */
static void datagrams_authenticate(void **state)
{
	(void)state;
	uint8_t pk[32], sk[64], opk[32], osk[64], d[WIRE_DGRAM_MAX], big[WIRE_DGRAM_MSG_MAX + 1] = { 0 };
	const uint8_t *m;
	uint64_t seq = 0;
	crypto_sign_ed25519_keypair(pk, sk);
	crypto_sign_ed25519_keypair(opk, osk);
	int n = dgram_sign(sk, 9, 42, (const uint8_t *)"hello", 5, d, sizeof(d));
	assert_int_equal(n, WIRE_DGRAM_HDR + 5 + WIRE_SIG);
	assert_int_equal(dgram_verify(pk, 9, d, (size_t)n, &seq, &m), 5);
	assert_true(seq == 42);
	assert_memory_equal(m, "hello", 5);
	assert_int_equal(dgram_verify(pk, 10, d, (size_t)n, &seq, &m), -ESRCH);
	assert_int_equal(dgram_verify(opk, 9, d, (size_t)n, &seq, &m), -EBADMSG);
	assert_int_equal(dgram_verify(pk, 9, d, (size_t)n - 1, &seq, &m), -EBADMSG);
	/* every byte is signed: the sequence number (a replay cannot be
	 * relabelled), the messages, the signature itself */
	for (int i = 0; i < n; i++) {
		d[i] ^= 0x10;
		assert_true(dgram_verify(pk, 9, d, (size_t)n, &seq, &m) < 0);
		d[i] ^= 0x10;
	}
	/* the session's frames are not datagrams */
	d[1] = WF_SEALED;
	assert_int_equal(dgram_verify(pk, 9, d, (size_t)n, &seq, &m), -EBADMSG);
	assert_int_equal(dgram_sign(sk, 9, 1, big, sizeof(big), d, sizeof(d)), -ENOSPC);
	/* the public key cannot sign: what a host holds makes no datagram
	 * that verifies (the old design's shared AEAD key could) */
	uint8_t forged_sk[64];
	memcpy(forged_sk, osk, 32);
	memcpy(forged_sk + 32, pk, 32);
	n = dgram_sign(forged_sk, 9, 43, (const uint8_t *)"forged", 6, d, sizeof(d));
	assert_int_equal(dgram_verify(pk, 9, d, (size_t)n, &seq, &m), -EBADMSG);
}

static struct ol_provider provider(int i)
{
	struct ol_provider p = { .table = (uint32_t)(1000 + i), .naddrs = 2 };
	snprintf(p.name, sizeof(p.name), "peer-%03d", i);
	addr_parse("10.0.1.1", &p.addrs[0].addr);
	p.addrs[0].addr.bytes[2] = (uint8_t)(i >> 8);
	p.addrs[0].addr.bytes[3] = (uint8_t)i;
	addr_parse("2001:db8:1::1", &p.addrs[1].addr);
	p.addrs[1].addr.bytes[15] = (uint8_t)i;
	for (int k = 0; k < 2; k++) {
		mac_parse("02:00:00:00:00:00", p.addrs[k].mac);
		p.addrs[k].mac[5] = (uint8_t)i;
		p.addrs[k].up = 1;
	}
	return p;
}

/* A switch agent's fast path writing to one end of a pair, a host's
 * reading the other. */
static void pair(struct fastpath *sw, struct fastrx *h)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv), 0);
	memset(sw, 0, sizeof(*sw));
	sw->fd = sv[0];
	sw->ifindex = 1; /* connected: no interface to find */
	sw->ifname = "test";
	sw->msg_max = 1200; /* as at an MTU of 1264 */
	crypto_sign_ed25519_keypair(sw->info.pub, sw->sk);
	sw->info.epoch = 7;
	memset(h, 0, sizeof(*h));
	h->fd = sv[1];
	h->info = sw->info;
}

/* A burst of 300 changes leaves as datagrams that each fit one frame and
 * start with the generation; the host gets all 300, in order. */
static void a_burst_packs_into_datagrams(void **state)
{
	(void)state;
	struct fastpath sw;
	struct fastrx h;
	pair(&sw, &h);
	fastpath_begin(&sw, 12);
	for (int i = 0; i < 300; i++) {
		uint8_t b[WIRE_BODY_MAX];
		struct ol_provider p = provider(i);
		int n = wire_provider_encode(b, sizeof(b), &p);
		fastpath_add(&sw, WM_PROVIDER, b, (size_t)n);
	}
	fastpath_end(&sw);
	assert_true(sw.sent > 1);
	assert_true(sw.info.seq == sw.sent);
	uint8_t m[WIRE_DGRAM_MSG_MAX];
	int n, next = 0;
	unsigned long datagrams = 0;
	while ((n = fastrx_read(&h, m, sizeof(m))) != -EAGAIN) {
		assert_true(n > 0 && n <= 1200);
		datagrams++;
		size_t off = 0, bn;
		uint8_t type;
		const uint8_t *body;
		uint64_t gen = 0;
		assert_int_equal(wire_rec_next(m, (size_t)n, &off, &type, &body, &bn), 1);
		assert_int_equal(type, WM_GEN);
		assert_int_equal(wire_gen_decode(body, bn, &gen), 0);
		assert_true(gen == 12);
		while (wire_rec_next(m, (size_t)n, &off, &type, &body, &bn) == 1) {
			struct ol_provider p, want = provider(next++);
			assert_int_equal(type, WM_PROVIDER);
			assert_int_equal(wire_provider_decode(body, bn, &p), 0);
			assert_string_equal(p.name, want.name);
			assert_memory_equal(p.addrs[1].mac, want.addrs[1].mac, 6);
		}
	}
	assert_int_equal(next, 300);
	assert_true(datagrams == sw.sent && h.received == sw.sent);
	assert_true(h.lost == 0 && h.rejected == 0);
	/* a turn with nothing in it sends nothing */
	fastpath_begin(&sw, 13);
	fastpath_end(&sw);
	assert_true(sw.sent == datagrams);
	close(sw.fd);
	close(h.fd);
}

/* The host takes each datagram once, counts gaps as lost, and refuses
 * forged, replayed and other switch agents' datagrams without a word on
 * state. */
static void the_host_checks_every_datagram(void **state)
{
	(void)state;
	struct fastpath sw;
	struct fastrx h;
	pair(&sw, &h);
	uint8_t d[WIRE_DGRAM_MAX], m[WIRE_DGRAM_MSG_MAX], rec[16];
	size_t len = 0;
	wire_rec_put(rec, sizeof(rec), &len, WM_KEEPALIVE, NULL, 0);
	int one = dgram_sign(sw.sk, 7, 1, rec, len, d, sizeof(d));
	assert_int_equal(write(sw.fd, d, (size_t)one), one);
	assert_int_equal(fastrx_read(&h, m, sizeof(m)), (int)len);
	/* the same again: a replay */
	assert_int_equal(write(sw.fd, d, (size_t)one), one);
	assert_int_equal(fastrx_read(&h, m, sizeof(m)), 0);
	assert_true(h.rejected == 1);
	/* seq 4: two lost on the way */
	int n = dgram_sign(sw.sk, 7, 4, rec, len, d, sizeof(d));
	assert_int_equal(write(sw.fd, d, (size_t)n), n);
	assert_int_equal(fastrx_read(&h, m, sizeof(m)), (int)len);
	assert_true(h.lost == 2 && h.info.seq == 4);
	/* a late seq 3 is refused */
	n = dgram_sign(sw.sk, 7, 3, rec, len, d, sizeof(d));
	assert_int_equal(write(sw.fd, d, (size_t)n), n);
	assert_int_equal(fastrx_read(&h, m, sizeof(m)), 0);
	assert_true(h.rejected == 2);
	/* another switch agent's epoch: not ours, not an attack */
	n = dgram_sign(sw.sk, 8, 9, rec, len, d, sizeof(d));
	assert_int_equal(write(sw.fd, d, (size_t)n), n);
	assert_int_equal(fastrx_read(&h, m, sizeof(m)), 0);
	assert_true(h.foreign == 1 && h.rejected == 2);
	/* a forgery (another key), and garbage */
	uint8_t opk[32], other[64];
	crypto_sign_ed25519_keypair(opk, other);
	n = dgram_sign(other, 7, 10, rec, len, d, sizeof(d));
	assert_int_equal(write(sw.fd, d, (size_t)n), n);
	assert_int_equal(fastrx_read(&h, m, sizeof(m)), 0);
	assert_int_equal(write(sw.fd, "\x03\x03\x00", 3), 3);
	assert_int_equal(fastrx_read(&h, m, sizeof(m)), 0);
	assert_true(h.rejected == 4 && h.info.seq == 4 && h.received == 2);
	assert_int_equal(fastrx_read(&h, m, sizeof(m)), -EAGAIN);
	close(sw.fd);
	close(h.fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(messages_round_trip),
		cmocka_unit_test(datagrams_authenticate),
		cmocka_unit_test(a_burst_packs_into_datagrams),
		cmocka_unit_test(the_host_checks_every_datagram),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
