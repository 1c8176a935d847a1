/* hsflood: first messages made for a switch agent's public key, as fast as
 * one address can send them (tests/integration/t170, bench/preauth.sh).
 * The strongest flood short of a host's key: each is a real Noise first
 * message with a good mac1, from a key the switch does not know, so each
 * one the switch takes to key work costs it two X25519 before it refuses
 * it (unknown_key), as a replayed host's message would. When the switch
 * agent answers with a cookie reply, the flood opens it (anyone who knows
 * the public key can) and sends a good mac2 from then on: what is left
 * is the per-address share.
 *
 * usage: hsflood -c IPV4:PORT -p SWITCH_PUBKEY_B64 -t SECS [-i INFLIGHT] [-b SRC [-a N]]
 * -b SRC -a N: from SRC and the N - 1 addresses after it, in turn (each
 * with its own cookie, as each address gets its own).
 * Prints one JSON object: first messages sent, cookie replies, answers. */
#include "proto/conn.h"
#include "proto/cookie.h"
#include "proto/noise.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define INFLIGHT_MAX 512
#define ADDRS_MAX 256

static double mono(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *m)
{
	fprintf(stderr, "hsflood: %s\n", m);
	exit(2);
}

int main(int argc, char **argv)
{
	struct sockaddr_in to = { .sin_family = AF_INET }, from = { .sin_family = AF_INET };
	uint8_t swpub[32], priv[32], pub[32], frame[WIRE_HDR + WIRE_PAYLOAD_MAX];
	static uint8_t cookie[ADDRS_MAX][COOKIE_MAC];
	static int have_cookie[ADDRS_MAX];
	double secs = 5;
	int inflight = 8, bind_src = 0, naddr = 1, opt;
	unsigned next = 0;
	size_t bl;
	while ((opt = getopt(argc, argv, "c:p:t:i:b:a:")) != -1) {
		switch (opt) {
		case 'c': {
			char *colon = strrchr(optarg, ':');
			if (!colon)
				die("-c IPV4:PORT");
			*colon = 0;
			if (inet_pton(AF_INET, optarg, &to.sin_addr) != 1)
				die("-c IPV4:PORT");
			to.sin_port = htons((uint16_t)atoi(colon + 1));
			break;
		}
		case 'p':
			if (sodium_init() < 0 || sodium_base642bin(swpub, 32, optarg, strlen(optarg), NULL, &bl, NULL,
								   sodium_base64_VARIANT_ORIGINAL) || bl != 32)
				die("-p: a public key in base64");
			break;
		case 't': secs = atof(optarg); break;
		case 'a': naddr = atoi(optarg); break;
		case 'i': inflight = atoi(optarg); break;
		case 'b':
			if (inet_pton(AF_INET, optarg, &from.sin_addr) != 1)
				die("-b IPV4");
			bind_src = 1;
			break;
		default: die("usage: hsflood -c IPV4:PORT -p SWITCH_PUBKEY_B64 -t SECS [-i INFLIGHT] [-b SRC]");
		}
	}
	if (!to.sin_port || inflight < 1 || inflight > INFLIGHT_MAX || naddr < 1 || naddr > ADDRS_MAX)
		die("usage: hsflood -c IPV4:PORT -p SWITCH_PUBKEY_B64 -t SECS [-i INFLIGHT 1..512] [-b SRC [-a N 1..256]]");
	/* one first message, made once from a key nobody configured */
	noise_keypair(priv, pub);
	struct conn c;
	if (conn_init_host(&c, -1, "flood", priv, swpub, NULL) || c.outlen > sizeof(frame))
		die("cannot make a first message");
	size_t flen = c.outlen;
	memcpy(frame, c.out, flen);
	conn_fini(&c);

	struct pollfd pf[INFLIGHT_MAX];
	static uint8_t in[INFLIGHT_MAX][WIRE_HDR + COOKIE_REPLY];
	size_t got[INFLIGHT_MAX];
	int src[INFLIGHT_MAX]; /* which of the addresses */
	long sent = 0, cookies = 0, answers = 0, refused_conn = 0;
	for (int i = 0; i < inflight; i++)
		pf[i].fd = -1;
	double end = mono() + secs;
	while (mono() < end) {
		for (int i = 0; i < inflight; i++) {
			if (pf[i].fd >= 0)
				continue;
			int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (fd < 0)
				die("socket");
			src[i] = (int)(next++ % (unsigned)naddr);
			struct sockaddr_in b = from;
			b.sin_addr.s_addr = htonl(ntohl(from.sin_addr.s_addr) + (uint32_t)src[i]);
			if (bind_src && bind(fd, (struct sockaddr *)&b, sizeof(b)) < 0)
				die("bind");
			if (connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0 && errno != EINPROGRESS) {
				close(fd);
				refused_conn++;
				continue;
			}
			pf[i] = (struct pollfd){ .fd = fd, .events = POLLOUT };
			got[i] = 0;
		}
		if (poll(pf, (nfds_t)inflight, 50) < 0)
			continue;
		for (int i = 0; i < inflight; i++) {
			if (pf[i].fd < 0 || !pf[i].revents)
				continue;
			if (pf[i].events == POLLOUT) {
				/* connected (or not): the first message, with the
				 * latest cookie's mac2 */
				cookie_put_macs(swpub, have_cookie[src[i]] ? cookie[src[i]] : NULL, frame, flen);
				if (write(pf[i].fd, frame, flen) == (ssize_t)flen) {
					sent++;
					pf[i].events = POLLIN;
					continue;
				}
				refused_conn++;
			} else {
				ssize_t r = read(pf[i].fd, in[i] + got[i], sizeof(in[i]) - got[i]);
				if (r > 0) {
					got[i] += (size_t)r;
					if (got[i] < sizeof(in[i]) && !(in[i][1] == WF_COOKIE && got[i] == WIRE_HDR + COOKIE_REPLY))
						continue;
				}
				if (got[i] >= WIRE_HDR) {
					if (in[i][1] == WF_COOKIE && got[i] == WIRE_HDR + COOKIE_REPLY &&
					    !cookie_open(swpub, frame, flen, in[i] + WIRE_HDR, cookie[src[i]])) {
						cookies++;
						have_cookie[src[i]] = 1;
					} else {
						answers++;
					}
				}
			}
			close(pf[i].fd);
			pf[i].fd = -1;
		}
	}
	for (int i = 0; i < inflight; i++)
		if (pf[i].fd >= 0)
			close(pf[i].fd);
	printf("{\"first_messages\": %ld, \"cookies\": %ld, \"answers\": %ld, \"connect_failures\": %ld}\n", sent, cookies,
	       answers, refused_conn);
	return 0;
}
