/* The probe engine behind `onlink ping`: ICMP echo or TCP SYN probes to
 * many (destination, firewall mark) streams at once, with RTTs taken from
 * kernel timestamps (software TX timestamps from the error queue, RX
 * timestamps on the reply). One raw socket per family and protocol; the
 * mark is set per packet. Needs CAP_NET_RAW and CAP_NET_ADMIN (SO_MARK). */
#ifndef OL_PROBE_H
#define OL_PROBE_H
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct probe_stream {
	/* set by the caller */
	struct sockaddr_storage dst;
	socklen_t dstlen;
	uint32_t mark;
	uint16_t tcp_port;      /* 0: ICMP echo */
	/* results */
	unsigned sent, received;
	double rtt_min, rtt_max, rtt_sum, rtt_sum2; /* ms */
	int last_errno;         /* why a send failed, if one did */
	/* engine state */
	int sock;               /* index of the engine's socket it uses */
	uint16_t ident;         /* ICMP id; TCP: first source port */
	uint32_t isn;
	uint8_t src[16];        /* TCP over IPv4: source, for the checksum */
	struct probe_slot *slots;
};

struct probe_opts {
	unsigned count;
	double interval_s, timeout_s;
};

/* 0, or -1 with err set (socket set-up failures). Per-probe failures are
 * counted as losses, with the last errno kept in the stream. */
int probe_run(struct probe_stream *s, size_t n, const struct probe_opts *o, char *err, size_t errlen);
void probe_free(struct probe_stream *s, size_t n);
#endif
