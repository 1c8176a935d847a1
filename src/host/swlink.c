/* The host agent's sessions with the switch agents: connect with backoff,
 * authenticate, read the messages into each switch's view (swview.c),
 * keepalives, and the fast path the switch agent names. */
#include "host/agent.h"
#include "host/follow.h"
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sodium.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define HANDSHAKE_MS 10000
#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 30000

const char *sw_state_str(enum sw_state st)
{
	switch (st) {
	case SW_UP: return "up";
	case SW_CONNECTING: return "connecting";
	case SW_HANDSHAKE: return "authenticating";
	default: return "down";
	}
}

static void sw_schedule(struct swlink *s)
{
	if (s->cookie_retry == 1) {
		s->cookie_retry = 2; /* at once, and only once */
		timer_arm(&s->retry, 0, 0);
		return;
	}
	s->cookie_retry = 0;
	unsigned jitter = s->backoff_ms / 5 ? randombytes_uniform(s->backoff_ms / 5) : 0;
	timer_arm(&s->retry, s->backoff_ms + jitter, 0);
	s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : s->backoff_ms * 2;
}

/* Closes the socket: a bare one while connecting, the session after. */
static void sw_close(struct swlink *s)
{
	if (s->src.fd < 0)
		return;
	loop_del(&s->src);
	if (s->state == SW_CONNECTING)
		close(s->src.fd);
	else
		conn_fini(&s->c);
	s->src.fd = -1;
}

/* The fast path's key belongs to the session that brought it. */
static void fast_close(struct swlink *s)
{
	if (s->fast.fd < 0)
		return;
	loop_del(&s->fast_src);
	fastrx_close(&s->fast);
}

/* one turn for everything a read brought: asked for here, run by the
 * loop once this wake-up's events are read (hostd.c) */
static void turn_if_changed(struct hostd *h)
{
	if (h->changes.full || h->changes.n)
		hostd_want_turn(h, 0);
}

static void fast_cb(struct loop_src *src, uint32_t events)
{
	struct swlink *s = src->arg;
	struct hostd *h = s->h;
	uint8_t msg[WIRE_DGRAM_MSG_MAX];
	int n;
	(void)events;
	for (int i = 0; i < 64 && (n = fastrx_read(&s->fast, msg, sizeof(msg))) != -EAGAIN; i++) {
		if (n > 0 && swview_datagram(&s->view, msg, (size_t)n, &h->changes)) {
			/* authentic, so the switch agent's: a newer protocol, or a bug */
			s->fast.rejected++;
			log_limited(&h->rl_peer, LOG_WARNING, "switch %s: fast path: a datagram with a message not understood",
				    s->cfg->name);
		}
	}
	turn_if_changed(h);
}

static void fast_open(struct swlink *s, const struct wire_fastpath *f)
{
	char g[ADDR_STRLEN];
	fast_close(s);
	s->fast.info = *f;
	int r = fastrx_open(&s->fast, s->up_ifindex);
	if (r) {
		log_limited(&s->h->rl_peer, LOG_WARNING, "switch %s: fast path: cannot join %s on %s: %s; changes come by the session",
			    s->cfg->name, addr_str(&f->group, g, sizeof(g)), s->uplink, strerror(-r));
		return;
	}
	s->fast_src = (struct loop_src){ .fd = s->fast.fd, .cb = fast_cb, .arg = s };
	if ((r = loop_add(&s->fast_src, EPOLLIN))) {
		fastrx_close(&s->fast);
		log_limited(&s->h->rl_peer, LOG_WARNING, "switch %s: fast path: epoll: %s; changes come by the session",
			    s->cfg->name, strerror(-r));
		return;
	}
	log_info("switch %s: fast path: group %s port %u on %s", s->cfg->name, addr_str(&f->group, g, sizeof(g)),
		 f->port, s->uplink);
}

