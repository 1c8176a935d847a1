/* The kernel's route for a destination (route.h). */
#include "kernel/route.h"
#include "kernel/nlmsg.h"
#include <errno.h>
#include <stdint.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <unistd.h>

static int put_addr(struct ol_addr *a, int family, const struct nlattr *at)
{
	size_t n = family == AF_INET ? 4 : 16;
	if (mnl_attr_get_payload_len(at) != n)
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	a->family = (uint8_t)family;
	memcpy(a->bytes, mnl_attr_get_payload(at), n);
	return 0;
}

/* RTA_VIA: a next hop of another family (an IPv4 route via an IPv6 address) */
static int put_via(struct ol_addr *a, const struct nlattr *at)
{
	const struct rtvia *v = mnl_attr_get_payload(at);
	size_t len = mnl_attr_get_payload_len(at);
	if (len < sizeof(*v))
		return -EINVAL;
	int fam = v->rtvia_family;
	size_t n = fam == AF_INET ? 4 : fam == AF_INET6 ? 16 : 0;
	if (!n || len < sizeof(*v) + n)
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	a->family = (uint8_t)fam;
	memcpy(a->bytes, v->rtvia_addr, n);
	return 0;
}

/* the attributes of a next hop inside RTA_MULTIPATH */
static int hop_attrs(struct route_hop *h, int family, const void *p, size_t len)
{
	const struct nlattr *at;
	for (at = p; mnl_attr_ok(at, (int)((const char *)p + len - (const char *)at)); at = mnl_attr_next(at)) {
		if (mnl_attr_get_type(at) == RTA_GATEWAY && put_addr(&h->gw, family, at))
			return -EINVAL;
		if (mnl_attr_get_type(at) == RTA_VIA && put_via(&h->gw, at))
			return -EINVAL;
	}
	return 0;
}

int route_parse(const void *msg, size_t len, struct route_info *out)
{
	const struct nlmsghdr *nlh = msg;
	memset(out, 0, sizeof(*out));
	/* the length checked unsigned: mnl_nlmsg_ok() compares it as an int,
	 * and takes a length past 2^31 for a short one (found by fuzzing) */
	if (len < sizeof(*nlh) || len > INT32_MAX || nlh->nlmsg_len > len ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct rtmsg)) || nlh->nlmsg_type != RTM_NEWROUTE)
		return -EINVAL;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	int fam = rtm->rtm_family;
	if ((fam != AF_INET && fam != AF_INET6) || rtm->rtm_dst_len > (fam == AF_INET ? 32 : 128))
		return -EINVAL;
	out->dst_len = rtm->rtm_dst_len;
	out->dst.family = (uint8_t)fam;
	out->table = rtm->rtm_table;
	out->protocol = rtm->rtm_protocol;
	out->type = rtm->rtm_type;
	struct route_hop one = { .oif = 0 };
	int have_one = 0;
	const struct nlattr *at;
	nlmsg_attr_for_each(at, nlh, sizeof(*rtm)) {
		switch (mnl_attr_get_type(at)) {
		case RTA_DST:
			if (put_addr(&out->dst, fam, at))
				return -EINVAL;
			break;
		case RTA_TABLE:
			if (mnl_attr_validate(at, MNL_TYPE_U32) < 0)
				return -EINVAL;
			out->table = mnl_attr_get_u32(at);
			break;
		case RTA_GATEWAY:
			if (put_addr(&one.gw, fam, at))
				return -EINVAL;
			have_one = 1;
			break;
		case RTA_VIA:
			if (put_via(&one.gw, at))
				return -EINVAL;
			have_one = 1;
			break;
		case RTA_OIF:
			if (mnl_attr_validate(at, MNL_TYPE_U32) < 0)
				return -EINVAL;
			one.oif = (int)mnl_attr_get_u32(at);
			have_one = 1;
			break;
		case RTA_MULTIPATH: {
			const char *p = mnl_attr_get_payload(at), *end = p + mnl_attr_get_payload_len(at);
			while (p + sizeof(struct rtnexthop) <= end) {
				const struct rtnexthop *nh = (const struct rtnexthop *)p;
				if (nh->rtnh_len < sizeof(*nh) || p + nh->rtnh_len > end)
					return -EINVAL;
				if (out->nhops < ROUTE_HOPS_MAX) {
					struct route_hop *h = &out->hops[out->nhops++];
					memset(h, 0, sizeof(*h));
					h->oif = nh->rtnh_ifindex;
					if (hop_attrs(h, fam, RTNH_DATA(nh), nh->rtnh_len - sizeof(*nh)))
						return -EINVAL;
				}
				p += RTNH_ALIGN(nh->rtnh_len);
			}
			break;
		}
		}
	}
	if (!out->nhops && have_one)
		out->hops[out->nhops++] = one;
	return 0;
}

int route_get(const struct ol_addr *a, uint32_t mark, int fib_match, struct route_info *out)
{
	char buf[8192];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = 1;
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = a->family;
	rtm->rtm_dst_len = a->family == AF_INET ? 32 : 128;
	rtm->rtm_flags = fib_match ? RTM_F_FIB_MATCH : 0;
	mnl_attr_put(nlh, RTA_DST, a->family == AF_INET ? 4 : 16, a->bytes);
	if (mark)
		mnl_attr_put_u32(nlh, RTA_MARK, mark);
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl)
		return -errno;
	int r = -EIO;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 || mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		r = -errno;
		goto out;
	}
	ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0) {
		r = -errno;
		goto out;
	}
	nlh = (struct nlmsghdr *)buf;
	if (n >= (ssize_t)sizeof(*nlh) && nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
		r = e->error ? e->error : -EIO;
		goto out;
	}
	r = route_parse(buf, (size_t)n, out);
out:
	mnl_socket_close(nl);
	return r;
}
