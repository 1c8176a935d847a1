/* Each provider's traffic at the switch: the counters of the bridge port
 * it is cabled to (portstats.h). */
#include "switch/portstats.h"
#include "base/metrics.h"
#include <stdio.h>
#include <stdlib.h>

/* /sys/class/net/PORT/statistics/WHAT: the kernel's counter, or -1 */
static long long stat_of(const char *port, const char *what)
{
	char path[128];
	long long v = -1;
	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", port, what);
	FILE *f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%lld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

void portstats_metrics(FILE *f, const struct tracker *t)
{
	static const struct { const char *metric, *file, *help; } fam[] = {
		{ "onlink_switch_port_rx_bytes_total", "rx_bytes",
		  "Bytes the switch received on the provider's bridge port (frames: what its router sent; the port's, "
		  "shared by the providers on it)." },
		{ "onlink_switch_port_rx_packets_total", "rx_packets", "Frames the switch received on the provider's port." },
		{ "onlink_switch_port_tx_bytes_total", "tx_bytes",
		  "Bytes the switch sent out of the provider's port (frames: the POP's traffic to it, every host's)." },
		{ "onlink_switch_port_tx_packets_total", "tx_packets", "Frames the switch sent out of the provider's port." },
	};
	for (size_t k = 0; k < sizeof(fam) / sizeof(fam[0]); k++) {
		mx_family(f, fam[k].metric, "counter", fam[k].help);
		for (size_t i = 0; i < t->n; i++) {
			int cfg;
			const char *port = track_link_name(t, track_pin(t, &t->p[i], &cfg));
			long long v = port ? stat_of(port, fam[k].file) : -1;
			if (v < 0)
				continue;
			char lp[96], lq[64], l[200];
			snprintf(l, sizeof(l), "%s,%s", mx_label(lp, sizeof(lp), "provider", t->p[i].cfg->name),
				 mx_label(lq, sizeof(lq), "port", port));
			mx_sample(f, fam[k].metric, l, (double)v);
		}
	}
}
