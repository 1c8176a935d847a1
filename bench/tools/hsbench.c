/* hsbench: the CPU cost of per-node identities (bench/identities.sh).
 * Benchmark tool only; one thread, CLOCK_THREAD_CPUTIME_ID.
 *   1. handshakes: the switch agent's side of N Noise IK handshakes from N
 *      distinct hosts, judged against a config of HOSTS [host NAME] keys
 *      (read msg1, judge, write msg2, split); the hosts' first messages
 *      are made beforehand and not timed. The host's side (write msg1,
 *      read msg2, split) is timed apart.
 *   2. datagrams: for a burst of 500 provider changes packed at MTU 9000
 *      and 1500, the switch agent's signing and a host's verifying of
 *      every datagram (Ed25519), against the same datagrams sealed and
 *      opened as protocol version 4 did (ChaCha20-Poly1305 with a shared
 *      key): the baseline, in the same run.
 * Prints one JSON object. usage: hsbench [-n HANDSHAKES] [-H HOSTS] [-r ROUNDS] */
#include "conf/config.h"
#include "proto/conn.h"
#include "proto/noise.h"
#include "proto/session.h"
#include "proto/wire.h"
#include "switch/hostkeys.h"
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double cpu_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static const uint8_t prologue[] = "onlink v5";

static void host_key(int i, uint8_t priv[32], uint8_t pub[32])
{
	char seed[32];
	int n = snprintf(seed, sizeof(seed), "hsbench %d", i);
	crypto_generichash(priv, 32, (const uint8_t *)seed, (size_t)n, NULL, 0);
	crypto_scalarmult_base(pub, priv);
}

/* datagrams of a burst of 500 PROVIDER messages, each at most max bytes of messages */
static int pack(size_t max, uint8_t (*msgs)[WIRE_DGRAM_MSG_MAX], size_t *lens)
{
	int nd = 0;
	size_t len = 0;
	uint8_t b[WIRE_BODY_MAX];
	for (int i = 0; i < 500; i++) {
		struct ol_provider p = { .table = (uint32_t)(1001 + i), .naddrs = 1 };
		snprintf(p.name, sizeof(p.name), "ix-%d", i);
		addr_parse("10.2.0.1", &p.addrs[0].addr);
		p.addrs[0].addr.bytes[2] = (uint8_t)(i / 250);
		p.addrs[0].addr.bytes[3] = (uint8_t)(i % 250 + 1);
		p.addrs[0].up = 1;
		int n = wire_provider_encode(b, sizeof(b), &p);
		if (wire_rec_put(msgs[nd], max, &len, WM_PROVIDER, b, (size_t)n)) {
			lens[nd++] = len;
			len = 0;
			wire_rec_put(msgs[nd], max, &len, WM_PROVIDER, b, (size_t)n);
		}
	}
	lens[nd++] = len;
	return nd;
}

