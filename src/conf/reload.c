/* Whether a changed config can be applied by the running agent, in place
 * (config.h: config_in_place). */
#include "conf/config.h"
#include <sodium.h>
#include <stdio.h>
#include <string.h>

static int endpoint_same(const struct cfg_endpoint *a, const struct cfg_endpoint *b)
{
	return a->len == b->len && !memcmp(&a->ss, &b->ss, a->len);
}

#define DIFFERS(what) do { snprintf(why, len, "%s changed", what); return 0; } while (0)

int config_in_place(const struct config *run, const struct config *next, char *why, size_t len)
{
	if (run->role != next->role)
		DIFFERS("the role");
	if (strcmp(run->name, next->name))
		DIFFERS("name");
	if (sodium_memcmp(run->priv, next->priv, sizeof(run->priv)))
		DIFFERS("the private key");
	if (strcmp(run->control, next->control))
		DIFFERS("control");
	if (!endpoint_same(&run->metrics, &next->metrics))
		DIFFERS("metrics");
	if (run->syslog != next->syslog)
		DIFFERS("syslog");
	if (run->role != ROLE_SWITCH) {
		snprintf(why, len, "only the switch agent reloads in place");
		return 0;
	}
	const struct cfg_switch *a = &run->sw, *b = &next->sw;
	if (a->nlisten != b->nlisten)
		DIFFERS("listen");
	for (unsigned i = 0; i < a->nlisten; i++)
		if (!endpoint_same(&a->listen[i], &b->listen[i]))
			DIFFERS("listen");
	if (strcmp(a->bird_socket, b->bird_socket))
		DIFFERS("bird-socket");
	if (strcmp(a->bird_include, b->bird_include))
		DIFFERS("bird-include");
	if (strcmp(a->state_file, b->state_file))
		DIFFERS("state-file");
	if (a->bird_poll_ms != b->bird_poll_ms)
		DIFFERS("bird-poll");
	if (!endpoint_same(&a->fast_path, &b->fast_path) || strcmp(a->fast_path_if, b->fast_path_if) ||
	    a->fast_path_delay_ms != b->fast_path_delay_ms)
		DIFFERS("the fast path");
	if (strcmp(a->peer_link, b->peer_link) || strcmp(a->peer_switch, b->peer_switch))
		DIFFERS("peer-link");
	/* the providers the agent follows, in its arrays by index: the same
	 * ones, with the same addresses, interfaces, ports and tables; what
	 * they are called in BIRD, their descriptions, backups and the rest
	 * may change */
	if (a->nproviders != b->nproviders)
		DIFFERS("the providers");
	for (unsigned i = 0; i < a->nproviders; i++) {
		const struct cfg_provider *p = &a->providers[i], *q = &b->providers[i];
		if (strcmp(p->name, q->name) || p->naddrs != q->naddrs || strcmp(p->ifname, q->ifname) ||
		    strcmp(p->port, q->port) || p->table != q->table) {
			snprintf(why, len, "provider %s changed (its name, addresses, interface, port or table)", p->name);
			return 0;
		}
		for (unsigned k = 0; k < p->naddrs; k++)
			if (addr_cmp(&p->addrs[k], &q->addrs[k])) {
				snprintf(why, len, "provider %s changed (its name, addresses, interface, port or table)", p->name);
				return 0;
			}
	}
	return 1;
}

int config_probe_only(const struct config *run, const struct config *next)
{
	if (run->role != ROLE_HOST || next->role != ROLE_HOST)
		return 0;
	/* shallow copies without their [probe], printed and compared */
	struct config a = *run, b = *next;
	a.host.probe = b.host.probe = NULL;
	a.host.nprobe = b.host.nprobe = 0;
	a.host.probe_interval_ms = b.host.probe_interval_ms = 0;
	a.host.probe_timeout_ms = b.host.probe_timeout_ms = 0;
	a.host.probe_line = b.host.probe_line = 0;
	a.host.repath_after_rtos = b.host.repath_after_rtos = 0;
	a.host.repath_unconfirmed = b.host.repath_unconfirmed = 0;
	a.host.repath_providers = b.host.repath_providers = NULL;
	a.host.nrepath_providers = b.host.nrepath_providers = 0;
	a.host.repath_cgroup[0] = b.host.repath_cgroup[0] = 0;
	a.host.repath_line = b.host.repath_line = 0;
	int same = config_same(&a, &b);
	sodium_memzero(&a, sizeof(a));
	sodium_memzero(&b, sizeof(b));
	return same;
}
