/* libFuzzer target: the switch-host wire decoders (src/proto/wire.c,
 * src/proto/steerwire.c).
 * The first byte picks the decoder, the rest is its input; the whole input
 * also goes through the frame header check. Oracle beyond "no crash": the
 * decoders accept only exactly what the encoders write, so a decoded
 * message must encode back to the same bytes. */
#include "proto/wire.h"
#include "proto/steerwire.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(const uint8_t *in, size_t n, const uint8_t *out, int m)
{
	if (m < 0 || (size_t)m != n || memcmp(in, out, n))
		abort(); /* decoded, but not what the encoder writes */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t type, out[WIRE_PAYLOAD_MAX + WIRE_HDR];
	size_t plen;
	int r = wire_frame_check(data, size, &type, &plen);
	if (r > 0 && ((size_t)r > size || plen + WIRE_HDR != (size_t)r || plen > WIRE_PAYLOAD_MAX))
		abort();
	if (size < 1)
		return 0;
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	switch (data[0] % 14) {
	case 0: {
		uint8_t ts[WIRE_TS];
		char name[OL_NAME_MAX];
		if (!wire_hs1_decode(p, n, ts, name))
			same(p, n, out, wire_hs1_encode(out, sizeof(out), ts, name));
		break;
	}
	case 1: {
		struct ol_provider pr;
		if (!wire_provider_decode(p, n, &pr))
			same(p, n, out, wire_provider_encode(out, sizeof(out), &pr));
		break;
	}
	case 2: {
		struct ol_egress e;
		if (!wire_egress_decode(p, n, &e))
			same(p, n, out, wire_egress_encode(out, sizeof(out), &e));
		break;
	}
	case 3: {
		char name[OL_NAME_MAX];
		struct ol_addr a;
		if (!wire_host_decode(p, n, name, &a))
			same(p, n, out, wire_host_encode(out, sizeof(out), name, &a));
		break;
	}
	case 4: {
		/* a sealed frame's plaintext: its messages, put back together */
		size_t off = 0, len = 0, bl;
		const uint8_t *body;
		uint8_t mt;
		int k;
		while ((k = wire_rec_next(p, n, &off, &mt, &body, &bl)) == 1)
			if (body < p || body + bl > p + n || wire_rec_put(out, sizeof(out), &len, mt, body, bl))
				abort();
		if (k == 0)
			same(p, n, out, (int)len);
		break;
	}
	case 5: {
		struct wire_fastpath f;
		if (!wire_fastpath_decode(p, n, &f))
			same(p, n, out, wire_fastpath_encode(out, sizeof(out), &f));
		break;
	}
	case 6: {
		uint64_t g;
		if (!wire_gen_decode(p, n, &g))
			same(p, n, out, wire_gen_encode(out, sizeof(out), g));
		break;
	}
	case 7: {
		char name[OL_NAME_MAX];
		int dead;
		if (!wire_switch_decode(p, n, name, &dead))
			same(p, n, out, wire_switch_encode(out, sizeof(out), name, dead));
		break;
	}
	case 9: {
		struct ol_addr a;
		char name[OL_NAME_MAX];
		static struct ol_ports ps;
		if (!wire_kept_decode(p, n, &a, name, &ps))
			same(p, n, out, wire_kept_encode(out, sizeof(out), &a, name, &ps));
		break;
	}
	case 10: {
		struct ol_addr a;
		uint16_t used;
		static struct ol_ports ps;
		if (!wire_live_decode(p, n, &a, &used, &ps))
			same(p, n, out, wire_live_encode(out, sizeof(out), &a, used, &ps));
		break;
	}
	case 11: {
		static struct steer_targets t;
		if (!steer_targets_decode(p, n, &t))
			same(p, n, out, steer_targets_encode(out, sizeof(out), &t));
		break;
	}
	case 12: {
		static struct steer_report rp;
		if (!steer_report_decode(p, n, &rp))
			same(p, n, out, steer_report_encode(out, sizeof(out), &rp));
		break;
	}
	case 13: {
		struct steer_override o;
		if (!steer_override_decode(p, n, &o))
			same(p, n, out, steer_override_encode(out, sizeof(out), &o));
		break;
	}
	default: {
		char name[OL_NAME_MAX];
		if (!wire_name_decode(p, n, name))
			same(p, n, out, wire_name_encode(out, sizeof(out), name));
		break;
	}
	}
	return 0;
}