int main(int argc, char **argv)
{
	int n = 2000, hosts = 1000, rounds = 200, opt;
	while ((opt = getopt(argc, argv, "n:H:r:")) != -1) {
		if (opt == 'n') n = atoi(optarg);
		else if (opt == 'H') hosts = atoi(optarg);
		else if (opt == 'r') rounds = atoi(optarg);
		else return 2;
	}
	if (sodium_init() < 0 || n < 1 || hosts < 1)
		return 1;
	/* the switch agent's config: its key, and HOSTS hosts */
	static struct config cfg;
	uint8_t sw[32], sw_pub[32];
	noise_keypair(sw, sw_pub);
	cfg.sw.hosts = calloc((size_t)hosts, sizeof(*cfg.sw.hosts));
	cfg.sw.nhosts = (unsigned)hosts;
	uint8_t (*hpriv)[32] = calloc((size_t)hosts, 32);
	for (int i = 0; i < hosts; i++) {
		snprintf(cfg.sw.hosts[i].name, OL_NAME_MAX, "h%d", i);
		host_key(i, hpriv[i], cfg.sw.hosts[i].pub);
	}
	struct hostkeys keys;
	hostkeys_init(&keys, &cfg);

	/* the hosts' first messages, made beforehand (not timed); the last of
	 * the listed hosts come first, so the judge scans the whole list */
	uint8_t (*m1)[256] = calloc((size_t)n, 256), pl[64], out[256], ts[WIRE_TS];
	int *m1n = calloc((size_t)n, sizeof(int));
	struct noise_hs *ini = calloc((size_t)n, sizeof(*ini));
	double t = cpu_s();
	for (int i = 0; i < n; i++) {
		int h = hosts - 1 - i % hosts;
		wire_tai64n(ts, 1800000000ull * 1000000000u + (uint64_t)i);
		int k = wire_hs1_encode(pl, sizeof(pl), ts, cfg.sw.hosts[h].name);
		noise_ik_init(&ini[i], 1, prologue, sizeof(prologue), hpriv[h], sw_pub);
		m1n[i] = noise_write(&ini[i], pl, (size_t)k, m1[i], 256);
	}
	double host_write = cpu_s() - t;

	/* the switch agent's side */
	uint8_t (*m2)[128] = calloc((size_t)n, 128);
	int *m2n = calloc((size_t)n, sizeof(int)), ok = 0;
	t = cpu_s();
	for (int i = 0; i < n; i++) {
		struct noise_hs hs;
		struct noise_cipher a, b;
		char claimed[OL_NAME_MAX], name[OL_NAME_MAX], why[160];
		enum conn_refusal refusal;
		noise_ik_init(&hs, 0, prologue, sizeof(prologue), sw, NULL);
		int k = noise_read(&hs, m1[i], (size_t)m1n[i], pl, sizeof(pl));
		if (k < 0 || wire_hs1_decode(pl, (size_t)k, ts, claimed) ||
		    hostkeys_judge(&keys, hs.rs, ts, claimed, name, &refusal, why, sizeof(why)))
			continue;
		k = wire_name_encode(pl, sizeof(pl), "sw1");
		m2n[i] = noise_write(&hs, pl, (size_t)k, m2[i], 128);
		noise_split(&hs, &a, &b, NULL);
		ok++;
	}
	double sw_cpu = cpu_s() - t;
	t = cpu_s();
	for (int i = 0; i < n; i++) {
		struct noise_cipher a, b;
		if (m2n[i] > 0 && noise_read(&ini[i], m2[i], (size_t)m2n[i], out, sizeof(out)) >= 0)
			noise_split(&ini[i], &a, &b, NULL);
	}
	double host_read = cpu_s() - t;

	/* datagrams of a burst of 500 */
	static uint8_t msgs[64][WIRE_DGRAM_MSG_MAX], d[WIRE_DGRAM_MAX], got[WIRE_DGRAM_MSG_MAX];
	size_t lens[64];
	uint8_t pk[32], sk[64], key[32];
	crypto_sign_ed25519_keypair(pk, sk);
	randombytes_buf(key, sizeof(key));
	printf("{\"handshakes\": %d, \"accepted\": %d, \"hosts_listed\": %d, \"switch_cpu_s\": %.4f, "
	       "\"switch_handshakes_per_s\": %.0f, \"switch_us_per_handshake\": %.1f, \"host_us_per_handshake\": %.1f",
	       n, ok, hosts, sw_cpu, ok / sw_cpu, sw_cpu / ok * 1e6, (host_write + host_read) / n * 1e6);
	static const size_t mtus[] = { 9000, 1500 };
	for (int m = 0; m < 2; m++) {
		size_t max = mtus[m] - 20 - 8 - WIRE_DGRAM_HDR - WIRE_SIG;
		if (max > WIRE_DGRAM_MSG_MAX) /* as the switch agent sizes them */
			max = WIRE_DGRAM_MSG_MAX;
		int nd = pack(max, msgs, lens);
		double sign = 0, verify = 0, seal = 0, open = 0;
		for (int r = 0; r < rounds; r++) {
			for (int i = 0; i < nd; i++) {
				uint64_t seq;
				const uint8_t *mp;
				double t0 = cpu_s();
				int dn = dgram_sign(sk, 7, (uint64_t)r * 64 + (uint64_t)i + 1, msgs[i], lens[i], d, sizeof(d));
				double t1 = cpu_s();
				if (dgram_verify(pk, 7, d, (size_t)dn, &seq, &mp) != (int)lens[i])
					return 1;
				double t2 = cpu_s();
				/* version 4: ChaCha20-Poly1305 with the shared key */
				uint8_t nonce[12] = { 0 };
				unsigned long long cl, ml;
				nonce[4] = (uint8_t)i;
				crypto_aead_chacha20poly1305_ietf_encrypt(d + WIRE_DGRAM_HDR, &cl, msgs[i], lens[i], d,
									  WIRE_DGRAM_HDR, NULL, nonce, key);
				double t3 = cpu_s();
				if (crypto_aead_chacha20poly1305_ietf_decrypt(got, &ml, NULL, d + WIRE_DGRAM_HDR, cl, d,
									      WIRE_DGRAM_HDR, nonce, key))
					return 1;
				double t4 = cpu_s();
				sign += t1 - t0, verify += t2 - t1, seal += t3 - t2, open += t4 - t3;
			}
		}
		double per = 1e6 / ((double)rounds * nd);
		printf(", \"mtu%zu\": {\"datagrams_per_burst\": %d, \"sign_us\": %.1f, \"verify_us\": %.1f, "
		       "\"v4_seal_us\": %.1f, \"v4_open_us\": %.1f, \"burst_switch_us\": %.1f, \"burst_host_us\": %.1f, "
		       "\"burst_v4_switch_us\": %.1f, \"burst_v4_host_us\": %.1f}",
		       mtus[m], nd, sign * per, verify * per, seal * per, open * per, sign / rounds * 1e6,
		       verify / rounds * 1e6, seal / rounds * 1e6, open / rounds * 1e6);
	}
	puts("}");
	hostkeys_free(&keys);
	return 0;
}
