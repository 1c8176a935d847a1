/* The uplink to each switch, and whether the switch forwards (live.h): the
 * uplink's carrier from the kernel's link events, and echo requests sent to
 * the switch's `connect` address through the uplink (a raw ICMP socket
 * bound to it), answered by the switch's kernel, not by its agent. */
#include "host/agent.h"
#include "kernel/link.h"
#include <errno.h>
#include <linux/icmp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define ECHO_LEN 16 /* header (8) and a timestamp */

static void echo_close(struct swlink *s)
{
	if (s->echo_src.fd < 0)
		return;
	loop_del(&s->echo_src);
	close(s->echo_src.fd);
	s->echo_src.fd = -1;
}

static void evaluate_turn(struct swlink *s);

static void echo_cb(struct loop_src *src, uint32_t events)
{
	struct swlink *s = src->arg;
	const struct sockaddr_storage *want = &s->cfg->connect.ss;
	uint8_t buf[512];
	(void)events;
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(src->fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (n < 0)
			break;
		const uint8_t *icmp = buf;
		size_t len = (size_t)n;
		if (want->ss_family == AF_INET) {
			/* IPv4 raw sockets read the IP header too */
			size_t ihl = len ? (size_t)(buf[0] & 0x0f) * 4 : 0;
			if (ihl < 20 || len < ihl + ECHO_LEN)
				continue;
			icmp += ihl;
			len -= ihl;
			if (icmp[0] != ICMP_ECHOREPLY ||
			    ((struct sockaddr_in *)&from)->sin_addr.s_addr != ((const struct sockaddr_in *)want)->sin_addr.s_addr)
				continue;
		} else {
			if (len < ECHO_LEN || icmp[0] != ICMP6_ECHO_REPLY ||
			    memcmp(&((struct sockaddr_in6 *)&from)->sin6_addr, &((const struct sockaddr_in6 *)want)->sin6_addr, 16))
				continue;
		}
		if ((uint16_t)(icmp[4] << 8 | icmp[5]) != s->echo_id)
			continue;
		s->echo_answered++;
		s->last_answer_ms = now_ms();
	}
	evaluate_turn(s);
}

/* A raw ICMP socket bound to the uplink, seeing only echo replies. */
static int echo_open(struct swlink *s)
{
	int fam = s->cfg->connect.ss.ss_family;
	int fd = socket(fam, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, fam == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, s->uplink, (socklen_t)strlen(s->uplink) + 1) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	if (fam == AF_INET) {
		struct icmp_filter f = { .data = ~(1u << ICMP_ECHOREPLY) };
		setsockopt(fd, SOL_RAW, ICMP_FILTER, &f, sizeof(f));
	} else {
		struct icmp6_filter f;
		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
		setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f));
	}
	s->echo_src = (struct loop_src){ .fd = fd, .cb = echo_cb, .arg = s };
	int r = loop_add(&s->echo_src, EPOLLIN);
	if (r) {
		close(fd);
		s->echo_src.fd = -1;
	}
	return r;
}

static void echo_send(struct swlink *s)
{
	uint8_t pkt[ECHO_LEN] = { 0 };
	int fam = s->cfg->connect.ss.ss_family;
	if (s->echo_src.fd < 0) {
		int r = echo_open(s);
		if (r) {
			s->echo_errors++;
			log_limited(&s->h->rl_peer, LOG_WARNING, "switch %s: cannot ping it through %s: %s", s->cfg->name,
				    s->uplink, strerror(-r));
			return;
		}
	}
	uint16_t seq = ++s->echo_seq;
	uint64_t t = now_ms();
	pkt[0] = fam == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
	pkt[4] = (uint8_t)(s->echo_id >> 8);
	pkt[5] = (uint8_t)s->echo_id;
	pkt[6] = (uint8_t)(seq >> 8);
	pkt[7] = (uint8_t)seq;
	for (int i = 0; i < 8; i++)
		pkt[8 + i] = (uint8_t)(t >> (56 - 8 * i));
	if (fam == AF_INET) { /* the kernel sums ICMPv6 itself */
		uint16_t c = inet_csum(pkt, sizeof(pkt), 0);
		pkt[2] = (uint8_t)(c >> 8);
		pkt[3] = (uint8_t)c;
	}
	if (sendto(s->echo_src.fd, pkt, sizeof(pkt), MSG_DONTWAIT, (const struct sockaddr *)&s->cfg->connect.ss,
		   s->cfg->connect.len) < 0) {
		s->echo_errors++;
		if (errno == ENODEV || errno == ENXIO)
			echo_close(s); /* the uplink went: bound again when it is back */
		return;
	}
	s->echo_sent++;
}

static void live_cfg(const struct swlink *s, struct live_cfg *c)
{
	/* echoes are evidence once the switch answered one: a switch that never
	 * did since the agent started is not known, not dead (nothing is known
	 * of its providers either), so a start-up finds no false death */
	*c = (struct live_cfg){ .dead_after_ms = s->cfg->dead_after_ms, .hold_down_ms = s->cfg->hold_down_ms,
				.probing = s->cfg->probe_interval_ms != 0 && s->echo_answered,
				.carrier_counts = s->h->cfg->host.multi_uplink };
}

/* Another switch agent, itself forwarding and in session, that says it
 * lost its peer link to this one (the one-L2 design); NULL if none. */
