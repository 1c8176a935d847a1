/* Addresses, prefixes, MACs and socket endpoints: parsing and printing. */
#ifndef OL_ADDR_H
#define OL_ADDR_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct ol_addr {
	uint8_t family; /* AF_INET or AF_INET6; 0 = unset */
	uint8_t bytes[16];
};

#define ADDR_STRLEN 46
#define MAC_STRLEN 18

int addr_parse(const char *s, struct ol_addr *a);
const char *addr_str(const struct ol_addr *a, char *buf, size_t len);
int addr_cmp(const struct ol_addr *a, const struct ol_addr *b);
static inline size_t addr_len(const struct ol_addr *a) { return a->family == AF_INET ? 4 : 16; }
/* 224.0.0.0/4 or ff00::/8 */
bool addr_is_multicast(const struct ol_addr *a);
/* 0.0.0.0 or :: */
bool addr_is_unspecified(const struct ol_addr *a);
/* Why a is not one machine's address ("unspecified", "multicast",
 * "broadcast"), or NULL when it may be. */
const char *addr_not_host(const struct ol_addr *a);
/* What a provider's address may not be, besides addr_not_host's: loopback,
 * link-local (docs/design.md: such next hops must not reach hosts), or an
 * IPv4-mapped IPv6 address. NULL when it may be one. */
const char *addr_not_next_hop(const struct ol_addr *a);
/* Whether a lies in prefix/len (same family); whether a's bits past len
 * are all zero (len within its family's: false otherwise). */
bool addr_in_prefix(const struct ol_addr *a, const struct ol_addr *prefix, unsigned len);
bool addr_host_bits_zero(const struct ol_addr *a, unsigned len);

int mac_parse(const char *s, uint8_t mac[6]);
const char *mac_str(const uint8_t mac[6], char *buf, size_t len);
/* false for multicast, broadcast and all-zero: never installed as a neighbor */
bool mac_is_unicast(const uint8_t mac[6]);

/* "1.2.3.4:4710" or "[2001:db8::1]:4710" */
int endpoint_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len);
/* An IPv4 or IPv6 socket address's address into a; returns its port. */
uint16_t endpoint_addr(const struct sockaddr_storage *ss, struct ol_addr *a);
const char *endpoint_str(const struct sockaddr *sa, char *buf, size_t len);
/* Two listening endpoints that cannot both be bound: the same port, and
 * the same address or either one the unspecified address. */
bool endpoint_clash(const struct sockaddr_storage *a, const struct sockaddr_storage *b);
/* The Internet checksum (RFC 1071) of data, sum a partial sum (a pseudo-
 * header's) or 0; in host order. */
uint16_t inet_csum(const void *data, size_t len, uint32_t sum);
#endif
