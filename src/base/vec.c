/* Growable arrays, and arrays kept sorted by name (vec.h). */
#include "base/vec.h"
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vec_reserve_(void **v, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : 8;
	while (c < need) {
		if (c > SIZE_MAX / 2 / size)
			return -ENOMEM;
		c *= 2;
	}
	void *p = realloc(*v, c * size);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = c;
	return 0;
}

void vec_free_(void **v, size_t *n, size_t *cap)
{
	free(*v);
	*v = NULL;
	*n = *cap = 0;
}

size_t vec_name_lower(const void *v, size_t n, size_t size, const char *name)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp((const char *)v + mid * size, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void *vec_name_find_(const void *v, size_t n, size_t size, const char *name)
{
	size_t i = vec_name_lower(v, n, size, name);
	return i < n && !strcmp((const char *)v + i * size, name) ? (char *)v + i * size : NULL;
}

void *vec_name_put_(void **v, size_t *n, size_t *cap, size_t size, const char *name, int *fresh)
{
	int after_last = !*n || strcmp((char *)*v + (*n - 1) * size, name) < 0;
	size_t i = after_last ? *n : vec_name_lower(*v, *n, size, name);
	*fresh = 0;
	if (i < *n && !strcmp((char *)*v + i * size, name))
		return (char *)*v + i * size;
	if (vec_reserve_(v, cap, *n + 1, size))
		return NULL;
	char *e = (char *)*v + i * size;
	memmove(e + size, e, (*n - i) * size);
	memset(e, 0, size);
	snprintf(e, size < VEC_NAME_MAX ? size : VEC_NAME_MAX, "%s", name);
	(*n)++;
	*fresh = 1;
	return e;
}

int vec_name_del_(void *v, size_t *n, size_t size, const char *name)
{
	char *e = vec_name_find_(v, *n, size, name);
	if (!e)
		return 0;
	memmove(e, e + size, (size_t)((char *)v + *n * size - (e + size)));
	(*n)--;
	return 1;
}
