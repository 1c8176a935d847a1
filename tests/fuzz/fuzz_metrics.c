/* libFuzzer target: the metrics endpoint's HTTP request parser
 * (mx_parse_request, src/base/metrics.c), fed as the stream server feeds
 * it: the bytes so far, NUL-terminated, with "full" when the 4 KiB head
 * buffer is. Oracle beyond "no crash": a verdict is one of the six; more
 * bytes are asked for only while no blank line ended the head and the
 * buffer is not full; and a NUL in the head is always a bad request. */
#include "base/metrics.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4095)
		size = 4095;
	char *in = malloc(size + 1);
	if (!in)
		return 0;
	memcpy(in, data, size);
	in[size] = 0;
	int full = size == 4095, head = -1;
	enum mx_verdict v = mx_parse_request(in, size, full, &head);
	if (v > MX_METRICS || (head != 0 && head != 1))
		abort();
	if (v == MX_MORE && (full || strstr(in, "\r\n\r\n") || strstr(in, "\n\n")))
		abort();
	if (memchr(in, 0, size) && v != MX_BAD)
		abort();
	if (v != MX_METRICS && head)
		abort();
	free(in);
	return 0;
}
