/* rtnetlink through libmnl. Attributes are checked against a table of
 * expected types before use; dumps retry when interrupted (NLM_F_DUMP_INTR);
 * the notification socket reports overruns instead of hiding them. */
#include "kernel/nl.h"
#include "base/knob.h"
#include "kernel/nlmsg.h"
#include "base/log.h"
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/veth.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000 /* linux/if.h, which clashes with net/if.h */
#endif
#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
#endif

/* Each socket has its own receive buffer, and a socket whose buffer is
 * being walked is never read again until the walk ends: a callback of
 * nl_read_events may dump or write (a link event makes the host agent
 * reconcile), and reading the answers into the buffer being walked once
 * crashed the host agent on every uplink flap. Nested use of the same
 * socket is refused with -EBUSY instead. */
struct nl {
	struct mnl_socket *req, *dump, *notify;
	uint32_t seq;
	char *req_buf, *dump_buf, *notify_buf; /* NL_BUF bytes each */
	int in_dump, in_events;
	size_t send_max;    /* bytes one sendmsg of requests may carry */
	unsigned long sends, requests;
};

#define NL_BUF (1u << 16)
/* Requests per sendmsg, in bytes: the request socket's send buffer is
 * raised to hold it (a netlink sendmsg must fit sk_sndbuf); 512 bytes is
 * the most one request takes. */
#define NL_SEND_MAX (512u << 10)
#define NL_REQ_MAX 512

static struct mnl_socket *sock_open(unsigned groups, int rcvbuf)
{
	struct mnl_socket *s = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	int one = 1;
	if (!s)
		return NULL;
	if (mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	mnl_socket_setsockopt(s, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(s, NETLINK_CAP_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(s, NETLINK_GET_STRICT_CHK, &one, sizeof(one));
	if (rcvbuf) {
		int fd = mnl_socket_get_fd(s);
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	}
	static const struct { unsigned bit; unsigned grp[2]; } map[] = {
		{ NLG_LINK, { RTNLGRP_LINK, 0 } },
		{ NLG_NEIGH, { RTNLGRP_NEIGH, 0 } },
		{ NLG_ADDR, { RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR } },
		{ NLG_ROUTE, { RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE } },
		{ NLG_RULE, { RTNLGRP_IPV4_RULE, RTNLGRP_IPV6_RULE } },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (!(groups & map[i].bit))
			continue;
		for (int k = 0; k < 2; k++) {
			int g = (int)map[i].grp[k];
			if (g && mnl_socket_setsockopt(s, NETLINK_ADD_MEMBERSHIP, &g, sizeof(g)) < 0)
				goto fail;
		}
	}
	return s;
fail:
	mnl_socket_close(s);
	return NULL;
}

int nl_notify_rcvbuf(void)
{
	const char *e = knob("ONLINKD_NETLINK_RCVBUF"); /* t60: an overrun made certain */
	long v = e ? strtol(e, NULL, 10) : 0;
	return v > 0 && v <= (1 << 30) ? (int)v : 16 << 20;
}

/* How much one sendmsg may carry: NL_SEND_MAX, or less when the send
 * buffer could not be raised (no CAP_NET_ADMIN). */
static size_t send_max(struct mnl_socket *req)
{
	int sb = 0;
	socklen_t l = sizeof(sb);
	if (getsockopt(mnl_socket_get_fd(req), SOL_SOCKET, SO_SNDBUF, &sb, &l) || sb < 4 * NL_REQ_MAX)
		return 2 * NL_REQ_MAX;
	/* the kernel reports twice what it accounts; keep room for its overhead */
	return (size_t)sb / 2 - NL_REQ_MAX < NL_SEND_MAX ? (size_t)sb / 2 - NL_REQ_MAX : NL_SEND_MAX;
}

int nl_open(struct nl **out, unsigned groups, int rcvbuf)
{
	struct nl *nl = calloc(1, sizeof(*nl));
	int e;
	if (!nl)
		return -ENOMEM;
	nl->req_buf = malloc(NL_BUF);
	nl->dump_buf = malloc(NL_BUF);
	nl->notify_buf = groups ? malloc(NL_BUF) : NULL;
	nl->seq = (uint32_t)time(NULL);
	nl->req = sock_open(0, 1 << 20);
	if (nl->req) {
		int sb = 2 * NL_SEND_MAX, fd = mnl_socket_get_fd(nl->req);
		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sb, sizeof(sb)))
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sb, sizeof(sb));
		nl->send_max = send_max(nl->req);
	}
	nl->dump = sock_open(0, 1 << 20);
	nl->notify = groups ? sock_open(groups, rcvbuf) : NULL;
	if (!nl->req_buf || !nl->dump_buf || !nl->req || !nl->dump || (groups && (!nl->notify || !nl->notify_buf))) {
		e = errno ? -errno : -ENOMEM;
		nl_close(nl);
		return e;
	}
	*out = nl;
	return 0;
}

