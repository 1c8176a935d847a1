/* rtnetlink messages: kernel messages into events and objects (with every
 * attribute checked against a table of expected sizes), and kernel
 * operations into requests. Pure: no sockets (nl.c has them). */
#include "kernel/nlmsg.h"
#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000 /* linux/if.h, which clashes with net/if.h */
#endif

const char *nud_str(uint16_t s)
{
	switch (s) {
	case NUD_INCOMPLETE: return "INCOMPLETE";
	case NUD_REACHABLE: return "REACHABLE";
	case NUD_STALE: return "STALE";
	case NUD_DELAY: return "DELAY";
	case NUD_PROBE: return "PROBE";
	case NUD_FAILED: return "FAILED";
	case NUD_NOARP: return "NOARP";
	case NUD_PERMANENT: return "PERMANENT";
	case NUD_NONE: return "NONE";
	default: return "?";
	}
}

/* ---- attribute tables ---- */

struct attr_tab {
	const struct nlattr **tb;
	const uint16_t *len;    /* expected exact length, 0 = any (checked elsewhere) */
	uint16_t max;
};

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct attr_tab *t = data;
	uint16_t type = mnl_attr_get_type(a);
	if (type > t->max)
		return MNL_CB_OK;
	if (t->len && t->len[type] && mnl_attr_get_payload_len(a) != t->len[type])
		return MNL_CB_OK; /* wrong size: ignore the attribute, as if absent */
	t->tb[type] = a;
	return MNL_CB_OK;
}

static void parse_attrs(const struct nlmsghdr *nlh, size_t hdrlen, const struct nlattr **tb, uint16_t max,
			const uint16_t *len)
{
	struct attr_tab t = { tb, len, max };
	const struct nlattr *a;
	memset(tb, 0, (max + 1) * sizeof(*tb));
	nlmsg_attr_for_each(a, nlh, hdrlen)
		attr_cb(a, &t);
}

static int get_addr(const struct nlattr *a, int family, struct ol_addr *out)
{
	size_t n = family == AF_INET ? 4 : 16;
	memset(out, 0, sizeof(*out));
	if (!a || mnl_attr_get_payload_len(a) != n)
		return -1;
	out->family = (uint8_t)family;
	memcpy(out->bytes, mnl_attr_get_payload(a), n);
	return 0;
}

/* ---- parsers: nlmsghdr -> nl_event ---- */

static int parse_neigh(const struct nlmsghdr *nlh, struct nl_event *ev)
{
	static const uint16_t len[NDA_MAX + 1] = { [NDA_PROTOCOL] = 1, [NDA_MASTER] = 4, [NDA_FLAGS_EXT] = 4 };
	const struct nlattr *tb[NDA_MAX + 1];
	const struct ndmsg *nd = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*nd)))
		return -1;
	parse_attrs(nlh, sizeof(*nd), tb, NDA_MAX, len);
	ev->deleted = nlh->nlmsg_type == RTM_DELNEIGH;
	if (nd->ndm_family == AF_BRIDGE) {
		struct nl_fdb *f = &ev->fdb;
		ev->type = NLE_FDB;
		memset(f, 0, sizeof(*f));
		if (!tb[NDA_LLADDR] || mnl_attr_get_payload_len(tb[NDA_LLADDR]) != 6)
			return -1;
		memcpy(f->mac, mnl_attr_get_payload(tb[NDA_LLADDR]), 6);
		f->port = nd->ndm_ifindex;
		f->master = tb[NDA_MASTER] ? (int)mnl_attr_get_u32(tb[NDA_MASTER]) : 0;
		f->state = nd->ndm_state;
		f->flags = nd->ndm_flags;
		return 0;
	}
	if (nd->ndm_family != AF_INET && nd->ndm_family != AF_INET6)
		return -1;
	ev->type = NLE_NEIGH;
	struct nl_neigh *n = &ev->neigh;
	memset(n, 0, sizeof(*n));
	if (get_addr(tb[NDA_DST], nd->ndm_family, &n->dst))
		return -1;
	n->ifindex = nd->ndm_ifindex;
	n->state = nd->ndm_state;
	n->proto = tb[NDA_PROTOCOL] ? mnl_attr_get_u8(tb[NDA_PROTOCOL]) : 0;
	n->managed = tb[NDA_FLAGS_EXT] && (mnl_attr_get_u32(tb[NDA_FLAGS_EXT]) & NTF_EXT_MANAGED);
	if (tb[NDA_LLADDR] && mnl_attr_get_payload_len(tb[NDA_LLADDR]) == 6) {
		memcpy(n->lladdr, mnl_attr_get_payload(tb[NDA_LLADDR]), 6);
		n->has_lladdr = 1;
	}
	return 0;
}

