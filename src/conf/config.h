/* The config file (INI): parsed into a new object, validated whole, and only
 * then handed to a daemon. Errors are "FILE:LINE: message" with the bad value
 * quoted. */
#ifndef OL_CONFIG_H
#define OL_CONFIG_H
#include "proto/model.h"
#include <net/if.h>
#include <stdio.h>
#include <sys/socket.h>

#define CFG_LISTEN_MAX 8
#define CFG_SWITCHES_MAX 8
#define CFG_PROVIDERS_MAX 4096

enum cfg_role { ROLE_NONE, ROLE_SWITCH, ROLE_HOST, ROLE_EGRESS };

struct cfg_prefix {
	struct ol_addr addr;
	uint8_t len;
};
#define CFG_CLIENTS_MAX 64

/* [switch] own-prefix = PREFIX [le N]: a prefix of the POP's own, and the
 * longest more-specific of it onlink announce takes. */
struct cfg_own_prefix {
	struct cfg_prefix p;
	uint8_t le;
};
#define CFG_OWN_MAX 64

struct cfg_endpoint {
	struct sockaddr_storage ss;
	socklen_t len;
	char text[64];
	int line;                       /* where it was given */
};

#define CFG_BIRD_PROTOS_MAX 8
#define CFG_BIRD_NAME_MAX 64
#define CFG_DESCR_MAX 128
#define CFG_PASSWORD_MAX 80             /* TCP_MD5SIG_MAXKEYLEN */
#define CFG_PEER_ADDRS_MAX 4

struct cfg_provider {
	char name[OL_NAME_MAX];
	struct ol_addr addrs[OL_PROVIDER_ADDRS_MAX];
	unsigned naddrs;
	char ifname[IF_NAMESIZE];
	char port[IF_NAMESIZE];         /* the bridge port it is cabled to; "": learned */
	uint32_t table;
	char descr[CFG_DESCR_MAX];      /* set as its BIRD protocols' description */
	uint32_t remote_as;             /* its AS; 0: not given */
	/* BIRD sessions onlink writes (remote-as without bird-protocol,
	 * conf/bgp.c; docs/bird.md) */
	int generated;
	char password[CFG_PASSWORD_MAX + 1]; /* TCP-MD5; "": none */
	int bfd;
	uint32_t import_limit;          /* 0: none */
	char import_action[8];          /* warn, block or restart */
	uint32_t local_pref;
	int has_local_pref;
	/* failover (docs/failover.md) */
	char bird[CFG_BIRD_PROTOS_MAX][CFG_BIRD_NAME_MAX]; /* its BGP sessions in BIRD */
	unsigned nbird;
	char backup[OL_NAME_MAX];       /* "": none */
	int backup_idx;                 /* index of the backup in providers; -1: none */
	unsigned hold_down_ms;
	int line, backup_line;
};

struct cfg_egress {
	struct ol_egress e;
	int line;
	int slice_line[OL_SLICES_MAX];
};

/* [egress-pool NAME]: shared addresses whose slices the switch agent
 * leases to hosts (switch/leases.h) */
#define CFG_POOLS_MAX 16
#define CFG_POOL_ADDRS_MAX 16
struct cfg_pool {
	char name[OL_NAME_MAX];
	struct ol_addr addrs[CFG_POOL_ADDRS_MAX];
	int addr_line[CFG_POOL_ADDRS_MAX];
	unsigned naddrs;
	unsigned slice_size;            /* ports per slice, a power of two */
	uint16_t first, last;           /* the range cut into slices */
	int ports_line;
	char (*hosts)[OL_NAME_MAX];     /* who leases from it; none listed: every [host] */
	unsigned nhosts;
	size_t caphosts;
	int hosts_line;
	unsigned quarantine_ms;         /* a freed slice rests this long */
	char leader[OL_NAME_MAX];       /* the switch agent that decides its leases; "": this one */
	unsigned shrink_after_ms;       /* an extra slice used under half this long goes back */
	int line;
};

#define CFG_HOSTS_MAX 4096

/* A peer's identity: a [host NAME] section of a switch's config. */
struct cfg_peerkey {
	char name[OL_NAME_MAX];
	uint8_t pub[32];                /* X25519 public key */
	int has_pub;
	struct ol_addr addrs[CFG_PEER_ADDRS_MAX]; /* for the BIRD sessions of bird-hosts */
	unsigned naddrs;
	int line;
};
#define CFG_EGRESS_MAX 256

struct cfg_switchref {
	char name[OL_NAME_MAX];
	struct cfg_endpoint connect;
	char ifname[IF_NAMESIZE];       /* the uplink to it; "": [host] interface */
	int ifname_line;
	unsigned probe_interval_ms;     /* echo requests to `connect` through it; 0: none */
	unsigned dead_after_ms;         /* no echo answered for this long: the switch is dead */
	unsigned hold_down_ms;          /* alive again for this long before it is used */
	uint8_t pub[32];                /* the switch agent's public key */
	int has_pub;
	int line;
};