void nl_close(struct nl *nl)
{
	if (!nl)
		return;
	if (nl->req)
		mnl_socket_close(nl->req);
	if (nl->dump)
		mnl_socket_close(nl->dump);
	if (nl->notify)
		mnl_socket_close(nl->notify);
	free(nl->req_buf);
	free(nl->dump_buf);
	free(nl->notify_buf);
	free(nl);
}

int nl_notify_fd(const struct nl *nl)
{
	return nl->notify ? mnl_socket_get_fd(nl->notify) : -1;
}

struct ev_ctx {
	nl_event_fn fn;
	void *arg;
	int intr;
};

static int data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ev_ctx *c = data;
	struct nl_event ev;
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		c->intr = 1;
	if (nlmsg_parse(nlh, &ev) == 0)
		c->fn(&ev, c->arg);
	return MNL_CB_OK;
}

int nl_read_events(struct nl *nl, nl_event_fn fn, void *arg, int budget)
{
	struct ev_ctx c = { .fn = fn, .arg = arg };
	int r = 0;
	if (!nl->notify)
		return -EBADF;
	if (nl->in_events)
		return -EBUSY;
	nl->in_events = 1;
	for (int i = 0; i < budget; i++) {
		ssize_t n = recv(mnl_socket_get_fd(nl->notify), nl->notify_buf, NL_BUF, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				r = -errno; /* -ENOBUFS: overrun */
			break;
		}
		mnl_cb_run(nl->notify_buf, (size_t)n, 0, 0, data_cb, &c);
	}
	nl->in_events = 0;
	return r;
}

/* ---- dumps ---- */

/* libmnl's default NLMSG_DONE handler ignores the error a dump can end
 * with (a rejected filter, for one); this one reports it. */
static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)data;
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int)) {
		int err = *(const int *)mnl_nlmsg_get_payload(nlh);
		if (err < 0) {
			errno = -err;
			return MNL_CB_ERROR;
		}
	}
	return MNL_CB_STOP;
}

static int dump_once(struct nl *nl, struct nlmsghdr *req, struct ev_ctx *c)
{
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_DONE] = done_cb };
	uint32_t portid = mnl_socket_get_portid(nl->dump);
	uint32_t seq = req->nlmsg_seq = ++nl->seq;
	ssize_t n;
	int r;

	if (mnl_socket_sendto(nl->dump, req, req->nlmsg_len) < 0)
		return -errno;
	c->intr = 0;
	for (;;) {
		n = mnl_socket_recvfrom(nl->dump, nl->dump_buf, NL_BUF);
		if (n < 0)
			return -errno;
		r = mnl_cb_run2(nl->dump_buf, (size_t)n, seq, portid, data_cb, c, ctl, NLMSG_MIN_TYPE);
		if (r == MNL_CB_ERROR)
			return -errno;
		if (r == MNL_CB_STOP)
			break;
	}
	return c->intr ? -EINTR : 0;
}

