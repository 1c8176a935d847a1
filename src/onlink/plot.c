/* The SVG of onlink ping --plot (plot.h). */
#include "onlink/plot.h"
#include <math.h> /* isnan */
#include <stdio.h>
#include <string.h>

#define W 960
#define H 520
#define ML 70   /* margins: left, right (legend), top, bottom */
#define MR 250
#define MT 40
#define MB 50

static const char *const colors[] = { "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
				      "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf" };

/* text for XML: & < > " escaped */
static void xml_text(FILE *f, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
}

/* a round number of ms for the axis' step (1, 2 or 5 times a power of
 * ten; no libm: the CLI links it statically, without its log and pow) */
static double nice_step(double max)
{
	double raw = max / 5, p = 1;
	while (p > raw)
		p /= 10;
	while (p * 10 <= raw)
		p *= 10;
	double m = raw / p;
	return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

int plot_svg(const char *path, const char *title, const struct plot_series *s, size_t ns, double interval_s)
{
	double ymax = 0;
	unsigned nmax = 1;
	for (size_t i = 0; i < ns; i++) {
		if (s[i].n > nmax)
			nmax = s[i].n;
		for (unsigned k = 0; k < s[i].n; k++)
			if (s[i].rtt_ms[k] > ymax)
				ymax = s[i].rtt_ms[k];
	}
	if (ymax <= 0)
		ymax = 1;
	double step = nice_step(ymax * 1.1), ytop = step;
	while (ytop < ymax * 1.1)
		ytop += step;
	double xspan = nmax > 1 ? (nmax - 1) * interval_s : interval_s;
	int pw = W - ML - MR, ph = H - MT - MB;
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		   "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n",
		W, H, W, H, W, H);
	fprintf(f, "<text x=\"%d\" y=\"24\" font-size=\"15\">", ML);
	xml_text(f, title);
	fprintf(f, "</text>\n<g class=\"axes\" stroke=\"#444\">\n<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n"
		   "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n</g>\n",
		ML, MT, ML, MT + ph, ML, MT + ph, ML + pw, MT + ph);
	for (double y = 0; y <= ytop + step / 2; y += step) {
		double py = MT + ph - y / ytop * ph;
		fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
			   "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
			ML, py, ML + pw, py, ML - 6, py + 4, y);
	}
	for (int t = 0; t <= 5; t++) {
		double x = xspan * t / 5, px = ML + (double)pw * t / 5;
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.3g</text>\n", px, MT + ph + 18, x);
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">time (s)</text>\n"
		   "<text transform=\"translate(18 %d) rotate(-90)\" text-anchor=\"middle\">RTT (ms)</text>\n",
		ML + pw / 2, H - 10, MT + ph / 2);
	for (size_t i = 0; i < ns; i++) {
		const char *c = colors[i % (sizeof(colors) / sizeof(colors[0]))];
		fprintf(f, "<g class=\"series\" data-label=\"");
		xml_text(f, s[i].label);
		fprintf(f, "\" stroke=\"%s\" fill=\"none\" stroke-width=\"1.5\">\n", c);
		int open = 0;
		for (unsigned k = 0; k < s[i].n; k++) {
			double v = s[i].rtt_ms[k];
			double px = ML + (nmax > 1 ? (double)pw * k / (nmax - 1) : 0), py = MT + ph - v / ytop * ph;
			if (isnan(v) || v < 0) {
				if (open)
					fprintf(f, "\"/>\n");
				open = 0;
				if (!isnan(v)) /* lost: a cross on the axis */
					fprintf(f, "<path class=\"lost\" d=\"M%.1f %d l6 6 m0 -6 l-6 6\"/>\n", px - 3, MT + ph - 3);
				continue;
			}
			fprintf(f, open ? " %.1f,%.1f" : "<polyline points=\"%.1f,%.1f", px, py);
			open = 1;
		}
		if (open)
			fprintf(f, "\"/>\n");
		fprintf(f, "</g>\n<g class=\"legend\"><line x1=\"%d\" y1=\"%zu\" x2=\"%d\" y2=\"%zu\" stroke=\"%s\" "
			   "stroke-width=\"3\"/><text x=\"%d\" y=\"%zu\">",
			W - MR + 16, MT + 10 + i * 18, W - MR + 36, MT + 10 + i * 18, c, W - MR + 42, MT + 14 + i * 18);
		xml_text(f, s[i].label);
		fprintf(f, "</text></g>\n");
	}
	fprintf(f, "</svg>\n");
	return fclose(f) ? -1 : 0;
}