void nlmsg_neigh_kobj(const struct nl_neigh *n, struct kobj *o)
{
	memset(o, 0, sizeof(*o));
	o->type = KO_NEIGH;
	o->family = n->dst.family;
	o->ifindex = n->ifindex;
	o->dst = n->dst;
	memcpy(o->lladdr, n->lladdr, 6);
	o->state = n->state;
	o->proto = n->proto;
	o->managed = n->managed;
}

static int parse_link(const struct nlmsghdr *nlh, struct nl_event *ev)
{
	static const uint16_t len[IFLA_MAX + 1] = { [IFLA_MASTER] = 4, [IFLA_OPERSTATE] = 1 };
	const struct nlattr *tb[IFLA_MAX + 1];
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct nl_link *l = &ev->link;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return -1;
	parse_attrs(nlh, sizeof(*ifi), tb, IFLA_MAX, len);
	ev->type = NLE_LINK;
	ev->deleted = nlh->nlmsg_type == RTM_DELLINK;
	memset(l, 0, sizeof(*l));
	l->ifindex = ifi->ifi_index;
	if (tb[IFLA_IFNAME])
		snprintf(l->name, sizeof(l->name), "%s", mnl_attr_get_str(tb[IFLA_IFNAME]));
	l->master = tb[IFLA_MASTER] ? (int)mnl_attr_get_u32(tb[IFLA_MASTER]) : 0;
	if (tb[IFLA_IFALIAS]) {
		size_t n = mnl_attr_get_payload_len(tb[IFLA_IFALIAS]);
		if (n >= sizeof(l->alias))
			n = sizeof(l->alias) - 1;
		memcpy(l->alias, mnl_attr_get_payload(tb[IFLA_IFALIAS]), n);
		l->alias[n] = 0;
	}
	l->up = (ifi->ifi_flags & IFF_UP) && (ifi->ifi_flags & IFF_LOWER_UP) && !ev->deleted;
	l->admin_up = (ifi->ifi_flags & IFF_UP) && !ev->deleted;
	return 0;
}

static int parse_addr(const struct nlmsghdr *nlh, struct nl_event *ev)
{
	static const uint16_t len[IFA_MAX + 1] = { [IFA_PROTO] = 1 };
	const struct nlattr *tb[IFA_MAX + 1];
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct kobj *o = &ev->kobj;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)) || (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6))
		return -1;
	parse_attrs(nlh, sizeof(*ifa), tb, IFA_MAX, len);
	ev->type = NLE_KOBJ;
	ev->deleted = nlh->nlmsg_type == RTM_DELADDR;
	memset(o, 0, sizeof(*o));
	o->type = KO_ADDR;
	o->family = ifa->ifa_family;
	o->ifindex = (int)ifa->ifa_index;
	o->dst_len = ifa->ifa_prefixlen;
	o->proto = tb[IFA_PROTO] ? mnl_attr_get_u8(tb[IFA_PROTO]) : 0;
	/* IFA_LOCAL is the local end; IFA_ADDRESS the peer (or the same) */
	const struct nlattr *local = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (get_addr(local, ifa->ifa_family, &o->dst) || get_addr(tb[IFA_ADDRESS], ifa->ifa_family, &o->gw))
		return -1;
	return 0;
}

