/* Address helpers. */
#include "base/addr.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int addr_parse(const char *s, struct ol_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->bytes) == 1) {
		a->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->bytes) == 1) {
		a->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

const char *addr_str(const struct ol_addr *a, char *buf, size_t len)
{
	if (!a->family || !inet_ntop(a->family, a->bytes, buf, len))
		snprintf(buf, len, "-");
	return buf;
}

int addr_cmp(const struct ol_addr *a, const struct ol_addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->bytes, b->bytes, a->family == AF_INET ? 4 : 16);
}

bool addr_is_multicast(const struct ol_addr *a)
{
	if (a->family == AF_INET)
		return (a->bytes[0] & 0xf0) == 0xe0;
	return a->family == AF_INET6 && a->bytes[0] == 0xff;
}

int mac_parse(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char end;
	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &end) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

const char *mac_str(const uint8_t mac[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return buf;
}

bool mac_is_unicast(const uint8_t mac[6])
{
	static const uint8_t zero[6];
	return !(mac[0] & 1) && memcmp(mac, zero, 6) != 0;
}

int endpoint_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[ADDR_STRLEN + 2];
	const char *port;
	char *end;
	long p;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':' || (size_t)(close - s - 1) >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, close - s - 1);
		host[close - s - 1] = 0;
		port = close + 2;
	} else {
		const char *colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon || (size_t)(colon - s) >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, colon - s);
		host[colon - s] = 0;
		port = colon + 1;
	}
	errno = 0;
	p = strtol(port, &end, 10);
	if (errno || !*port || *end || p < 1 || p > 65535)
		return -EINVAL;
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (s[0] != '[' && inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)p);
		*len = sizeof(*in4);
		return 0;
	}
	if (s[0] == '[' && inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)p);
		*len = sizeof(*in6);
		return 0;
	}
	return -EINVAL;
}

const char *endpoint_str(const struct sockaddr *sa, char *buf, size_t len)
{
	char a[ADDR_STRLEN];
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in4 = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &in4->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(in4->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(in6->sin6_port));
	} else {
		snprintf(buf, len, "?");
	}
	return buf;
}

uint16_t endpoint_addr(const struct sockaddr_storage *ss, struct ol_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = ss->ss_family;
	if (ss->ss_family == AF_INET6) {
		memcpy(a->bytes, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	}
	memcpy(a->bytes, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

bool addr_is_unspecified(const struct ol_addr *a)
{
	static const uint8_t zero[16];
	return !memcmp(a->bytes, zero, addr_len(a));
}

const char *addr_not_host(const struct ol_addr *a)
{
	static const uint8_t bcast[4] = { 255, 255, 255, 255 };
	if (addr_is_unspecified(a))
		return "unspecified";
	if (addr_is_multicast(a))
		return "multicast";
	if (a->family == AF_INET && !memcmp(a->bytes, bcast, 4))
		return "broadcast";
	return NULL;
}

const char *addr_not_next_hop(const struct ol_addr *a)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const uint8_t lo6[16] = { [15] = 1 };
	const char *why = addr_not_host(a);
	if (why)
		return why;
	if (a->family == AF_INET && a->bytes[0] == 127)
		return "loopback";
	if (a->family == AF_INET && a->bytes[0] == 169 && a->bytes[1] == 254)
		return "link-local";
	if (a->family == AF_INET6 && !memcmp(a->bytes, lo6, 16))
		return "loopback";
	if (a->family == AF_INET6 && a->bytes[0] == 0xfe && (a->bytes[1] & 0xc0) == 0x80)
		return "link-local (a next hop that names no link once it reaches a host)";
	if (a->family == AF_INET6 && !memcmp(a->bytes, mapped, 12))
		return "an IPv4-mapped IPv6 address (write the IPv4 address)";
	return NULL;
}

bool endpoint_clash(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	struct ol_addr x, y;
	uint16_t px = endpoint_addr(a, &x), py = endpoint_addr(b, &y);
	if (!px || px != py || !x.family || !y.family)
		return false;
	/* an IPv6 wildcard listener takes IPv4 too (dual stack) */
	if ((x.family == AF_INET6 && addr_is_unspecified(&x)) || (y.family == AF_INET6 && addr_is_unspecified(&y)))
		return true;
	if (x.family != y.family)
		return false;
	return !addr_cmp(&x, &y) || addr_is_unspecified(&x) || addr_is_unspecified(&y);
}

uint16_t inet_csum(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;
	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

bool addr_in_prefix(const struct ol_addr *a, const struct ol_addr *prefix, unsigned len)
{
	if (a->family != prefix->family || len > addr_len(a) * 8)
		return false;
	for (unsigned b = 0; b < len; b++)
		if ((prefix->bytes[b / 8] ^ a->bytes[b / 8]) & (0x80 >> (b % 8)))
			return false;
	return true;
}

bool addr_host_bits_zero(const struct ol_addr *a, unsigned len)
{
	unsigned bits = (unsigned)addr_len(a) * 8;
	if (len > bits)
		return false;
	for (unsigned b = len; b < bits; b++)
		if (a->bytes[b / 8] & (0x80 >> (b % 8)))
			return false;
	return true;
}
