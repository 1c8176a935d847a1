/* Noise_IK_25519_ChaChaPoly_BLAKE2b from libsodium's primitives. The names
 * follow the specification's (sections 5.1 to 5.3, 7.5 for IK). */
#include "proto/noise.h"
#include <errno.h>
#include <sodium.h>
#include <string.h>

const char noise_ik_name[] = "Noise_IK_25519_ChaChaPoly_BLAKE2b";

#define BLOCKLEN 128

static void hash2(uint8_t out[NOISE_HASH], const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	crypto_generichash_blake2b_state st;
	crypto_generichash_blake2b_init(&st, NULL, 0, NOISE_HASH);
	crypto_generichash_blake2b_update(&st, a, an);
	if (bn)
		crypto_generichash_blake2b_update(&st, b, bn);
	crypto_generichash_blake2b_final(&st, out, NOISE_HASH);
}

/* HMAC (RFC 2104) over BLAKE2b, as the specification defines it: key of
 * HASHLEN bytes, zero-padded to BLOCKLEN. */
static void hmac(uint8_t out[NOISE_HASH], const uint8_t key[NOISE_HASH], const uint8_t *d1, size_t n1,
		 const uint8_t *d2, size_t n2)
{
	uint8_t pad[BLOCKLEN], inner[NOISE_HASH];
	crypto_generichash_blake2b_state st;

	memset(pad, 0x36, sizeof(pad));
	for (int i = 0; i < NOISE_HASH; i++)
		pad[i] ^= key[i];
	crypto_generichash_blake2b_init(&st, NULL, 0, NOISE_HASH);
	crypto_generichash_blake2b_update(&st, pad, sizeof(pad));
	crypto_generichash_blake2b_update(&st, d1, n1);
	if (n2)
		crypto_generichash_blake2b_update(&st, d2, n2);
	crypto_generichash_blake2b_final(&st, inner, sizeof(inner));
	memset(pad, 0x5c, sizeof(pad));
	for (int i = 0; i < NOISE_HASH; i++)
		pad[i] ^= key[i];
	hash2(out, pad, sizeof(pad), inner, sizeof(inner));
	sodium_memzero(pad, sizeof(pad));
	sodium_memzero(inner, sizeof(inner));
}

/* HKDF(ck, ikm) with two outputs (section 4.3) */
static void hkdf2(const uint8_t ck[NOISE_HASH], const uint8_t *ikm, size_t n, uint8_t o1[NOISE_HASH],
		  uint8_t o2[NOISE_HASH])
{
	static const uint8_t one = 1, two = 2;
	uint8_t tk[NOISE_HASH];
	hmac(tk, ck, ikm, n, NULL, 0);
	hmac(o1, tk, &one, 1, NULL, 0);
	hmac(o2, tk, o1, NOISE_HASH, &two, 1);
	sodium_memzero(tk, sizeof(tk));
}

static void nonce(uint8_t out[crypto_aead_chacha20poly1305_IETF_NPUBBYTES], uint64_t n)
{
	memset(out, 0, crypto_aead_chacha20poly1305_IETF_NPUBBYTES);
	for (int i = 0; i < 8; i++)
		out[4 + i] = (uint8_t)(n >> (8 * i));
}

int noise_encrypt(struct noise_cipher *c, const uint8_t *ad, size_t adlen, const uint8_t *pt, size_t n, uint8_t *out)
{
	uint8_t nb[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
	if (c->n == NOISE_NONCE_MAX)
		return -EOVERFLOW;
	nonce(nb, c->n++);
	crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL, pt, n, ad, adlen, NULL, nb, c->k);
	return (int)(n + NOISE_TAG);
}

int noise_decrypt(struct noise_cipher *c, const uint8_t *ad, size_t adlen, const uint8_t *ct, size_t n, uint8_t *out)
{
	uint8_t nb[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
	if (n < NOISE_TAG || c->n == NOISE_NONCE_MAX)
		return -EBADMSG;
	nonce(nb, c->n);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(out, NULL, NULL, ct, n, ad, adlen, nb, c->k))
		return -EBADMSG;
	c->n++;
	return (int)(n - NOISE_TAG);
}

static void mix_hash(struct noise_hs *hs, const uint8_t *d, size_t n)
{
	hash2(hs->h, hs->h, NOISE_HASH, d, n);
}

static void mix_key(struct noise_hs *hs, const uint8_t *ikm, size_t n)
{
	uint8_t tk[NOISE_HASH];
	hkdf2(hs->ck, ikm, n, hs->ck, tk);
	memcpy(hs->cs.k, tk, NOISE_KEY);
	hs->cs.n = 0;
	hs->cs.has_key = 1;
	sodium_memzero(tk, sizeof(tk));
}

/* DH and MixKey; -1 for the zero point (a low-order public key) */
static int mix_dh(struct noise_hs *hs, const uint8_t priv[NOISE_KEY], const uint8_t pub[NOISE_KEY])
{
	uint8_t shared[NOISE_KEY];
	if (crypto_scalarmult(shared, priv, pub))
		return -1;
	mix_key(hs, shared, sizeof(shared));
	sodium_memzero(shared, sizeof(shared));
	return 0;
}

/* EncryptAndHash: out gets n (+ NOISE_TAG once keyed) bytes */
static size_t encrypt_hash(struct noise_hs *hs, const uint8_t *pt, size_t n, uint8_t *out)
{
	size_t len = n;
	if (hs->cs.has_key)
		len = (size_t)noise_encrypt(&hs->cs, hs->h, NOISE_HASH, pt, n, out);
	else
		memmove(out, pt, n);
	mix_hash(hs, out, len);
	return len;
}

