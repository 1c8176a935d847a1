/* rtnetlink messages, apart from the sockets (nlmsg.c). Private to
 * src/kernel. */
#ifndef OL_NLMSG_H
#define OL_NLMSG_H
#include "kernel/nl.h"
#include <libmnl/libmnl.h>
#include <stdint.h>

/* The attributes that follow a message's fixed header of hdrlen bytes,
 * bounded by nlmsg_len itself. libmnl's mnl_attr_for_each() and
 * mnl_attr_parse() walk up to the aligned length, past the end of a
 * message whose length is not a multiple of 4 (fuzzing found route_parse
 * reading past such a message); every attribute walk in kernel/ goes
 * through this. 0 bytes when the message is shorter than its header. */
static inline int nlmsg_attr_room(const struct nlmsghdr *nlh, size_t hdrlen)
{
	size_t off = MNL_NLMSG_HDRLEN + MNL_ALIGN(hdrlen);
	return nlh->nlmsg_len > off && nlh->nlmsg_len <= (uint32_t)INT32_MAX ? (int)(nlh->nlmsg_len - off) : 0;
}
#define nlmsg_attr_for_each(a, nlh, hdrlen) \
	for ((a) = mnl_nlmsg_get_payload_offset((nlh), (hdrlen)); \
	     mnl_attr_ok((a), (int)((const char *)mnl_nlmsg_get_payload_offset((nlh), (hdrlen)) + \
				  nlmsg_attr_room((nlh), (hdrlen)) - (const char *)(a))); \
	     (a) = mnl_attr_next(a))

/* A kernel message as an event: 0, or -1 when it is none of those onlink
 * follows (or malformed). */
int nlmsg_parse(const struct nlmsghdr *nlh, struct nl_event *ev);
/* A neighbor event as the kernel object it is. */
void nlmsg_neigh_kobj(const struct nl_neigh *n, struct kobj *o);
/* The request for one operation, built at buf (NL_REQ_MAX bytes, zeroed),
 * asking for an ACK. */
struct nlmsghdr *nlmsg_build(char *buf, const struct kop *k);
/* The kernel's error text of an ACK (NLMSGERR_ATTR_MSG), if it has one. */
void nlmsg_ack_text(const struct nlmsghdr *nlh, char *out, size_t len);
#endif
