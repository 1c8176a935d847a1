/* The switch agent's judge of a host's handshake (pure): its static key
 * must be a [host NAME]'s, the agent must call itself by that name, and
 * the handshake's timestamp must be newer than the last one accepted for
 * that key, so that a recorded first message cannot be replayed. */
#ifndef OL_HOSTKEYS_H
#define OL_HOSTKEYS_H
#include "conf/config.h"
#include "proto/conn.h"

struct hostkeys {
	const struct config *cfg;
	uint8_t (*last)[WIRE_TS];       /* per [host NAME], in config order */
};

int hostkeys_init(struct hostkeys *k, const struct config *c);
void hostkeys_free(struct hostkeys *k);
/* 0 with name set; else <0 with *refusal and why (whylen bytes) set. */
int hostkeys_judge(struct hostkeys *k, const uint8_t pub[32], const uint8_t ts[WIRE_TS], const char *claimed,
		   char name[OL_NAME_MAX], enum conn_refusal *refusal, char *why, size_t whylen);
#endif
