/* Which host a handshake comes from, and whether to believe it. */
#include "switch/hostkeys.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double hostkeys_ts_gap(const uint8_t a[WIRE_TS], const uint8_t b[WIRE_TS])
{
	uint64_t sa = 0, sb = 0;
	uint32_t na = 0, nb = 0;
	for (int i = 0; i < 8; i++) {
		sa = sa << 8 | a[i];
		sb = sb << 8 | b[i];
	}
	for (int i = 8; i < 12; i++) {
		na = na << 8 | a[i];
		nb = nb << 8 | b[i];
	}
	/* the difference in integers: TAI64's 2^62 offset leaves a double no
	 * precision for seconds */
	return (double)(int64_t)(sb - sa) + ((double)nb - (double)na) / 1e9;
}

int hostkeys_init(struct hostkeys *k, const struct config *c)
{
	k->cfg = c;
	k->last = calloc(c->sw.nhosts ? c->sw.nhosts : 1, sizeof(*k->last));
	k->replays = calloc(c->sw.nhosts ? c->sw.nhosts : 1, sizeof(*k->replays));
	return k->last && k->replays ? 0 : -ENOMEM;
}

int hostkeys_carry(struct hostkeys *out, const struct hostkeys *k, const struct config *next)
{
	if (hostkeys_init(out, next))
		return hostkeys_free(out), -ENOMEM;
	for (unsigned j = 0; j < next->sw.nhosts; j++) {
		const struct cfg_peerkey *h = config_host_by_key(k->cfg, next->sw.hosts[j].pub);
		if (!h)
			continue;
		size_t hi = (size_t)(h - k->cfg->sw.hosts);
		memcpy(out->last[j], k->last[hi], WIRE_TS);
		out->replays[j] = k->replays[hi];
	}
	return 0;
}

void hostkeys_free(struct hostkeys *k)
{
	free(k->last);
	free(k->replays);
	k->last = NULL;
	k->replays = NULL;
}

int hostkeys_judge(struct hostkeys *k, const uint8_t pub[32], const uint8_t ts[WIRE_TS], const char *claimed,
		   char name[OL_NAME_MAX], enum conn_refusal *refusal, char *why, size_t whylen)
{
	const struct cfg_peerkey *h = config_host_by_key(k->cfg, pub);
	char ks[16];
	conn_keystr(pub, ks);
	if (!h) {
		*refusal = CONN_UNKNOWN_KEY;
		snprintf(why, whylen, "refused: public key %s (calling itself '%s') is no [host NAME]'s", ks, claimed);
		return -1;
	}
	if (strcmp(claimed, h->name)) {
		*refusal = CONN_WRONG_NAME;
		snprintf(why, whylen, "refused: the key of host '%s' (%s), from an agent calling itself '%s'", h->name, ks,
			 claimed);
		return -1;
	}
	size_t hi = (size_t)(h - k->cfg->sw.hosts);
	uint8_t *last = k->last[hi];
	if (memcmp(ts, last, WIRE_TS) <= 0) {
		struct hostkeys_replays *r = &k->replays[hi];
		*refusal = CONN_REPLAY;
		r->count++;
		r->gap_s = hostkeys_ts_gap(ts, last);
		r->last = time(NULL);
		snprintf(why, whylen, "refused: a handshake of host '%s' %.3f s older than its last accepted (a replay, or "
			 "its clock was set back: refused until it passes that time again or this agent restarts)",
			 h->name, r->gap_s);
		return -1;
	}
	memcpy(last, ts, WIRE_TS);
	snprintf(name, OL_NAME_MAX, "%s", h->name);
	return 0;
}