static void sw_drop(struct swlink *s, const char *why)
{
	struct hostd *h = s->h;
	snprintf(s->why, sizeof(s->why), "%s", why);
	if (s->state == SW_UP)
		log_warn("switch %s (%s): disconnected: %s; keeping its last state", s->cfg->name, s->cfg->connect.text, why);
	else
		log_limited(&h->rl_peer, LOG_WARNING, "switch %s (%s): %s", s->cfg->name, s->cfg->connect.text, why);
	if (s->state == SW_HANDSHAKE && s->cookie_retry != 1)
		s->handshake_failures++;
	if (s->src.fd >= 0 && s->state != SW_CONNECTING)
		s->rekeys += s->c.rekeys;
	timer_stop(&s->rekey_t);
	int was_up = s->state == SW_UP;
	sw_close(s);
	fast_close(s);
	s->state = SW_IDLE;
	swview_drop(&s->view);
	s->since = time(NULL);
	sw_schedule(s);
	if (was_up && s->view.reports.n)
		uplink_reports(h); /* its word on the others counts no more */
}

static int sw_msg(struct conn *c, uint8_t type, const uint8_t *body, size_t n, void *arg, const char **why)
{
	struct swlink *s = arg;
	struct hostd *h = s->h;
	struct wire_fastpath f;
	(void)c;
	int had = s->view.have_snapshot;
	if (type == WM_STEER_TARGETS || type == WM_STEER_OVERRIDE)
		return follow_msg(h, (unsigned)(s - h->sw), type, body, n, why);
	int r = swview_msg(&s->view, type, body, n, &h->changes, &f, why);
	if (r == 1) {
		fast_open(s, &f);
		sodium_memzero(&f, sizeof(f));
		return 0;
	}
	if (r || type != WM_SNAP_END)
		return r;
	log_info("switch %s: snapshot of %zu providers", s->cfg->name, s->view.provs.n);
	if (!had && !h->trusted) {
		unsigned have = 0;
		for (unsigned i = 0; i < h->cfg->host.nswitches; i++)
			have += h->sw[i].view.have_snapshot;
		if (have == h->cfg->host.nswitches) {
			h->ready = h->trusted = 1;
			h->changes.full = 1; /* the turn that follows compares everything */
			if (h->kept_objects || now_ms() - h->started_ms > 5000)
				log_info("every switch agent has given its snapshot: onlink's kernel state follows them again "
					 "(ran on the kernel's state for %lld s)", (long long)(time(NULL) - h->kept_since));
		}
	}
	return 0;
}

static void sw_flush(struct swlink *s)
{
	int r = conn_flush(&s->c);
	if (r < 0) {
		sw_drop(s, strerror(-r));
		return;
	}
	if (r != s->want_out) {
		s->want_out = r;
		loop_mod(&s->src, EPOLLIN | (r ? EPOLLOUT : 0));
	}
}

static void sw_cb(struct loop_src *src, uint32_t events)
{
	struct swlink *s = src->arg;
	struct hostd *h = s->h;
	if (s->state == SW_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);
		getsockopt(src->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err) {
			sw_drop(s, strerror(err));
			return;
		}
		int young = s->cookie_ms && now_ms() - s->cookie_ms < COOKIE_SECRET_MS;
		if (conn_init_host(&s->c, src->fd, h->cfg->name, h->cfg->priv, s->cfg->pub, young ? s->cookie : NULL) < 0) {
			close(src->fd);
			s->src.fd = -1;
			sw_schedule(s);
			s->state = SW_IDLE;
			return;
		}
		s->c.rekey_ms = h->rekey_ms;
		s->state = SW_HANDSHAKE;
		s->want_out = 1;
		loop_mod(&s->src, EPOLLIN | EPOLLOUT);
		sw_flush(s);
		return;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		const char *why = "?";
		int up = 0;
		int r = conn_read(&s->c, sw_msg, s, &up, &why);
		turn_if_changed(h);
		if (r < 0) {
			if (s->c.got_cookie) {
				memcpy(s->cookie, s->c.cookie, sizeof(s->cookie));
				s->cookie_ms = now_ms();
				s->cookies++;
				if (!s->cookie_retry)
					s->cookie_retry = 1;
			}
			sw_drop(s, why);
			return;
		}
		if (up) {
			s->cookie_retry = 0;
			s->state = SW_UP;
			s->since = time(NULL);
			s->backoff_ms = BACKOFF_MIN_MS;
			log_info("switch %s (%s): connected and authenticated", s->cfg->name, s->cfg->connect.text);
			timer_arm(&s->rekey_t, s->c.rekey_ms, 0);
			s->sessions++;
			snprintf(s->agent_name, sizeof(s->agent_name), "%s", s->c.peer_name);
			egress_live_send(h, s); /* what the egress proxy's flows hold */
			s->seen_sent.n = 0;     /* and, at the next turn, the tables it should hold */
		}
		/* its word on the other switches, new or counting again */
		if (s->view.reports_changed || (up && s->view.reports.n)) {
			s->view.reports_changed = 0;
			uplink_reports(h);
		}
	}
	if (s->state != SW_IDLE)
		sw_flush(s);
}

