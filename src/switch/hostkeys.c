/* Which host a handshake comes from, and whether to believe it. */
#include "switch/hostkeys.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int hostkeys_init(struct hostkeys *k, const struct config *c)
{
	k->cfg = c;
	k->last = calloc(c->sw.nhosts ? c->sw.nhosts : 1, sizeof(*k->last));
	return k->last ? 0 : -ENOMEM;
}

void hostkeys_free(struct hostkeys *k)
{
	free(k->last);
	k->last = NULL;
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
	uint8_t *last = k->last[h - k->cfg->sw.hosts];
	if (memcmp(ts, last, WIRE_TS) <= 0) {
		*refusal = CONN_REPLAY;
		snprintf(why, whylen, "refused: a handshake of host '%s' no newer than its last (a replay?)", h->name);
		return -1;
	}
	memcpy(last, ts, WIRE_TS);
	snprintf(name, OL_NAME_MAX, "%s", h->name);
	return 0;
}
