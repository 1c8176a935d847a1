/* The egress proxy's report of the ports its flows hold (the local API's
 * egress-live), kept and passed on to every switch agent (WM_EGRESS_LIVE):
 * a slice that moves away from this host keeps those ports for it
 * (switch/moves.h). A report not renewed for EGRESS_LIVE_TTL_MS (the proxy
 * stopped) is forgotten, and the switches told so. */
#include "host/agent.h"
#include "base/log.h"
#include "proto/wire.h"
#include <stdlib.h>
#include <string.h>

#define EGRESS_LIVE_TTL_MS 30000

static void send_one(struct swlink *s, const struct api_ports *p)
{
	uint8_t body[WIRE_BODY_MAX];
	int n = wire_live_encode(body, sizeof(body), &p->addr, p->in_use, &p->ports);
	if (n > 0)
		conn_send(&s->c, WM_EGRESS_LIVE, body, (size_t)n);
}

void egress_live_send(struct hostd *h, struct swlink *s)
{
	if (s->state != SW_UP)
		return;
	for (size_t i = 0; i < h->live.n; i++)
		send_one(s, &h->live.v[i]);
	conn_flush(&s->c);
}

/* the new report: what changed (an address gone: reported empty) to every switch */
static void publish(struct hostd *h, struct api_ports *v, size_t n)
{
	for (size_t i = 0; i < h->live.n; i++) {
		size_t k;
		for (k = 0; k < n && addr_cmp(&v[k].addr, &h->live.v[i].addr); k++)
			;
		if (k == n) {
			struct api_ports gone = { .addr = h->live.v[i].addr };
			for (unsigned w = 0; w < h->cfg->host.nswitches; w++)
				if (h->sw[w].state == SW_UP)
					send_one(&h->sw[w], &gone);
		}
	}
	for (size_t k = 0; k < n; k++) {
		size_t i;
		for (i = 0; i < h->live.n && addr_cmp(&v[k].addr, &h->live.v[i].addr); i++)
			;
		if (i < h->live.n && h->live.v[i].in_use == v[k].in_use && ports_equal(&h->live.v[i].ports, &v[k].ports))
			continue;
		for (unsigned w = 0; w < h->cfg->host.nswitches; w++)
			if (h->sw[w].state == SW_UP)
				send_one(&h->sw[w], &v[k]);
	}
	for (unsigned w = 0; w < h->cfg->host.nswitches; w++)
		if (h->sw[w].state == SW_UP)
			conn_flush(&h->sw[w].c);
	free(h->live.v);
	h->live.v = v;
	h->live.n = n;
}

char *egress_live_request(struct hostd *h, const char *line)
{
	struct api_ports *v;
	size_t n;
	const char *why;
	if (api_live_decode(line, &v, &n, &why)) {
		free(v);
		return api_error_encode(why);
	}
	h->live.at_ms = now_ms();
	publish(h, v, n);
	char *out = NULL;
	if (asprintf(&out, "{\"api\":%d,\"reply\":\"egress-live\"}\n", API_VERSION) < 0)
		out = NULL;
	return out;
}

void egress_live_expire(struct hostd *h)
{
	if (h->live.n && now_ms() - h->live.at_ms > EGRESS_LIVE_TTL_MS) {
		log_info("egress proxy: no report of its flows for %d s: forgotten", EGRESS_LIVE_TTL_MS / 1000);
		publish(h, NULL, 0);
	}
}

static int same_slices(const struct ol_egress *a, const struct ol_egress *b)
{
	struct ol_egress x = *a, y = *b;
	x.decided = y.decided = 0;
	return egress_equal(&x, &y);
}

void egress_seen_sync(struct hostd *h)
{
	const struct egset *eg = &h->view.egress;
	for (unsigned w = 0; w < h->cfg->host.nswitches; w++) {
		struct swlink *s = &h->sw[w];
		if (s->state != SW_UP)
			continue;
		int sent = 0;
		for (size_t i = 0; i < eg->n; i++) {
			const struct ol_egress *t = &eg->v[i], *mine = NULL;
			if (!t->decided)
				continue;
			for (size_t k = 0; k < s->view.egress.n && !mine; k++)
				if (!addr_cmp(&s->view.egress.v[k].addr, &t->addr))
					mine = &s->view.egress.v[k];
			/* not its address, its own decision, or what it holds already */
			if (!mine || mine->decided || same_slices(mine, t))
				continue;
			size_t k;
			for (k = 0; k < s->seen_sent.n && !egress_equal(&s->seen_sent.v[k], t); k++)
				;
			if (k < s->seen_sent.n)
				continue; /* told already: its answer (a new table) is on its way */
			uint8_t body[WIRE_BODY_MAX];
			int n = wire_egress_encode(body, sizeof(body), t);
			if (n > 0 && !conn_send(&s->c, WM_EGRESS_SEEN, body, (size_t)n)) {
				egset_put(&s->seen_sent, t);
				sent = 1;
			}
		}
		if (sent)
			conn_flush(&s->c);
	}
}