/* [steer] (switch agent): prefixes that follow the probes (switch/steer.c) */
#define CFG_STEER_PREFIXES_MAX 256
#define CFG_STEER_TARGETS_MAX 200
struct cfg_steer_prefix {
	struct cfg_prefix p;
	char text[64];                  /* as written: the metrics' prefix label */
	int line;
};
struct cfg_steer_target {
	struct ol_addr addr;
	unsigned prefix;                /* the index of the prefix holding it */
	int line;
};
struct cfg_steer {
	struct cfg_steer_prefix *prefixes;
	unsigned nprefixes;
	size_t capprefixes;
	struct cfg_steer_target *targets;
	unsigned ntargets;
	size_t captargets;
	unsigned interval_ms, window_ms, windows;
	unsigned min_gain_ms, min_gain_ratio; /* RTT: both, ratio in percent */
	unsigned loss_gain;             /* or loss, in percentage points */
	unsigned hold_down_ms, max_moves, ttl_ms;
	int dry_run;
	int line;
};

/* Each role's part of the config: a module gets only its role's. */
struct cfg_switch {
	struct cfg_endpoint listen[CFG_LISTEN_MAX];
	unsigned nlisten;
	struct cfg_provider *providers;
	unsigned nproviders;
	size_t capproviders;
	struct cfg_peerkey *hosts;      /* [host NAME]: the hosts that may connect */
	unsigned nhosts;
	size_t caphosts;
	struct cfg_egress *egress;
	unsigned negress;
	size_t capegress;
	struct cfg_pool *pools;
	unsigned npools;
	size_t cappools;
	unsigned host_dead_after_ms;    /* no session this long: a host's leases rest */
	unsigned move_deadline_ms;      /* a moved slice's old flows keep their ports this long at most */
	char bird_socket[108];          /* BIRD's control socket; "": no BIRD */
	char bird_include[256];         /* the file onlink generates for BIRD */
	char state_file[256];           /* the agent's own state (switch/swstate.h) */
	unsigned bird_poll_ms;
	/* the BIRD sessions onlink writes (conf/bgp.c) */
	uint32_t local_as;
	struct cfg_own_prefix own[CFG_OWN_MAX]; /* what onlink announce may announce */
	unsigned nown;
	char bird_export[CFG_BIRD_NAME_MAX];   /* a function: the POP's own routes to export */
	char bird_import[CFG_BIRD_NAME_MAX];   /* a function: which provider routes to take */
	char bird_template[CFG_BIRD_NAME_MAX]; /* a template for provider sessions */
	char bird_host_template[CFG_BIRD_NAME_MAX];
	int bird_hosts;                 /* sessions to the hosts too */
	int bird_hosts_line;
	unsigned bfd_interval_ms, bfd_multiplier;
	struct cfg_endpoint fast_path;  /* multicast group for changes; len 0: none */
	char fast_path_if[IF_NAMESIZE]; /* the hosts' segment, where it is sent */
	/* the one-L2 design: the link to the other switch, whose carrier
	 * loss this agent reports to the hosts as that switch's death */
	char peer_link[IF_NAMESIZE];
	char peer_switch[OL_NAME_MAX];
	int peer_link_line, peer_switch_line;
	struct cfg_steer steer;
	unsigned fast_path_delay_ms;    /* the sessions' copy of a change waits this long */
	int fast_path_line;
};

#define CFG_PROBE_TARGETS_MAX 1024

struct cfg_probe_target {
	struct ol_addr addr;
	uint16_t port;                  /* TCP SYN to it; 0: ICMP echo */
	char text[64];                  /* as written: the metrics' target label */
	int line;
};

struct cfg_host {
	char ifname[IF_NAMESIZE];
	/* several uplinks: providers are made on-link on this device, a veth
	 * the agent makes, and their frames are steered to the right uplink */
	char provider_dev[IF_NAMESIZE - 1];
	char provider_peer[IF_NAMESIZE]; /* its veth peer: the same name and 'p' */
	int multi_uplink;
	struct ol_addr local4, local6;
	unsigned rule_priority;
	struct cfg_switchref switches[CFG_SWITCHES_MAX];
	unsigned nswitches;
	/* [probe]: probed through every live provider (host/probing.c) */
	struct cfg_probe_target *probe;
	unsigned nprobe;
	size_t capprobe;
	unsigned probe_interval_ms, probe_timeout_ms;
	int probe_line;
	/* [repath]: stalled TCP connections moved to another provider (host/repath.c) */
	unsigned repath_after_rtos;     /* 0: off */
	unsigned repath_unconfirmed;    /* moves without the probes' word from this RTO; 0: never */
	char (*repath_providers)[OL_NAME_MAX]; /* none: every live provider */
	unsigned nrepath_providers;
	size_t caprepath_providers;
	char repath_cgroup[256];        /* "": the cgroup2 mount's root */
	int repath_line;
};

