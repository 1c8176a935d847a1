/* Sealed frames (Noise transport messages, the frame header as associated
 * data) and signed datagrams (Ed25519, libsodium). */
#include "proto/session.h"
#include "proto/wire.h"
#include <errno.h>
#include <sodium.h>
#include <string.h>

int session_seal(struct session *s, uint8_t *out, size_t cap, const uint8_t *msg, size_t n)
{
	if (n > WIRE_MSG_MAX || cap < WIRE_HDR + n + WIRE_TAG)
		return -ENOSPC;
	wire_put_header(out, WF_SEALED, n + WIRE_TAG);
	int r = noise_encrypt(&s->tx, out, WIRE_HDR, msg, n, out + WIRE_HDR);
	return r < 0 ? r : (int)(WIRE_HDR + (size_t)r);
}

int session_open(struct session *s, const uint8_t *frame, size_t framelen, uint8_t *msg, size_t cap)
{
	if (framelen < WIRE_HDR + WIRE_TAG || cap < framelen - WIRE_HDR - WIRE_TAG)
		return -EBADMSG;
	return noise_decrypt(&s->rx, frame, WIRE_HDR, frame + WIRE_HDR, framelen - WIRE_HDR, msg);
}

void session_wipe(struct session *s)
{
	sodium_memzero(s, sizeof(*s));
}

int dgram_sign(const uint8_t sk[64], uint64_t epoch, uint64_t seq, const uint8_t *msg, size_t n, uint8_t *out,
	       size_t cap)
{
	if (n > WIRE_DGRAM_MSG_MAX || cap < WIRE_DGRAM_HDR + n + WIRE_SIG)
		return -ENOSPC;
	wire_put_header(out, WF_DATAGRAM, 16 + n + WIRE_SIG);
	wire_put64(out + WIRE_HDR, epoch);
	wire_put64(out + WIRE_HDR + 8, seq);
	memmove(out + WIRE_DGRAM_HDR, msg, n);
	crypto_sign_ed25519_detached(out + WIRE_DGRAM_HDR + n, NULL, out, WIRE_DGRAM_HDR + n, sk);
	return (int)(WIRE_DGRAM_HDR + n + WIRE_SIG);
}

int dgram_verify(const uint8_t pk[32], uint64_t epoch, const uint8_t *in, size_t len, uint64_t *seq,
		 const uint8_t **msg)
{
	if (len < WIRE_DGRAM_HDR + WIRE_SIG || len > WIRE_DGRAM_MAX || in[0] != WIRE_VERSION || in[1] != WF_DATAGRAM ||
	    ((size_t)in[2] << 8 | in[3]) != len - WIRE_HDR)
		return -EBADMSG;
	if (wire_take64(in + WIRE_HDR) != epoch)
		return -ESRCH;
	size_t signed_len = len - WIRE_SIG;
	if (crypto_sign_ed25519_verify_detached(in + signed_len, in, signed_len, pk))
		return -EBADMSG;
	*seq = wire_take64(in + WIRE_HDR + 8);
	*msg = in + WIRE_DGRAM_HDR;
	return (int)(signed_len - WIRE_DGRAM_HDR);
}