static int decrypt_hash(struct noise_hs *hs, const uint8_t *ct, size_t n, uint8_t *out)
{
	int len = (int)n;
	if (hs->cs.has_key)
		len = noise_decrypt(&hs->cs, hs->h, NOISE_HASH, ct, n, out);
	else
		memmove(out, ct, n);
	if (len >= 0)
		mix_hash(hs, ct, n);
	return len;
}

void noise_ik_init(struct noise_hs *hs, int initiator, const uint8_t *prologue, size_t plen,
		   const uint8_t s[NOISE_KEY], const uint8_t *rs)
{
	memset(hs, 0, sizeof(*hs));
	hs->initiator = initiator;
	/* the name is shorter than HASHLEN: zero-padded, not hashed */
	memcpy(hs->h, noise_ik_name, sizeof(noise_ik_name) - 1);
	memcpy(hs->ck, hs->h, NOISE_HASH);
	mix_hash(hs, prologue, plen);
	memcpy(hs->s, s, NOISE_KEY);
	crypto_scalarmult_base(hs->s_pub, hs->s);
	if (initiator)
		memcpy(hs->rs, rs, NOISE_KEY);
	/* the pre-message: the responder's static key */
	mix_hash(hs, initiator ? hs->rs : hs->s_pub, NOISE_KEY);
}

void noise_set_ephemeral(struct noise_hs *hs, const uint8_t e[NOISE_KEY])
{
	memcpy(hs->e, e, NOISE_KEY);
	hs->fixed_e = 1;
}

static void new_ephemeral(struct noise_hs *hs)
{
	if (!hs->fixed_e)
		randombytes_buf(hs->e, NOISE_KEY);
	crypto_scalarmult_base(hs->e_pub, hs->e);
}

int noise_write(struct noise_hs *hs, const uint8_t *payload, size_t n, uint8_t *out, size_t cap)
{
	size_t off = 0;
	if (hs->step != (hs->initiator ? 0 : 1))
		return -EINVAL;
	if (cap < (hs->initiator ? NOISE_IK_MSG1(n) : NOISE_IK_MSG2(n)))
		return -ENOSPC;
	new_ephemeral(hs);
	memcpy(out, hs->e_pub, NOISE_KEY); /* e */
	off = NOISE_KEY;
	mix_hash(hs, hs->e_pub, NOISE_KEY);
	if (hs->initiator) {
		if (mix_dh(hs, hs->e, hs->rs)) /* es */
			return -EBADMSG;
		off += encrypt_hash(hs, hs->s_pub, NOISE_KEY, out + off); /* s */
		if (mix_dh(hs, hs->s, hs->rs)) /* ss */
			return -EBADMSG;
	} else {
		if (mix_dh(hs, hs->e, hs->re) || mix_dh(hs, hs->e, hs->rs)) /* ee, se */
			return -EBADMSG;
	}
	off += encrypt_hash(hs, payload, n, out + off);
	hs->step++;
	return (int)off;
}

int noise_read(struct noise_hs *hs, const uint8_t *msg, size_t n, uint8_t *payload, size_t cap)
{
	size_t fixed = hs->initiator ? NOISE_IK_MSG2(0) : NOISE_IK_MSG1(0), off = NOISE_KEY;
	uint8_t rs[NOISE_KEY + NOISE_TAG];
	if (hs->step != (hs->initiator ? 1 : 0))
		return -EINVAL;
	if (n < fixed || n - fixed > cap)
		return -EBADMSG;
	hs->step = -1; /* unusable unless it succeeds */
	memcpy(hs->re, msg, NOISE_KEY); /* e */
	mix_hash(hs, hs->re, NOISE_KEY);
	if (!hs->initiator) {
		if (mix_dh(hs, hs->s, hs->re)) /* es */
			return -EBADMSG;
		if (decrypt_hash(hs, msg + off, NOISE_KEY + NOISE_TAG, rs) < 0) /* s */
			return -EBADMSG;
		memcpy(hs->rs, rs, NOISE_KEY);
		off += NOISE_KEY + NOISE_TAG;
		if (mix_dh(hs, hs->s, hs->rs)) /* ss */
			return -EBADMSG;
	} else {
		if (mix_dh(hs, hs->e, hs->re) || mix_dh(hs, hs->s, hs->re)) /* ee, se */
			return -EBADMSG;
	}
	int len = decrypt_hash(hs, msg + off, n - off, payload);
	if (len < 0)
		return -EBADMSG;
	hs->step = 2 - !hs->initiator; /* responder: 1 (its turn), initiator: 2 */
	return len;
}

void noise_split(struct noise_hs *hs, struct noise_cipher *i2r, struct noise_cipher *r2i, uint8_t hash[NOISE_HASH])
{
	uint8_t k1[NOISE_HASH], k2[NOISE_HASH];
	hkdf2(hs->ck, NULL, 0, k1, k2);
	memset(i2r, 0, sizeof(*i2r));
	memset(r2i, 0, sizeof(*r2i));
	memcpy(i2r->k, k1, NOISE_KEY);
	memcpy(r2i->k, k2, NOISE_KEY);
	i2r->has_key = r2i->has_key = 1;
	if (hash)
		memcpy(hash, hs->h, NOISE_HASH);
	sodium_memzero(k1, sizeof(k1));
	sodium_memzero(k2, sizeof(k2));
	noise_hs_wipe(hs);
}

void noise_hs_wipe(struct noise_hs *hs)
{
	sodium_memzero(hs, sizeof(*hs));
}

void noise_keypair(uint8_t priv[NOISE_KEY], uint8_t pub[NOISE_KEY])
{
	randombytes_buf(priv, NOISE_KEY);
	crypto_scalarmult_base(pub, priv);
}

int noise_pubkey(const uint8_t priv[NOISE_KEY], uint8_t pub[NOISE_KEY])
{
	return crypto_scalarmult_base(pub, priv);
}
