/* BIRD's routes to an address (birdroute.h). A path starts with a line
 *   "PREFIX  unicast [PROTO TIME from X] * (PREF) [ASn]"
 * (its continuation lines: the same without the prefix; "*": the best),
 * then "via ADDR on IFACE" and attribute lines, "BGP.as_path: ...". */
#include "proto/birdroute.h"
#include <stdio.h>
#include <string.h>

size_t bird_route_paths(const char *text, struct bird_path *p, size_t cap)
{
	size_t n = 0;
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		char line[512], word[64], rest[160];
		snprintf(line, sizeof(line), "%.*s", (int)strcspn(l, "\n"), l);
		const char *s = line + strspn(line, " \t"), *close = strchr(s, ']');
		if (strstr(s, "unicast [") && close) {
			if (n == cap)
				break;
			memset(&p[n], 0, sizeof(p[n]));
			p[n].best = !strncmp(close, "] *", 3);
			n++;
		} else if (n && sscanf(s, "via %63s", word) == 1 && !p[n - 1].via.family) {
			if (addr_parse(word, &p[n - 1].via))
				memset(&p[n - 1].via, 0, sizeof(p[n - 1].via));
		} else if (n && sscanf(s, "BGP.as_path:%159[^\n]", rest) == 1) {
			snprintf(p[n - 1].as_path, sizeof(p[n - 1].as_path), "%s", rest + strspn(rest, " "));
		}
	}
	return n;
}
