/* The switch-host wire format (docs/protocol.md): explicit, versioned,
 * length-limited. Pure encode/decode, no I/O, so it can be fuzzed. */
#ifndef OL_WIRE_H
#define OL_WIRE_H
#include "proto/model.h"
#include "proto/ports.h"
#include <stddef.h>
#include <stdint.h>

#define WIRE_VERSION 9
#define WIRE_HDR 4
#define WIRE_PAYLOAD_MAX 4096
#define WIRE_TAG 16          /* AEAD tag on sealed frames */
#define WIRE_SIG 64          /* Ed25519 signature on datagrams */
#define WIRE_TS 12           /* a handshake's timestamp (TAI64N) */
#define WIRE_MSG_MAX (WIRE_PAYLOAD_MAX - WIRE_TAG) /* a sealed frame's plaintext */
#define WIRE_REC_HDR 3       /* a message in it: type (1), body length (2) */
#define WIRE_BODY_MAX (WIRE_MSG_MAX - WIRE_REC_HDR)

/* the handshake's payloads: the host's is timestamp | name, the switch's
 * its name (both a length byte, then the characters) */
#define WIRE_HS1_MAX (WIRE_TS + OL_NAME_MAX)

enum wire_frame { WF_HANDSHAKE = 1, WF_SEALED = 2, WF_DATAGRAM = 3, WF_COOKIE = 4 };
enum wire_msg {
	WM_AUTH = 1, WM_SNAP_BEGIN = 2, WM_PROVIDER = 3, WM_SNAP_END = 4,
	WM_PROVIDER_DEL = 5, WM_KEEPALIVE = 6, WM_EGRESS = 7, WM_HOST = 8,
	WM_GEN = 9, WM_FASTPATH = 10, WM_SWITCH = 11,
	WM_REKEY = 12, WM_REKEY_ACK = 13, WM_REKEY_DONE = 14,
	WM_EGRESS_KEPT = 15, WM_EGRESS_LIVE = 16, WM_EGRESS_SEEN = 17,
	WM_STEER_TARGETS = 18, WM_STEER_REPORT = 19, WM_STEER_OVERRIDE = 20, /* proto/steerwire.h */
};

/* The fast path (docs/protocol.md): provider changes also go out once, as
 * signed UDP datagrams to a multicast group on the hosts' segment. A
 * datagram is header (WIRE_HDR, type WF_DATAGRAM) | epoch (8) | seq (8) |
 * at most WIRE_DGRAM_MSG_MAX bytes of messages | Ed25519 signature. The
 * sender keeps each within its interface's MTU. */
#define WIRE_DGRAM_HDR (WIRE_HDR + 16)
#define WIRE_DGRAM_MSG_MAX 8192
#define WIRE_DGRAM_MAX (WIRE_DGRAM_HDR + WIRE_DGRAM_MSG_MAX + WIRE_SIG)

/* WM_FASTPATH: where the switch sends datagrams and the public key that
 * verifies them. */
struct wire_fastpath {
	struct ol_addr group;
	uint16_t port;
	uint64_t epoch;   /* names this switch agent's signing key; random at start */
	uint64_t seq;     /* the last datagram sent: older ones are refused */
	uint8_t pub[32];  /* Ed25519 */
};

/* >0: a whole frame of that many bytes is at buf; 0: need more bytes;
 * -EPROTO: unknown version; -EMSGSIZE: payload over WIRE_PAYLOAD_MAX;
 * -EBADMSG: unknown frame type. */
int wire_frame_check(const uint8_t *buf, size_t len, uint8_t *type, size_t *payload_len);
void wire_put_header(uint8_t hdr[WIRE_HDR], uint8_t type, size_t payload_len);

/* Encoders return the number of bytes written, or -ENOSPC. Decoders return
 * 0 or -EBADMSG, and accept only exactly what the encoder writes. */
/* The host's handshake payload: timestamp (WIRE_TS) | name. */
int wire_hs1_encode(uint8_t *buf, size_t cap, const uint8_t ts[WIRE_TS], const char *name);
int wire_hs1_decode(const uint8_t *buf, size_t n, uint8_t ts[WIRE_TS], char name[OL_NAME_MAX]);
/* TAI64N (12 bytes, big-endian: 2^62 + seconds, nanoseconds) of a time in
 * ns since the epoch: later times compare greater with memcmp. */