/* An interrupted dump is redone; the callers' handlers set state to what
 * each message says, so seeing an entry twice is harmless. */
static int dump(struct nl *nl, struct nlmsghdr *req, struct ev_ctx *c)
{
	int r = -EINTR;
	if (nl->in_dump)
		return -EBUSY;
	nl->in_dump = 1;
	for (int tries = 0; tries < 8 && r == -EINTR; tries++)
		r = dump_once(nl, req, c);
	nl->in_dump = 0;
	return r;
}

int nl_dump_links(struct nl *nl, nl_event_fn fn, void *arg)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	memset(buf, 0, sizeof(buf)); /* libmnl 1.0.4 leaves attribute padding as it finds it */
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;
	struct ev_ctx c = { .fn = fn, .arg = arg };
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	return dump(nl, nlh, &c);
}

int nl_dump_neighs(struct nl *nl, int family, nl_event_fn fn, void *arg)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	memset(buf, 0, sizeof(buf)); /* libmnl 1.0.4 leaves attribute padding as it finds it */
	struct ev_ctx c = { .fn = fn, .arg = arg };
	int fams[2] = { family, -1 };
	int r = 0;
	if (family == AF_UNSPEC) {
		fams[0] = AF_INET;
		fams[1] = AF_INET6;
	}
	for (int i = 0; i < 2 && fams[i] >= 0 && !r; i++) {
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
		struct ndmsg *nd;
		nlh->nlmsg_type = RTM_GETNEIGH;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));
		nd->ndm_family = (uint8_t)fams[i];
		r = dump(nl, nlh, &c);
	}
	return r;
}

struct owned_ctx {
	struct kobj_set *out;
	int ifindex, ifindex2;
	uint8_t proto;
	int err;
};

static void owned_add(const struct nl_event *ev, void *arg)
{
	struct owned_ctx *o = arg;
	struct kobj k;
	if (ev->type == NLE_NEIGH) {
		if (ev->neigh.ifindex != o->ifindex && ev->neigh.ifindex != o->ifindex2)
			return;
		nlmsg_neigh_kobj(&ev->neigh, &k);
	} else if (ev->type == NLE_KOBJ) {
		k = ev->kobj;
		/* every address on the uplink; elsewhere (lo), only ours */
		if (k.type == KO_ADDR && k.ifindex != o->ifindex && k.proto != o->proto)
			return;
		if ((k.type == KO_ROUTE || k.type == KO_RULE) && k.proto != o->proto)
			return;
	} else {
		return;
	}
	if (kobj_set_add(o->out, &k))
		o->err = -ENOMEM;
}

int nl_dump_owned(struct nl *nl, int ifindex, int ifindex2, uint8_t proto, struct kobj_set *out)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	memset(buf, 0, sizeof(buf)); /* libmnl 1.0.4 leaves attribute padding as it finds it */
	struct owned_ctx o = { .out = out, .ifindex = ifindex, .ifindex2 = ifindex2 ? ifindex2 : ifindex, .proto = proto };
	struct ev_ctx c = { .fn = owned_add, .arg = &o };
	static const int fams[2] = { AF_INET, AF_INET6 };
	int r = 0;

	if (nl->in_dump)
		return -EBUSY;
	nl->in_dump = 1;
	for (int attempt = 0; attempt < 4; attempt++) {
		out->n = 0;
		r = 0;
		for (int i = 0; i < 2 && !r; i++) {
			struct nlmsghdr *nlh;
			/* addresses on the uplink */
			nlh = mnl_nlmsg_put_header(buf);
			nlh->nlmsg_type = RTM_GETADDR;
			nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
			struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
			ifa->ifa_family = (uint8_t)fams[i];
			r = dump_once(nl, nlh, &c);
			if (r)
				break;
			/* neighbors on the uplink */
			nlh = mnl_nlmsg_put_header(buf);
			nlh->nlmsg_type = RTM_GETNEIGH;
			nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
			struct ndmsg *nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));
			nd->ndm_family = (uint8_t)fams[i];
			if (!ifindex2 || ifindex2 == ifindex)
				mnl_attr_put_u32(nlh, NDA_IFINDEX, (uint32_t)ifindex);
			r = dump_once(nl, nlh, &c);
			if (r)
				break;
			/* routes with our protocol, in every table (the kernel filters) */
			nlh = mnl_nlmsg_put_header(buf);
			nlh->nlmsg_type = RTM_GETROUTE;
			nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
			struct rtmsg *rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
			rt->rtm_family = (uint8_t)fams[i];
			rt->rtm_protocol = proto;
			r = dump_once(nl, nlh, &c);
			if (r)
				break;
			/* rules: few, filtered here */
			nlh = mnl_nlmsg_put_header(buf);
			nlh->nlmsg_type = RTM_GETRULE;
			nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
			struct fib_rule_hdr *fr = mnl_nlmsg_put_extra_header(nlh, sizeof(*fr));
			fr->family = (uint8_t)fams[i];
			r = dump_once(nl, nlh, &c);
		}
		if (r != -EINTR)
			break;
	}
	nl->in_dump = 0;
	return r ? r : o.err;
}