static void sw_connect(struct timer *t)
{
	struct swlink *s = t->arg;
	const struct cfg_endpoint *e = &s->cfg->connect;
	int one = 1;
	int fd = socket(e->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		sw_schedule(s);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	s->src.fd = fd;
	s->state = SW_CONNECTING;
	s->started_ms = now_ms();
	if (connect(fd, (const struct sockaddr *)&e->ss, e->len) < 0 && errno != EINPROGRESS) {
		sw_drop(s, strerror(errno));
		return;
	}
	int r = loop_add(&s->src, EPOLLOUT);
	if (r) {
		close(fd);
		s->src.fd = -1;
		s->state = SW_IDLE;
		snprintf(s->why, sizeof(s->why), "epoll: %s", strerror(-r));
		sw_schedule(s);
	}
}

void swlink_keepalive(struct hostd *h)
{
	uint64_t now = now_ms(), dead = 3000ull * h->cfg->keepalive;
	for (unsigned i = 0; i < h->cfg->host.nswitches; i++) {
		struct swlink *s = &h->sw[i];
		if (s->state == SW_CONNECTING || s->state == SW_HANDSHAKE) {
			if (now - s->started_ms > HANDSHAKE_MS)
				sw_drop(s, "connect/handshake timeout");
		} else if (s->state == SW_UP) {
			if (now - s->c.last_rx_ms > dead)
				sw_drop(s, "keepalive timeout");
			else if (conn_send(&s->c, WM_KEEPALIVE, NULL, 0) < 0)
				sw_drop(s, "output queue full");
			else
				sw_flush(s);
		}
	}
}

/* A new handshake inside the session when its keys are old enough (and a
 * check again while one is in flight: a session whose keys pass
 * CONN_REJECT_MS ends). */
static void sw_rekey(struct timer *t)
{
	struct swlink *s = t->arg;
	uint64_t now = now_ms();
	if (s->state != SW_UP)
		return;
	int due = conn_rekey_due(&s->c, now);
	if (due < 0) {
		sw_drop(s, "session keys expired (the switch agent did not answer the rekey)");
		return;
	}
	if (due && conn_rekey(&s->c) < 0) {
		sw_drop(s, "output queue full");
		return;
	}
	sw_flush(s);
	if (s->state == SW_UP) {
		uint64_t age = now - s->c.keys_ms;
		timer_arm(&s->rekey_t, s->c.hs || age >= s->c.rekey_ms ? 1000 : s->c.rekey_ms - age, 0);
	}
}

int swlink_init(struct swlink *s, struct hostd *h, const struct cfg_switchref *cfg)
{
	int r;
	s->h = h;
	s->cfg = cfg;
	s->src = (struct loop_src){ .fd = -1, .cb = sw_cb, .arg = s };
	s->fast.fd = -1;
	s->backoff_ms = BACKOFF_MIN_MS;
	if ((r = timer_init(&s->retry, sw_connect, s)) || (r = timer_init(&s->rekey_t, sw_rekey, s)))
		return r;
	timer_arm(&s->retry, 0, 0);
	return uplink_init(s);
}

void swlink_fini(struct swlink *s)
{
	sw_close(s);
	fast_close(s);
	timer_fini(&s->retry);
	timer_fini(&s->rekey_t);
	uplink_fini(s);
	swview_free(&s->view);
	vec_free(&s->seen_sent);
}