static const char *reported_by(const struct swlink *s)
{
	const struct hostd *h = s->h;
	const char *me = s->agent_name[0] ? s->agent_name : s->cfg->name;
	for (unsigned i = 0; i < h->cfg->host.nswitches; i++) {
		const struct swlink *o = &h->sw[i];
		if (o == s || o->state != SW_UP || o->live.state != LIVE_UP)
			continue;
		const struct swreport *r = vec_name_find(&o->view.reports, me);
		if (r && r->dead)
			return o->cfg->name;
	}
	return NULL;
}

/* 1 when the switch went in or out of use: the caller makes a full turn */
static int evaluate(struct swlink *s)
{
	struct live_cfg c;
	uint64_t now = now_ms();
	live_cfg(s, &c);
	enum live_state before = s->live.state;
	int carrier = s->up_ifindex ? s->carrier : 0;
	if (live_step(&s->live, &c, carrier, s->last_answer_ms, reported_by(s), now)) {
		s->live_since = time(NULL);
		if (s->live.state == LIVE_DEAD)
			log_warn("switch %s: dead (%s): its providers' traffic goes to their backups", s->cfg->name, s->live.why);
		else if (s->live.state == LIVE_HELD)
			log_info("switch %s: forwarding again; its providers wait %u ms (hold-down)", s->cfg->name,
				 s->cfg->hold_down_ms);
		else
			log_info("switch %s: forwarding (%s before)", s->cfg->name, live_state_str(before));
	}
	uint64_t next = live_next_ms(&s->live, &c, s->last_answer_ms);
	if (next != UINT64_MAX)
		timer_arm(&s->live_t, next > now ? next - now : 1, 0);
	/* held and dead are alike to the merge: only the way in and out of
	 * being used is a turn */
	return (before == LIVE_UP) != (s->live.state == LIVE_UP);
}

static void evaluate_turn(struct swlink *s)
{
	if (evaluate(s))
		hostd_want_turn(s->h, 1);
}

static void echo_fire(struct timer *t)
{
	struct swlink *s = t->arg;
	echo_send(s);
	evaluate_turn(s);
}

static void live_fire(struct timer *t)
{
	evaluate_turn(t->arg);
}

int uplink_init(struct swlink *s)
{
	s->uplink = cfg_switch_uplink(&s->h->cfg->host, s->cfg);
	s->up_ifindex = link_index(s->uplink);
	s->carrier = link_carrier(s->uplink);
	s->echo_src.fd = -1;
	s->echo_id = (uint16_t)randombytes_uniform(65536);
	s->last_answer_ms = now_ms(); /* dead-after from the start */
	s->live_since = time(NULL);
	live_init(&s->live, s->last_answer_ms);
	if (!s->up_ifindex)
		log_warn("switch %s: uplink %s not present yet", s->cfg->name, s->uplink);
	int r;
	if ((r = timer_init(&s->echo_t, echo_fire, s)) || (r = timer_init(&s->live_t, live_fire, s)))
		return r;
	if (s->cfg->probe_interval_ms)
		timer_arm(&s->echo_t, 0, s->cfg->probe_interval_ms);
	return 0;
}

void uplink_fini(struct swlink *s)
{
	echo_close(s);
	timer_fini(&s->echo_t);
	timer_fini(&s->live_t);
}

void uplink_link_event(struct hostd *h, const struct nl_event *ev)
{
	for (unsigned i = 0; i < h->cfg->host.nswitches; i++) {
		struct swlink *s = &h->sw[i];
		int idx = s->up_ifindex, carrier = s->carrier;
		if (!strcmp(ev->link.name, s->uplink)) {
			idx = ev->deleted ? 0 : ev->link.ifindex;
			carrier = ev->link.up;
		} else if (ev->link.ifindex == s->up_ifindex && s->up_ifindex) {
			idx = 0; /* deleted, or renamed away */
		}
		if (idx == s->up_ifindex && carrier == s->carrier)
			continue;
		if (idx != s->up_ifindex) {
			log_info("switch %s: uplink %s is %s", s->cfg->name, s->uplink, idx ? "present" : "gone");
			echo_close(s);
			h->upsteer_dirty = 1;
		}
		s->up_ifindex = idx;
		s->carrier = carrier;
		/* inside the walk of a batch of events: the turn comes after it */
		if (evaluate(s))
			h->k.ev_update = 1;
	}
}

/* A resync after an overrun: the uplinks as the kernel has them now. */
void uplink_refresh(struct hostd *h)
{
	for (unsigned i = 0; i < h->cfg->host.nswitches; i++) {
		struct swlink *s = &h->sw[i];
		s->up_ifindex = link_index(s->uplink);
		s->carrier = link_carrier(s->uplink);
		h->upsteer_dirty = 1;
		if (evaluate(s))
			h->k.ev_update = 1;
	}
}

void uplink_reports(struct hostd *h)
{
	int turn = 0;
	for (unsigned i = 0; i < h->cfg->host.nswitches; i++)
		turn |= evaluate(&h->sw[i]);
	if (turn)
		hostd_want_turn(h, 1);
}

int uplink_dead(const struct hostd *h, uint8_t *dead)
{
	unsigned n = h->cfg->host.nswitches, ndead = 0;
	for (unsigned i = 0; i < n; i++) {
		dead[i] = h->sw[i].live.state != LIVE_UP;
		ndead += dead[i];
	}
	/* every switch dead says more about this host than about the
	 * switches, and there is nothing to move to: none is held dead */
	if (ndead == n)
		memset(dead, 0, n);
	return ndead == n ? 0 : (int)ndead;
}
