/* mac1, mac2 and cookie replies (cookie.h): WireGuard's, over TCP. */
#include "proto/cookie.h"
#include <sodium.h>
#include <string.h>

static void label_hash(const char label[8], const uint8_t pub[32], uint8_t out[32])
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, (const uint8_t *)label, 8);
	crypto_generichash_update(&st, pub, 32);
	crypto_generichash_final(&st, out, 32);
}

static void mac(const uint8_t *key, size_t klen, const uint8_t *in, size_t n, uint8_t out[COOKIE_MAC])
{
	crypto_generichash(out, COOKIE_MAC, in, n, key, klen);
}

void cookie_checker_init(struct cookie_checker *ck, const uint8_t pub[32])
{
	memset(ck, 0, sizeof(*ck));
	label_hash("mac1----", pub, ck->mac1_key);
	label_hash("cookie--", pub, ck->enc_key);
}

int cookie_mac1_ok(const struct cookie_checker *ck, const uint8_t *frame, size_t len)
{
	uint8_t m[COOKIE_MAC];
	if (len < COOKIE_MACS)
		return 0;
	mac(ck->mac1_key, 32, frame, len - COOKIE_MACS, m);
	return !crypto_verify_16(m, frame + len - COOKIE_MACS);
}

/* the cookie for addr under the current R (drawn anew when it is old) */
static void cookie_of(struct cookie_checker *ck, uint64_t now, const uint8_t *addr, size_t alen,
		      uint8_t out[COOKIE_MAC])
{
	if (!ck->secret_ms || now - ck->secret_ms >= COOKIE_SECRET_MS) {
		randombytes_buf(ck->secret, sizeof(ck->secret));
		ck->secret_ms = now ? now : 1;
	}
	mac(ck->secret, sizeof(ck->secret), addr, alen, out);
}

int cookie_mac2_ok(struct cookie_checker *ck, uint64_t now, const uint8_t *addr, size_t alen,
		   const uint8_t *frame, size_t len)
{
	uint8_t cookie[COOKIE_MAC], m[COOKIE_MAC];
	if (len < COOKIE_MACS)
		return 0;
	cookie_of(ck, now, addr, alen, cookie);
	mac(cookie, sizeof(cookie), frame, len - COOKIE_MAC, m);
	sodium_memzero(cookie, sizeof(cookie));
	return !crypto_verify_16(m, frame + len - COOKIE_MAC);
}

void cookie_reply(struct cookie_checker *ck, uint64_t now, const uint8_t *addr, size_t alen,
		  const uint8_t *frame, size_t len, uint8_t out[COOKIE_REPLY])
{
	uint8_t cookie[COOKIE_MAC];
	cookie_of(ck, now, addr, alen, cookie);
	randombytes_buf(out, COOKIE_NONCE);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + COOKIE_NONCE, NULL, cookie, sizeof(cookie),
						   frame + len - COOKIE_MACS, COOKIE_MAC, NULL, out, ck->enc_key);
	sodium_memzero(cookie, sizeof(cookie));
}

void cookie_put_macs(const uint8_t switch_pub[32], const uint8_t *cookie, uint8_t *frame, size_t len)
{
	uint8_t key[32];
	label_hash("mac1----", switch_pub, key);
	mac(key, sizeof(key), frame, len - COOKIE_MACS, frame + len - COOKIE_MACS);
	if (cookie)
		mac(cookie, COOKIE_MAC, frame, len - COOKIE_MAC, frame + len - COOKIE_MAC);
	else
		memset(frame + len - COOKIE_MAC, 0, COOKIE_MAC);
}

int cookie_open(const uint8_t switch_pub[32], const uint8_t *sent, size_t sentlen, const uint8_t reply[COOKIE_REPLY],
		uint8_t cookie[COOKIE_MAC])
{
	uint8_t key[32];
	if (sentlen < COOKIE_MACS)
		return -1;
	label_hash("cookie--", switch_pub, key);
	int r = crypto_aead_xchacha20poly1305_ietf_decrypt(cookie, NULL, NULL, reply + COOKIE_NONCE,
							   COOKIE_REPLY - COOKIE_NONCE, sent + sentlen - COOKIE_MACS,
							   COOKIE_MAC, reply, key);
	sodium_memzero(key, sizeof(key));
	return r ? -1 : 0;
}