/* ---- requests ---- */

/* One request on a socket of its own, and its answer. */
static int request_once(struct nlmsghdr *nlh)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *s = mnl_socket_open(NETLINK_ROUTE);
	int r = 0;
	if (!s)
		return -errno;
	if (mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0 || mnl_socket_sendto(s, nlh, nlh->nlmsg_len) < 0) {
		r = -errno;
	} else {
		ssize_t n = mnl_socket_recvfrom(s, buf, sizeof(buf));
		if (n < 0 || mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, mnl_socket_get_portid(s), NULL, NULL) < 0)
			r = -errno;
	}
	mnl_socket_close(s);
	return r;
}

/* An RTM_NEWLINK request changing an existing link, in buf (zeroed) */
static struct ifinfomsg *link_change(char *buf, uint32_t seq, struct nlmsghdr **nlh)
{
	*nlh = mnl_nlmsg_put_header(buf);
	(*nlh)->nlmsg_type = RTM_NEWLINK;
	(*nlh)->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	(*nlh)->nlmsg_seq = seq;
	return mnl_nlmsg_put_extra_header(*nlh, sizeof(struct ifinfomsg));
}

static int link_up(const char *name)
{
	char buf[256] = { 0 };
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi = link_change(buf, 2, &nlh);
	ifi->ifi_flags = ifi->ifi_change = IFF_UP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return request_once(nlh);
}

int nl_link_alias(int ifindex, const char *alias)
{
	char buf[512] = { 0 };
	struct nlmsghdr *nlh;
	link_change(buf, 3, &nlh)->ifi_index = ifindex;
	/* the alias without its NUL: an empty one removes it */
	mnl_attr_put(nlh, IFLA_IFALIAS, strnlen(alias, NL_ALIAS_MAX - 1), alias);
	return request_once(nlh);
}

int nl_neigh_mcast_reprobes(int ifindex, int family, unsigned probes)
{
	char buf[256] = { 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_SETNEIGHTBL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = 1;
	struct ndtmsg *nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));
	nd->ndtm_family = (uint8_t)family;
	mnl_attr_put_strz(nlh, NDTA_NAME, family == AF_INET ? "arp_cache" : "ndisc_cache");
	struct nlattr *parms = mnl_attr_nest_start(nlh, NDTA_PARMS);
	mnl_attr_put_u32(nlh, NDTPA_IFINDEX, (uint32_t)ifindex);
	mnl_attr_put_u32(nlh, NDTPA_MCAST_REPROBES, probes);
	mnl_attr_nest_end(nlh, parms);
	return request_once(nlh);
}

