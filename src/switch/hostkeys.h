/* The switch agent's judge of a host's handshake (pure): its static key
 * must be a [host NAME]'s, the agent must call itself by that name, and
 * the handshake's timestamp must be newer than the last one accepted for
 * that key, so that a recorded first message cannot be replayed. */
#ifndef OL_HOSTKEYS_H
#define OL_HOSTKEYS_H
#include "conf/config.h"
#include "proto/conn.h"

/* A host refused as a replay: a recorded first message, or (far more
 * often) a host whose clock ran ahead and was set back. The newest
 * timestamp is kept in memory only, as WireGuard does: such a host is
 * refused until its clock passes it again or the switch agent restarts. */
struct hostkeys_replays {
	unsigned long count;
	double gap_s;           /* the last refused handshake: how far behind the newest accepted */
	time_t last;            /* when (wall clock) */
};

struct hostkeys {
	const struct config *cfg;
	uint8_t (*last)[WIRE_TS];       /* per [host NAME], in config order */
	struct hostkeys_replays *replays; /* likewise */
};

int hostkeys_init(struct hostkeys *k, const struct config *c);
/* For a config read again (next): out, with what k knew of each key that
 * stays (the newest timestamp accepted, the replays refused), whatever
 * its place in the new config. 0 or -ENOMEM. */
int hostkeys_carry(struct hostkeys *out, const struct hostkeys *k, const struct config *next);
void hostkeys_free(struct hostkeys *k);
/* 0 with name set; else <0 with *refusal and why (whylen bytes) set. */
int hostkeys_judge(struct hostkeys *k, const uint8_t pub[32], const uint8_t ts[WIRE_TS], const char *claimed,
		   char name[OL_NAME_MAX], enum conn_refusal *refusal, char *why, size_t whylen);
/* TAI64N b minus a, in seconds */
double hostkeys_ts_gap(const uint8_t a[WIRE_TS], const uint8_t b[WIRE_TS]);
#endif
