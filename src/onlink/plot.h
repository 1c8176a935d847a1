/* onlink ping --plot: RTT per provider over a run, as an SVG file (one
 * line per destination and provider, a cross where a probe was lost), like
 * the per-provider delay figure of the Fastly article. */
#ifndef OL_PLOT_H
#define OL_PLOT_H
#include <stddef.h>

struct plot_series {
	char label[96];
	double *rtt_ms;         /* per round; < 0: lost, NaN: not sent */
	unsigned n;
};

/* 0, or -1 with errno set. */
int plot_svg(const char *path, const char *title, const struct plot_series *s, size_t ns, double interval_s);
#endif
