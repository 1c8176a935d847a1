/* lab tool (tests/integration/t41_identities.sh): what a host holding its
 * own key can try against the fast path. It joins the switch agent's
 * group on the hosts' segment, captures one real datagram (for the epoch
 * and sequence), then sends four forgeries announcing PROVIDER's
 * addresses at MAC, each with a sequence number ahead of the switch's:
 *   1. signed with an Ed25519 key of its own;
 *   2. the real datagram with its messages changed, its signature kept;
 *   3. the real datagram again (a replay);
 *   4. built as protocol version 4 did, sealed (ChaCha20-Poly1305) with
 *      the 32 bytes the switch agent hands every host (the group key then,
 *      the public key now).
 * usage: forge_dgram LOCAL_ADDR GROUP PORT PUBKEY_B64 PROVIDER TABLE ADDR MAC
 * Prints the captured epoch and sequence; exits 0 once all four are sent. */
#include "proto/session.h"
#include "proto/wire.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void die(const char *m)
{
	perror(m);
	exit(1);
}

int main(int argc, char **argv)
{
	if (argc != 9) {
		fprintf(stderr, "usage: forge_dgram LOCAL_ADDR GROUP PORT PUBKEY_B64 PROVIDER TABLE ADDR MAC\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[3])) };
	struct ip_mreq m;
	inet_pton(AF_INET, argv[2], &sa.sin_addr);
	inet_pton(AF_INET, argv[2], &m.imr_multiaddr);
	inet_pton(AF_INET, argv[1], &m.imr_interface);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof(m)) ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &m.imr_interface, sizeof(m.imr_interface)))
		die("group");
	/* the test waits for this before the change the forger captures */
	puts("joined");
	fflush(stdout);
	uint8_t real[WIRE_DGRAM_MAX], d[WIRE_DGRAM_MAX], msg[WIRE_DGRAM_MSG_MAX], pub[32], sk[64], pk[32];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	if (poll(&pfd, 1, 20000) != 1)
		die("no datagram within 20 s");
	ssize_t rn = recv(fd, real, sizeof(real), 0);
	if (rn < (ssize_t)(WIRE_DGRAM_HDR + WIRE_SIG))
		die("short datagram");
	uint64_t epoch = wire_take64(real + WIRE_HDR), seq = wire_take64(real + WIRE_HDR + 8);
	printf("epoch %llu seq %llu\n", (unsigned long long)epoch, (unsigned long long)seq);
	size_t bl;
	if (sodium_base642bin(pub, 32, argv[4], strlen(argv[4]), NULL, &bl, NULL, sodium_base64_VARIANT_ORIGINAL) || bl != 32)
		die("public key");

	/* the forged change: GEN far ahead, then the provider at our MAC */
	struct ol_provider p = { .table = (uint32_t)atoi(argv[6]), .naddrs = 1 };
	snprintf(p.name, sizeof(p.name), "%s", argv[5]);
	if (addr_parse(argv[7], &p.addrs[0].addr) || mac_parse(argv[8], p.addrs[0].mac))
		die("provider");
	p.addrs[0].up = 1;
	uint8_t b[WIRE_BODY_MAX];
	size_t len = 0;
	wire_put64(b, 1ull << 40);
	wire_rec_put(msg, sizeof(msg), &len, WM_GEN, b, 8);
	int pn = wire_provider_encode(b, sizeof(b), &p);
	wire_rec_put(msg, sizeof(msg), &len, WM_PROVIDER, b, (size_t)pn);

	sa.sin_addr = m.imr_multiaddr;
	/* 1. signed with our own key */
	crypto_sign_ed25519_keypair(pk, sk);
	int n = dgram_sign(sk, epoch, seq + 1000, msg, len, d, sizeof(d));
	sendto(fd, d, (size_t)n, 0, (struct sockaddr *)&sa, sizeof(sa));
	/* 2. the real one, its messages swapped for ours, its signature kept */
	n = dgram_sign(sk, epoch, seq + 1001, msg, len, d, sizeof(d));
	memcpy(d + n - WIRE_SIG, real + rn - WIRE_SIG, WIRE_SIG);
	sendto(fd, d, (size_t)n, 0, (struct sockaddr *)&sa, sizeof(sa));
	/* 3. the real one again */
	sendto(fd, real, (size_t)rn, 0, (struct sockaddr *)&sa, sizeof(sa));
	/* 4. version 4's construction, keyed with what every host is given */
	uint8_t nonce[12] = { 0 };
	uint64_t s4 = seq + 1002;
	wire_put_header(d, WF_DATAGRAM, 16 + len + 16);
	wire_put64(d + WIRE_HDR, epoch);
	wire_put64(d + WIRE_HDR + 8, s4);
	for (int i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(s4 >> (8 * i));
	unsigned long long cl;
	crypto_aead_chacha20poly1305_ietf_encrypt(d + WIRE_DGRAM_HDR, &cl, msg, len, d, WIRE_DGRAM_HDR, NULL, nonce, pub);
	sendto(fd, d, WIRE_DGRAM_HDR + (size_t)cl, 0, (struct sockaddr *)&sa, sizeof(sa));
	puts("sent 4");
	return 0;
}
