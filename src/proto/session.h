/* Authenticated, encrypted framing after the hello exchange. Keys come from
 * the pre-shared key and both hellos (fresh nonces), one per direction;
 * nonces are frame counters, so a replayed, reordered or forged frame fails
 * to open. */
#ifndef OL_SESSION_H
#define OL_SESSION_H
#include <stddef.h>
#include <stdint.h>

struct session {
	uint8_t tx_key[32], rx_key[32];
	uint64_t tx_seq, rx_seq;
};

void session_derive(struct session *s, const uint8_t psk[32], const uint8_t *switch_hello, size_t sn,
		    const uint8_t *host_hello, size_t hn, int we_are_switch);
/* Writes a whole sealed frame (header + ciphertext); returns its length or -ENOSPC. */
int session_seal(struct session *s, uint8_t *out, size_t cap, const uint8_t *msg, size_t n);
/* frame = header + payload as received; returns message length or -EBADMSG. */
int session_open(struct session *s, const uint8_t *frame, size_t framelen, uint8_t *msg, size_t cap);
void session_wipe(struct session *s);

/* Fast-path datagrams (wire.h): sealed with a key of the switch agent's
 * (random, one per epoch), nonce = seq. dgram_seal writes the whole
 * datagram and returns its length, or -ENOSPC. dgram_open checks the
 * header and tag and returns the message length, with *seq set; -ESRCH for
 * a datagram of another epoch (another switch agent, or one restarted),
 * -EBADMSG for anything else wrong. Ordering is the caller's. */
int dgram_seal(const uint8_t key[32], uint64_t epoch, uint64_t seq, const uint8_t *msg, size_t n, uint8_t *out,
	       size_t cap);
int dgram_open(const uint8_t key[32], uint64_t epoch, const uint8_t *in, size_t len, uint64_t *seq, uint8_t *msg,
	       size_t cap);
#endif