static int parse_route(const struct nlmsghdr *nlh, struct nl_event *ev)
{
	static const uint16_t len[RTA_MAX + 1] = { [RTA_OIF] = 4, [RTA_TABLE] = 4 };
	const struct nlattr *tb[RTA_MAX + 1];
	const struct rtmsg *rt = mnl_nlmsg_get_payload(nlh);
	struct kobj *o = &ev->kobj;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*rt)) || (rt->rtm_family != AF_INET && rt->rtm_family != AF_INET6))
		return -1;
	if (rt->rtm_flags & RTM_F_CLONED)
		return -1;
	parse_attrs(nlh, sizeof(*rt), tb, RTA_MAX, len);
	ev->type = NLE_KOBJ;
	ev->deleted = nlh->nlmsg_type == RTM_DELROUTE;
	memset(o, 0, sizeof(*o));
	o->type = KO_ROUTE;
	o->family = rt->rtm_family;
	o->proto = rt->rtm_protocol;
	o->rtype = rt->rtm_type;
	o->dst_len = rt->rtm_dst_len;
	o->table = tb[RTA_TABLE] ? mnl_attr_get_u32(tb[RTA_TABLE]) : rt->rtm_table;
	o->onlink = !!(rt->rtm_flags & RTNH_F_ONLINK);
	/* the kernel reports IPv6 unreachable routes on lo: not an attribute */
	o->ifindex = tb[RTA_OIF] && rt->rtm_type == RTN_UNICAST ? (int)mnl_attr_get_u32(tb[RTA_OIF]) : 0;
	if (tb[RTA_DST])
		get_addr(tb[RTA_DST], rt->rtm_family, &o->dst);
	else
		o->dst.family = rt->rtm_family; /* default route: all zeros */
	if (tb[RTA_GATEWAY])
		get_addr(tb[RTA_GATEWAY], rt->rtm_family, &o->gw);
	if (tb[RTA_PREFSRC])
		get_addr(tb[RTA_PREFSRC], rt->rtm_family, &o->src);
	return 0;
}

static int parse_rule(const struct nlmsghdr *nlh, struct nl_event *ev)
{
	static const uint16_t len[FRA_MAX + 1] = {
		[FRA_PRIORITY] = 4, [FRA_FWMARK] = 4, [FRA_TABLE] = 4, [FRA_PROTOCOL] = 1,
	};
	static const uint16_t dlen[2] = { 4, 16 };
	const struct nlattr *tb[FRA_MAX + 1];
	const struct fib_rule_hdr *fr = mnl_nlmsg_get_payload(nlh);
	struct kobj *o = &ev->kobj;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*fr)) || (fr->family != AF_INET && fr->family != AF_INET6))
		return -1;
	parse_attrs(nlh, sizeof(*fr), tb, FRA_MAX, len);
	ev->type = NLE_KOBJ;
	ev->deleted = nlh->nlmsg_type == RTM_DELRULE;
	memset(o, 0, sizeof(*o));
	o->type = KO_RULE;
	o->family = fr->family;
	o->proto = tb[FRA_PROTOCOL] ? mnl_attr_get_u8(tb[FRA_PROTOCOL]) : 0;
	o->priority = tb[FRA_PRIORITY] ? mnl_attr_get_u32(tb[FRA_PRIORITY]) : 0;
	o->fwmark = tb[FRA_FWMARK] ? mnl_attr_get_u32(tb[FRA_FWMARK]) : 0;
	o->table = tb[FRA_TABLE] ? mnl_attr_get_u32(tb[FRA_TABLE]) : fr->table;
	/* a destination (steering overrides: docs/steering.md) */
	if (fr->dst_len && tb[FRA_DST] &&
	    mnl_attr_get_payload_len(tb[FRA_DST]) == dlen[fr->family == AF_INET6]) {
		o->dst_len = fr->dst_len;
		get_addr(tb[FRA_DST], fr->family, &o->dst);
	}
	return 0;
}

int nlmsg_parse(const struct nlmsghdr *nlh, struct nl_event *ev)
{
	switch (nlh->nlmsg_type) {
	case RTM_NEWNEIGH:
	case RTM_DELNEIGH:
		return parse_neigh(nlh, ev);
	case RTM_NEWLINK:
	case RTM_DELLINK:
		return parse_link(nlh, ev);
	case RTM_NEWADDR:
	case RTM_DELADDR:
		return parse_addr(nlh, ev);
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		return parse_route(nlh, ev);
	case RTM_NEWRULE:
	case RTM_DELRULE:
		return parse_rule(nlh, ev);
	}
	return -1;
}

/* ---- notifications ---- */

static void put_addr(struct nlmsghdr *nlh, uint16_t type, const struct ol_addr *a)
{
	mnl_attr_put(nlh, type, addr_len(a), a->bytes);
}