int nl_veth_add(const char *name, const char *peer)
{
	char buf[512] = { 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
	nlh->nlmsg_seq = 1;
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	struct nlattr *li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	struct nlattr *pe = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
	mnl_attr_nest_end(nlh, pe);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, li);
	int r = request_once(nlh);
	/* up once both ends exist (a veth opened before its peer is
	 * ENOTCONN) */
	if (!r || r == -EEXIST) {
		int u = link_up(peer);
		if (!u)
			u = link_up(name);
		if (u)
			r = u;
	}
	return r;
}

void nl_apply_counts(const struct nl *nl, unsigned long *sends, unsigned long *requests)
{
	*sends = nl->sends;
	*requests = nl->requests;
}

/* One sendmsg of ops[0..cnt) with only the last asking for an ACK. The
 * kernel handles the requests in order inside sendmsg and answers every
 * failed one, so once the last ACK is read every error before it has been.
 * If error reports were lost (receive buffer overrun), every op of the
 * batch counts as failed: the caller then rereads the kernel. */
static size_t apply_batch(struct nl *nl, char *batch, size_t room, const struct kop *ops, size_t n, int *errs,
			  char *errmsg, size_t errlen)
{
	uint32_t portid = mnl_socket_get_portid(nl->req), first = nl->seq + 1;
	size_t cnt = 0, off = 0;
	struct nlmsghdr *last = NULL;

	memset(batch, 0, room); /* zeroed: see above, attribute padding */
	while (cnt < n && off + NL_REQ_MAX <= room) {
		last = nlmsg_build(batch + off, &ops[cnt]);
		last->nlmsg_flags &= (uint16_t)~NLM_F_ACK;
		last->nlmsg_seq = ++nl->seq;
		errs[cnt++] = 0;
		off += NLMSG_ALIGN(last->nlmsg_len);
	}
	last->nlmsg_flags |= NLM_F_ACK;
	errs[cnt - 1] = -ETIMEDOUT;
	nl->sends++;
	nl->requests += cnt;
	if (mnl_socket_sendto(nl->req, batch, off) < 0) {
		int e = -errno;
		for (size_t i = 0; i < cnt; i++)
			errs[i] = e;
		return cnt;
	}
	for (int done = 0; !done;) {
		ssize_t r = mnl_socket_recvfrom(nl->req, nl->req_buf, NL_BUF);
		if (r < 0) {
			int e = -errno; /* ENOBUFS: error reports were lost */
			for (size_t i = 0; i < cnt; i++)
				errs[i] = errs[i] ? errs[i] : e;
			break;
		}
		for (const struct nlmsghdr *h = (const struct nlmsghdr *)nl->req_buf; mnl_nlmsg_ok(h, (int)r);
		     h = mnl_nlmsg_next(h, (int *)&r)) {
			if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_pid != portid)
				continue;
			uint32_t idx = h->nlmsg_seq - first;
			if (idx >= cnt)
				continue; /* an answer to an earlier batch that gave up */
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);
			errs[idx] = e->error;
			if (e->error && errlen && !errmsg[0])
				nlmsg_ack_text(h, errmsg, errlen);
			done |= idx == cnt - 1;
		}
	}
	return cnt;
}

int nl_apply(struct nl *nl, const struct kop *ops, size_t n, int *errs, char *errmsg, size_t errlen)
{
	size_t room = nl->send_max, start = 0;
	if (room > n * NL_REQ_MAX)
		room = n * NL_REQ_MAX;
	char *batch = n ? malloc(room) : NULL;
	int failed = 0;

	if (errlen)
		errmsg[0] = 0;
	if (!batch) {
		for (size_t i = 0; i < n; i++) /* nothing, for n == 0 */
			errs[i] = -ENOMEM;
		return (int)n;
	}
	while (start < n)
		start += apply_batch(nl, batch, room, ops + start, n - start, errs + start, errmsg, errlen);
	for (size_t i = 0; i < n; i++)
		failed += errs[i] != 0;
	free(batch);
	return failed;
}
