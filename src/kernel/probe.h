/* The probe engine behind `onlink ping` and the host agent's continuous
 * probing: ICMP echo or TCP SYN probes to many (destination, firewall mark)
 * streams at once, with RTTs taken from kernel timestamps (software TX
 * timestamps from the error queue, RX timestamps on the reply). One raw
 * socket per family and protocol; the mark is set per packet. Needs
 * CAP_NET_RAW and CAP_NET_ADMIN (SO_MARK).
 *
 * Each stream has `ring` probe slots: probe k of a round goes in slot
 * k % ring and carries the round's number, so that a late reply to an
 * earlier use of the slot is not taken for the current one. onlink ping
 * runs COUNT rounds with a ring of COUNT (probe_run); the host agent one
 * round per interval on a ring of a few slots, from its event loop. */
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
	void *user;             /* the caller's */
	/* engine state */
	int sock;               /* index of the engine's socket it uses */
	uint16_t ident;         /* ICMP id; TCP: first source port */
	uint32_t isn;
	uint8_t src[16];        /* TCP over IPv4: source, for the checksum */
	struct probe_slot *slots;
};

struct probe_engine;
/* Called once per probe sent, with the round it was sent in: its RTT in
 * ms, or a negative value when it was lost (timed out, not sent, or its
 * slot needed again). */
typedef void (*probe_done_fn)(void *arg, struct probe_stream *s, uint32_t round, double rtt_ms);

struct probe_opts {
	unsigned count;
	double interval_s, timeout_s;
	probe_done_fn done;     /* optional: each probe's outcome as it comes */
	void *arg;
};

/* 0, or -1 with err set (socket set-up failures). Per-probe failures are
 * counted as losses, with the last errno kept in the stream. */
int probe_run(struct probe_stream *s, size_t n, const struct probe_opts *o, char *err, size_t errlen);
void probe_free(struct probe_stream *s, size_t n);

/* The engine, driven by an event loop. */
int probe_engine_new(struct probe_engine **out, struct probe_stream *st, size_t n, unsigned ring, probe_done_fn done,
		     void *arg, char *err, size_t errlen);
void probe_engine_free(struct probe_engine *e);
/* Sends round `round` of every stream, in slot round % ring. Rounds past
 * 65535 need a ring that is a power of two (the ICMP sequence is the
 * round's low 16 bits). */
void probe_engine_send(struct probe_engine *e, uint32_t round);
/* Its sockets (at most 4), to watch for input (TX timestamps come as
 * errors, which poll and epoll report without asking). */
size_t probe_engine_fds(const struct probe_engine *e, int fds[4]);
/* Reads what one of its sockets has: replies and TX timestamps. */
void probe_engine_read(struct probe_engine *e, int fd);
/* Finishes as lost the probes sent more than timeout_ns ago; returns when
 * the next one would (monotonic ns), or UINT64_MAX with none pending. */
uint64_t probe_engine_expire(struct probe_engine *e, uint64_t now_ns, uint64_t timeout_ns);
uint64_t probe_mono_ns(void);
#endif