void wire_tai64n(uint8_t ts[WIRE_TS], uint64_t ns);
int wire_provider_encode(uint8_t *buf, size_t cap, const struct ol_provider *p);
int wire_provider_decode(const uint8_t *buf, size_t n, struct ol_provider *p);
int wire_egress_encode(uint8_t *buf, size_t cap, const struct ol_egress *e);
/* Rejects ports below OL_PORT_MIN, first > last and overlapping slices. */
int wire_egress_decode(const uint8_t *buf, size_t n, struct ol_egress *e);
/* WM_EGRESS_KEPT (switch to host): ports of a shared address kept for a
 * host that no longer owns them (a slice moved while its flows live):
 * address | host name | ranges (count (2), then first (2) | last (2)). */
int wire_kept_encode(uint8_t *buf, size_t cap, const struct ol_addr *a, const char *host, const struct ol_ports *p);
int wire_kept_decode(const uint8_t *buf, size_t n, struct ol_addr *a, char host[OL_NAME_MAX], struct ol_ports *p);
/* WM_EGRESS_LIVE (host to switch): the ports of a shared address this
 * host's flows hold: address | in use (2) | ranges. */
int wire_live_encode(uint8_t *buf, size_t cap, const struct ol_addr *a, uint16_t in_use, const struct ol_ports *p);
int wire_live_decode(const uint8_t *buf, size_t n, struct ol_addr *a, uint16_t *in_use, struct ol_ports *p);
/* A host of the POP and the address it reaches the switch from. */
int wire_host_encode(uint8_t *buf, size_t cap, const char *name, const struct ol_addr *a);
int wire_host_decode(const uint8_t *buf, size_t n, char name[OL_NAME_MAX], struct ol_addr *a);
/* A sealed frame's plaintext is one or more messages, each type (1) |
 * body length (2) | body. wire_rec_put appends one at buf + *len (cap
 * bytes in all); -ENOSPC when it does not fit. wire_rec_next reads the
 * one at *off and advances it: 1 with a message, 0 at the end, -EBADMSG
 * when a message runs past the end or the plaintext is empty. */
int wire_rec_put(uint8_t *buf, size_t cap, size_t *len, uint8_t type, const uint8_t *body, size_t n);
int wire_rec_next(const uint8_t *buf, size_t len, size_t *off, uint8_t *type, const uint8_t **body, size_t *n);
int wire_name_encode(uint8_t *buf, size_t cap, const char *name);
/* WM_SWITCH: another switch agent (by its name), as this one sees it over
 * their peer link: dead 1 when the link lost carrier, else 0. */
int wire_switch_encode(uint8_t *buf, size_t cap, const char *name, int dead);
int wire_switch_decode(const uint8_t *buf, size_t n, char name[OL_NAME_MAX], int *dead);
/* An address: family (4 or 6, 1 byte) | 4 or 16 bytes. Writes at most
 * 17 bytes; the reader returns the bytes taken or -EBADMSG. */
size_t wire_put_addr(uint8_t *buf, const struct ol_addr *a);
int wire_take_addr(const uint8_t *buf, size_t n, struct ol_addr *a);
/* big-endian 64-bit fields */
void wire_put64(uint8_t *b, uint64_t x);
uint64_t wire_take64(const uint8_t *b);
/* WM_GEN: the switch's change generation of the provider messages after it */
int wire_gen_encode(uint8_t *buf, size_t cap, uint64_t gen);
int wire_gen_decode(const uint8_t *buf, size_t n, uint64_t *gen);
/* Rejects a group that is not multicast and port 0. */
int wire_fastpath_encode(uint8_t *buf, size_t cap, const struct wire_fastpath *f);
int wire_fastpath_decode(const uint8_t *buf, size_t n, struct wire_fastpath *f);
int wire_name_decode(const uint8_t *buf, size_t n, char name[OL_NAME_MAX]);
#endif
