/* The Noise protocol framework (noiseprotocol.org, revision 34), the one
 * handshake onlink speaks: Noise_IK_25519_ChaChaPoly_BLAKE2b. Built from
 * libsodium's primitives (X25519, ChaCha20-Poly1305 IETF, BLAKE2b; HMAC and
 * HKDF composed as the specification's section 4.3 says), pure and
 * unit-tested against the published test vectors (tests/unit/vectors/).
 *
 * IK: the initiator (the host agent) knows the responder's (the switch
 * agent's) static key in advance; it sends its own static key encrypted in
 * the first message, so only the responder learns who it is.
 *
 *   <- s
 *   ...
 *   -> e, es, s, ss
 *   <- e, ee, se
 */
#ifndef OL_NOISE_H
#define OL_NOISE_H
#include <stddef.h>
#include <stdint.h>

#define NOISE_KEY 32
#define NOISE_HASH 64
#define NOISE_TAG 16
/* message lengths around a payload of n bytes */
#define NOISE_IK_MSG1(n) (32 + 32 + NOISE_TAG + (n) + NOISE_TAG)
#define NOISE_IK_MSG2(n) (32 + (n) + NOISE_TAG)
/* a CipherState past this many messages is refused (the nonce 2^64-1 is
 * reserved by the specification); onlink rekeys long before */
#define NOISE_NONCE_MAX UINT64_MAX

struct noise_cipher {
	uint8_t k[NOISE_KEY];
	uint64_t n;
	int has_key;
};

struct noise_hs {
	struct noise_cipher cs;
	uint8_t ck[NOISE_HASH], h[NOISE_HASH];
	uint8_t s[NOISE_KEY], s_pub[NOISE_KEY]; /* our static pair */
	uint8_t e[NOISE_KEY], e_pub[NOISE_KEY]; /* our ephemeral pair */
	uint8_t rs[NOISE_KEY], re[NOISE_KEY];   /* the peer's */
	int initiator;
	int step;         /* messages done: 0, 1, 2 */
	int fixed_e;      /* e set by noise_set_ephemeral (tests) */
};

/* The protocol name (it is hashed into every handshake). */
extern const char noise_ik_name[];

/* Starts a handshake. The initiator passes the responder's static public
 * key as rs; the responder passes NULL and learns the initiator's from
 * the first message. */
void noise_ik_init(struct noise_hs *hs, int initiator, const uint8_t *prologue, size_t plen,
		   const uint8_t s[NOISE_KEY], const uint8_t *rs);
/* For the test vectors only: the ephemeral private key to use. */
void noise_set_ephemeral(struct noise_hs *hs, const uint8_t e[NOISE_KEY]);
/* Writes the handshake's next message (with payload) into out; returns its
 * length, or -ENOSPC, or -EINVAL when it is not our turn. */
int noise_write(struct noise_hs *hs, const uint8_t *payload, size_t n, uint8_t *out, size_t cap);
/* Reads the peer's next message; returns the payload's length (written to
 * payload), or -EBADMSG for a message of the wrong length, one that fails
 * to open, or a DH giving the zero point; -EINVAL when it is not its turn.
 * A failed read leaves hs unusable: start another handshake. */
int noise_read(struct noise_hs *hs, const uint8_t *msg, size_t n, uint8_t *payload, size_t cap);
/* After both messages: the transport keys (initiator to responder, and
 * back) and the handshake hash; hs is wiped. */
void noise_split(struct noise_hs *hs, struct noise_cipher *i2r, struct noise_cipher *r2i, uint8_t hash[NOISE_HASH]);
void noise_hs_wipe(struct noise_hs *hs);

/* Transport: AEAD with the CipherState's key and counter as the nonce (4
 * zero bytes, then the counter as 64-bit little-endian). encrypt writes
 * n + NOISE_TAG bytes; decrypt returns the plaintext's length or -EBADMSG
 * (the counter advances only on success). */
int noise_encrypt(struct noise_cipher *c, const uint8_t *ad, size_t adlen, const uint8_t *pt, size_t n, uint8_t *out);
int noise_decrypt(struct noise_cipher *c, const uint8_t *ad, size_t adlen, const uint8_t *ct, size_t n, uint8_t *out);

/* Keys: a fresh X25519 private key, and its public key. */
void noise_keypair(uint8_t priv[NOISE_KEY], uint8_t pub[NOISE_KEY]);
int noise_pubkey(const uint8_t priv[NOISE_KEY], uint8_t pub[NOISE_KEY]);
#endif
