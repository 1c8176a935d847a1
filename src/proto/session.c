/* Session keys and AEAD framing (libsodium: BLAKE2b keyed with the PSK for
 * key derivation, ChaCha20-Poly1305 IETF for frames). */
#include "proto/session.h"
#include "proto/wire.h"
#include <errno.h>
#include <sodium.h>
#include <string.h>

void session_derive(struct session *s, const uint8_t psk[32], const uint8_t *switch_hello, size_t sn,
		    const uint8_t *host_hello, size_t hn, int we_are_switch)
{
	static const char label[] = "onlink v2 session keys";
	crypto_generichash_state st;
	uint8_t out[64];

	crypto_generichash_init(&st, psk, 32, sizeof(out));
	crypto_generichash_update(&st, (const uint8_t *)label, sizeof(label));
	crypto_generichash_update(&st, switch_hello, sn);
	crypto_generichash_update(&st, host_hello, hn);
	crypto_generichash_final(&st, out, sizeof(out));
	/* first half: switch to host; second half: host to switch */
	memcpy(we_are_switch ? s->tx_key : s->rx_key, out, 32);
	memcpy(we_are_switch ? s->rx_key : s->tx_key, out + 32, 32);
	s->tx_seq = s->rx_seq = 0;
	sodium_memzero(out, sizeof(out));
}

static void seq_nonce(uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES], uint64_t seq)
{
	memset(nonce, 0, crypto_aead_chacha20poly1305_IETF_NPUBBYTES);
	for (int i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(seq >> (8 * i));
}

int session_seal(struct session *s, uint8_t *out, size_t cap, const uint8_t *msg, size_t n)
{
	uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
	unsigned long long clen;

	if (n > WIRE_MSG_MAX || cap < WIRE_HDR + n + WIRE_TAG)
		return -ENOSPC;
	wire_put_header(out, WF_SEALED, n + WIRE_TAG);
	seq_nonce(nonce, s->tx_seq++);
	crypto_aead_chacha20poly1305_ietf_encrypt(out + WIRE_HDR, &clen, msg, n, out, WIRE_HDR, NULL, nonce, s->tx_key);
	return (int)(WIRE_HDR + clen);
}

int session_open(struct session *s, const uint8_t *frame, size_t framelen, uint8_t *msg, size_t cap)
{
	uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
	unsigned long long mlen;

	if (framelen < WIRE_HDR + WIRE_TAG || cap < framelen - WIRE_HDR - WIRE_TAG)
		return -EBADMSG;
	seq_nonce(nonce, s->rx_seq);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(msg, &mlen, NULL, frame + WIRE_HDR, framelen - WIRE_HDR,
						      frame, WIRE_HDR, nonce, s->rx_key))
		return -EBADMSG;
	s->rx_seq++;
	return (int)mlen;
}

void session_wipe(struct session *s)
{
	sodium_memzero(s, sizeof(*s));
}

int dgram_seal(const uint8_t key[32], uint64_t epoch, uint64_t seq, const uint8_t *msg, size_t n, uint8_t *out,
	       size_t cap)
{
	uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
	unsigned long long clen;

	if (n > WIRE_DGRAM_MSG_MAX || cap < WIRE_DGRAM_HDR + n + WIRE_TAG)
		return -ENOSPC;
	wire_put_header(out, WF_DATAGRAM, 16 + n + WIRE_TAG);
	wire_put64(out + WIRE_HDR, epoch);
	wire_put64(out + WIRE_HDR + 8, seq);
	seq_nonce(nonce, seq);
	crypto_aead_chacha20poly1305_ietf_encrypt(out + WIRE_DGRAM_HDR, &clen, msg, n, out, WIRE_DGRAM_HDR, NULL,
						  nonce, key);
	return (int)(WIRE_DGRAM_HDR + clen);
}

int dgram_open(const uint8_t key[32], uint64_t epoch, const uint8_t *in, size_t len, uint64_t *seq, uint8_t *msg,
	       size_t cap)
{
	uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
	unsigned long long mlen;

	if (len < WIRE_DGRAM_HDR + WIRE_TAG || len > WIRE_DGRAM_MAX || in[0] != WIRE_VERSION || in[1] != WF_DATAGRAM ||
	    ((size_t)in[2] << 8 | in[3]) != len - WIRE_HDR || cap < len - WIRE_DGRAM_HDR - WIRE_TAG)
		return -EBADMSG;
	if (wire_take64(in + WIRE_HDR) != epoch)
		return -ESRCH;
	uint64_t s = wire_take64(in + WIRE_HDR + 8);
	seq_nonce(nonce, s);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(msg, &mlen, NULL, in + WIRE_DGRAM_HDR, len - WIRE_DGRAM_HDR, in,
						      WIRE_DGRAM_HDR, nonce, key))
		return -EBADMSG;
	*seq = s;
	return (int)mlen;
}
