/* WireGuard's answer to a flood of first messages (its paper, section
 * 5.4.7), over TCP, with BLAKE2b as the rest of the suite:
 *
 *   mac1 = MAC(HASH("mac1----" | S_sw), header | msg1)
 *   mac2 = MAC(cookie, header | msg1 | mac1), or 16 zero bytes
 *   cookie = MAC(R, the initiator's address), R random, new every 2 min
 *   cookie reply = nonce (24) | XChaCha20-Poly1305(HASH("cookie--" | S_sw),
 *                  nonce, cookie, AD = the mac1 it answers)
 *
 * mac1 is checked before any Diffie-Hellman; under load (switch/loadgate.h)
 * a first message must also carry a mac2 for its source address, else it
 * gets a cookie reply and no DH. Pure functions, unit-tested and fuzzed. */
#ifndef OL_COOKIE_H
#define OL_COOKIE_H
#include <stddef.h>
#include <stdint.h>

#define COOKIE_MAC 16                    /* mac1, mac2, the cookie */
#define COOKIE_MACS (2 * COOKIE_MAC)     /* after a first message */
#define COOKIE_NONCE 24
#define COOKIE_REPLY (COOKIE_NONCE + COOKIE_MAC + 16) /* a cookie reply's payload */
#define COOKIE_SECRET_MS 120000          /* R changes this often; a cookie lives as long */

/* the switch agent's side */
struct cookie_checker {
	uint8_t mac1_key[32], enc_key[32];
	uint8_t secret[32];
	uint64_t secret_ms;              /* when it was drawn; 0: not yet */
};

/* keys from the switch agent's public key */
void cookie_checker_init(struct cookie_checker *ck, const uint8_t pub[32]);
/* 1 if the frame (header, message, mac1, mac2) ends with a good mac1 */
int cookie_mac1_ok(const struct cookie_checker *ck, const uint8_t *frame, size_t len);
/* 1 if its mac2 is the one for a cookie given to addr (now: ms) */
int cookie_mac2_ok(struct cookie_checker *ck, uint64_t now, const uint8_t *addr, size_t alen,
		   const uint8_t *frame, size_t len);
/* the cookie reply to that frame, for addr */
void cookie_reply(struct cookie_checker *ck, uint64_t now, const uint8_t *addr, size_t alen,
		  const uint8_t *frame, size_t len, uint8_t out[COOKIE_REPLY]);

/* the host agent's side: frame has room for both macs at its end (len
 * counts them); cookie: the last one the switch agent gave, or NULL */
void cookie_put_macs(const uint8_t switch_pub[32], const uint8_t *cookie, uint8_t *frame, size_t len);
/* opens a cookie reply to the frame it sent: 0 and the cookie, or -1 */
int cookie_open(const uint8_t switch_pub[32], const uint8_t *sent, size_t sentlen, const uint8_t reply[COOKIE_REPLY],
		uint8_t cookie[COOKIE_MAC]);
#endif
