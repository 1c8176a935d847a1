/* rtnetlink messages, apart from the sockets (nlmsg.c). Private to
 * src/kernel. */
#ifndef OL_NLMSG_H
#define OL_NLMSG_H
#include "kernel/nl.h"
#include <libmnl/libmnl.h>

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
