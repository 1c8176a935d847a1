/* The steering messages of the switch-host protocol (docs/protocol.md,
 * docs/steering.md): what the hosts probe, what they measured, and the
 * overrides the switch agent decided. Pure encode/decode, fuzzed. */
#ifndef OL_STEERWIRE_H
#define OL_STEERWIRE_H
#include "proto/model.h"
#include <stddef.h>
#include <stdint.h>

#define STEER_TARGETS_MAX 200   /* fits one message: 200 x 17 bytes */
#define STEER_PROVIDERS_MAX 64  /* per report */

/* WM_STEER_TARGETS (switch to host): interval_ms (4) | window_ms (4) |
 * count (2) | addresses. Empty: no steering, nothing to probe. */
struct steer_targets {
	uint32_t interval_ms, window_ms;
	uint16_t n;
	struct ol_addr a[STEER_TARGETS_MAX];
};

/* WM_STEER_REPORT (host to switch): one target over one window: window
 * (8: unix ms / window_ms) | target | via (the provider the host's own
 * route to it takes; empty: none, or not one of the providers) | count (1)
 * | per provider: name | sent (2) | answered (2) | RTT sum (4, µs, of the
 * answered) */
struct steer_meas {
	char provider[OL_NAME_MAX];
	uint16_t sent, ok;
	uint32_t rtt_sum_us;
};
struct steer_report {
	uint64_t window;
	struct ol_addr target;
	char via[OL_NAME_MAX];
	uint8_t n;
	struct steer_meas m[STEER_PROVIDERS_MAX];
};

/* WM_STEER_OVERRIDE (switch to host): ttl_ms (4) | prefix (address | length
 * (1)) | provider (empty: withdrawn) | from (empty: BGP's choice) | since
 * (8, unix s) | RTT from, to (4 + 4, µs) | loss from, to (2 + 2, per
 * mille): the figures that justified it. Sent again each window while it
 * holds; a host drops one not renewed for ttl. */
struct steer_override {
	uint32_t ttl_ms;
	struct ol_addr prefix;
	uint8_t len;
	char provider[OL_NAME_MAX], from[OL_NAME_MAX];
	uint64_t since;
	uint32_t rtt_from_us, rtt_to_us;
	uint16_t loss_from, loss_to;
};

/* Encoders: bytes written or -ENOSPC. Decoders: 0 or -EBADMSG, accepting
 * exactly what the encoder writes (sent <= 65535, answered <= sent, a
 * prefix length within its family with zero host bits, names valid). */
int steer_targets_encode(uint8_t *buf, size_t cap, const struct steer_targets *t);
int steer_targets_decode(const uint8_t *buf, size_t n, struct steer_targets *t);
int steer_report_encode(uint8_t *buf, size_t cap, const struct steer_report *r);
int steer_report_decode(const uint8_t *buf, size_t n, struct steer_report *r);
int steer_override_encode(uint8_t *buf, size_t cap, const struct steer_override *o);
int steer_override_decode(const uint8_t *buf, size_t n, struct steer_override *o);
#endif