struct nlmsghdr *nlmsg_build(char *buf, const struct kop *k)
{
	const struct kobj *o = &k->obj;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	int del = k->op == KOP_DEL;
	uint16_t create = k->op == KOP_ADD ? NLM_F_CREATE | NLM_F_EXCL : NLM_F_CREATE | NLM_F_REPLACE;

	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (del ? 0 : create);
	switch (o->type) {
	case KO_NEIGH: {
		struct ndmsg *nd;
		nlh->nlmsg_type = del ? RTM_DELNEIGH : RTM_NEWNEIGH;
		if (!del)
			nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
		nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));
		nd->ndm_family = o->family;
		nd->ndm_ifindex = o->ifindex;
		nd->ndm_state = o->managed ? NUD_NONE : o->state;
		put_addr(nlh, NDA_DST, &o->dst);
		if (!del) {
			if (o->managed)
				mnl_attr_put_u32(nlh, NDA_FLAGS_EXT, NTF_EXT_MANAGED);
			else
				mnl_attr_put(nlh, NDA_LLADDR, 6, o->lladdr);
			mnl_attr_put_u8(nlh, NDA_PROTOCOL, o->proto);
		}
		break;
	}
	case KO_ADDR: {
		struct ifaddrmsg *ifa;
		nlh->nlmsg_type = del ? RTM_DELADDR : RTM_NEWADDR;
		ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
		ifa->ifa_family = o->family;
		ifa->ifa_prefixlen = o->dst_len;
		ifa->ifa_index = (uint32_t)o->ifindex;
		put_addr(nlh, IFA_LOCAL, &o->dst);
		put_addr(nlh, IFA_ADDRESS, &o->gw);
		if (!del)
			mnl_attr_put_u8(nlh, IFA_PROTO, o->proto);
		break;
	}
	case KO_ROUTE: {
		struct rtmsg *rt;
		nlh->nlmsg_type = del ? RTM_DELROUTE : RTM_NEWROUTE;
		rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
		rt->rtm_family = o->family;
		rt->rtm_dst_len = o->dst_len;
		rt->rtm_table = o->table < 256 ? (uint8_t)o->table : RT_TABLE_UNSPEC;
		rt->rtm_protocol = o->proto;
		rt->rtm_type = del ? RTN_UNSPEC : o->rtype;
		rt->rtm_scope = del ? RT_SCOPE_NOWHERE :
				o->rtype == RTN_LOCAL ? RT_SCOPE_HOST :
				(o->rtype == RTN_UNICAST && !o->gw.family) ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
		if (o->onlink && !del)
			rt->rtm_flags |= RTNH_F_ONLINK;
		mnl_attr_put_u32(nlh, RTA_TABLE, o->table);
		if (o->dst_len)
			put_addr(nlh, RTA_DST, &o->dst);
		if (!del) {
			if (o->gw.family)
				put_addr(nlh, RTA_GATEWAY, &o->gw);
			if (o->ifindex)
				mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)o->ifindex);
			if (o->src.family)
				put_addr(nlh, RTA_PREFSRC, &o->src);
		}
		break;
	}
	case KO_RULE: {
		struct fib_rule_hdr *fr;
		nlh->nlmsg_type = del ? RTM_DELRULE : RTM_NEWRULE;
		fr = mnl_nlmsg_put_extra_header(nlh, sizeof(*fr));
		fr->family = o->family;
		fr->action = FR_ACT_TO_TBL;
		fr->table = o->table < 256 ? (uint8_t)o->table : RT_TABLE_UNSPEC;
		mnl_attr_put_u32(nlh, FRA_PRIORITY, o->priority);
		if (o->dst_len) {
			fr->dst_len = o->dst_len;
			put_addr(nlh, FRA_DST, &o->dst);
		}
		/* fwmark 0 with a full mask: unmarked packets only */
		mnl_attr_put_u32(nlh, FRA_FWMARK, o->fwmark);
		mnl_attr_put_u32(nlh, FRA_FWMASK, 0xffffffff);
		mnl_attr_put_u32(nlh, FRA_TABLE, o->table);
		mnl_attr_put_u8(nlh, FRA_PROTOCOL, o->proto);
		break;
	}
	}
	return nlh;
}

void nlmsg_ack_text(const struct nlmsghdr *nlh, char *out, size_t len)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	size_t off;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	/* with NETLINK_CAP_ACK only the original header is echoed */
	off = sizeof(*err) - sizeof(err->msg) + sizeof(struct nlmsghdr);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off = sizeof(*err) - sizeof(err->msg) + err->msg.nlmsg_len;
	const struct nlattr *a;
	nlmsg_attr_for_each(a, nlh, off) {
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG) {
			snprintf(out, len, "%s", mnl_attr_get_str(a));
			return;
		}
	}
}

