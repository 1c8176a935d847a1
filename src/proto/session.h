/* Sealed framing after the Noise handshake (proto/noise.h): one
 * CipherState per direction; nonces are frame counters, so a replayed,
 * reordered, reflected or forged frame fails to open. And the fast path's
 * datagrams, signed by the switch agent. */
#ifndef OL_SESSION_H
#define OL_SESSION_H
#include "proto/noise.h"
#include <stddef.h>
#include <stdint.h>

struct session {
	struct noise_cipher tx, rx;
};

/* Writes a whole sealed frame (header + ciphertext); returns its length,
 * -ENOSPC, or -EOVERFLOW when the counter is spent. */
int session_seal(struct session *s, uint8_t *out, size_t cap, const uint8_t *msg, size_t n);
/* frame = header + payload as received; returns message length or -EBADMSG. */
int session_open(struct session *s, const uint8_t *frame, size_t framelen, uint8_t *msg, size_t cap);
void session_wipe(struct session *s);

/* Fast-path datagrams (wire.h), signed with the switch agent's Ed25519 key
 * of this epoch (random, one per agent start; the hosts have its public
 * half from their sessions). dgram_sign writes the whole datagram and
 * returns its length, or -ENOSPC. dgram_verify checks the header and the
 * signature and returns the messages' length, with *msg pointing at them
 * in the datagram and *seq set; -ESRCH for a datagram of another epoch
 * (another switch agent, or one restarted), -EBADMSG for anything else
 * wrong. Ordering is the caller's. */
int dgram_sign(const uint8_t sk[64], uint64_t epoch, uint64_t seq, const uint8_t *msg, size_t n, uint8_t *out,
	       size_t cap);
int dgram_verify(const uint8_t pk[32], uint64_t epoch, const uint8_t *in, size_t len, uint64_t *seq,
		 const uint8_t **msg);
#endif