/* The uplink to a switch agent: its own interface, or [host] interface. */
const char *cfg_switch_uplink(const struct cfg_host *h, const struct cfg_switchref *s);

struct cfg_egressd {
	char host_control[108];
	struct cfg_prefix clients[CFG_CLIENTS_MAX];
	unsigned nclients;
	char via[OL_NAME_MAX];
	uint16_t listen_port;           /* where TPROXY delivers */
	uint32_t tproxy_mark, tproxy_table;
	unsigned idle_timeout;          /* seconds */
	unsigned udp_idle_timeout;      /* seconds */
	unsigned client_flows;          /* flows per client address, TCP and UDP together */
	unsigned flow_buffer;           /* bytes the kernel may buffer per flow direction */
};

struct config {
	char path[256];
	enum cfg_role role;
	/* every daemon */
	char name[OL_NAME_MAX];
	char private_key_file[256];
	uint8_t priv[32], pub[32];      /* this agent's X25519 key pair */
	char control[108];
	unsigned keepalive;             /* seconds */
	struct cfg_endpoint metrics;    /* Prometheus over HTTP; len 0: none */
	int syslog;                     /* log to syslog(3) as well as stderr */
	/* the role's own */
	struct cfg_switch sw;
	struct cfg_host host;
	struct cfg_egressd eg;
	/* first error, "FILE:LINE: message" */
	char err[512];
};

/* 0 on success; -1 with c->err set. c is always safe to config_free(). */
int config_load(const char *path, struct config *c);
/* An interface name as the kernel takes one (1 to 15 bytes, not "." or
 * "..", no '/', ':' or blank) that is also safe inside BIRD's quotes and
 * never a BIRD pattern: no quote, backslash, '*', '?' or control byte. */
int cfg_ifname_valid(const char *s);
/* "ADDR/LEN" with the host bits zero: 0 or -1. */
int cfg_prefix_parse(const char *v, struct cfg_prefix *out);
/* Whether onlink announce may announce p: NULL, or why not (a sentence
 * that names the key). */
const char *cfg_own_prefix_refusal(const struct cfg_switch *c, const struct cfg_prefix *p);
void config_free(struct config *c);
/* What only the machine can tell (onlinkd -n): every interface a host's
 * [switch NAME] names exists. 0, or -1 with c->err set ("FILE:LINE: ..."). */
int config_check_system(struct config *c);
/* Warnings of the same kind that refuse nothing: a provider's interface
 * or port, or the host's interface, that does not exist on this machine. */
void config_warn_system(const struct config *c, FILE *f);
/* Whether a host is listed as [host NAME] in a switch's config. */
int config_host_known(const struct config *c, const char *name);
/* The [host NAME] section holding a public key, or NULL. */
const struct cfg_peerkey *config_host_by_key(const struct config *c, const uint8_t pub[32]);
/* The normalized form, as `onlinkd -n` prints it. */
void config_print(const struct config *c, FILE *f);
/* The same configuration: the same normalized text, and the same key. */
/* 1 when the running agent can apply next in place, keeping its sessions
 * (the switch agent: the same identity, sockets, fast path and providers'
 * identities; descriptions, hosts, egress slices, BIRD sessions and the
 * rest may change); else 0 with why naming the first change that needs a
 * restart. conf/reload.c. */
int config_in_place(const struct config *run, const struct config *next, char *why, size_t len);
/* 1 when two host agents' configs differ in their [probe] and [repath]
 * alone: the host agent takes that in place (its probing started anew, its
 * sessions and subscribers kept). */
int config_probe_only(const struct config *run, const struct config *next);
int config_same(const struct config *a, const struct config *b);
/* Reads a base64 private key file (`onlink genkey`): 0, or -EPERM when
 * group or others may read or write it (as ssh refuses a private key;
 * *mode then has its mode), -EINVAL when it holds no key, or another
 * negative errno. */
int key_load(const char *path, uint8_t key[32], unsigned *mode);
/* A base64 public key (`onlink pubkey`): 0 or -1. */
int key_parse_public(const char *v, uint8_t pub[32]);
void key_print_public(const uint8_t pub[32], char out[48]);
/* A BIRD symbol from a prefix and an onlink name ('-' and '.' as '_'). */
void cfg_bird_symbol(const char *prefix, const char *name, char *out, size_t len);
#endif
