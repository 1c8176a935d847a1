/* Growable arrays, and arrays kept sorted by name.
 *
 * A vector is any struct with `T *v; size_t n, cap;` (VEC(T) declares one,
 * and named structs of that shape work as well). Growth doubles, so that
 * n pushes cost O(n). Every function that may allocate returns 0 or
 * -ENOMEM and leaves the vector as it was on failure; a zeroed vector is
 * empty and needs no set-up. */
#ifndef OL_VEC_H
#define OL_VEC_H
#include <errno.h>
#include <stddef.h>

#define VEC(T) struct { T *v; size_t n, cap; }

/* Room for `need` elements of `size` bytes in *v, of capacity *cap. */
int vec_reserve_(void **v, size_t *cap, size_t need, size_t size);

#define vec_reserve(vec, need) vec_reserve_((void **)&(vec)->v, &(vec)->cap, (need), sizeof(*(vec)->v))
/* Appends x (an element, copied); 0 or -ENOMEM. */
#define vec_push(vec, x) \
	(vec_reserve((vec), (vec)->n + 1) ? -ENOMEM : ((vec)->v[(vec)->n++] = (x), 0))
/* Frees the elements' array; the vector is empty again. */
#define vec_free(vec) vec_free_((void **)&(vec)->v, &(vec)->n, &(vec)->cap)
void vec_free_(void **v, size_t *n, size_t *cap);

/* Sorted by name: each element starts with its NUL-terminated name (a
 * char array of at most VEC_NAME_MAX bytes), and the vector is kept in
 * strcmp order, so that a look-up is a binary search. */
#define VEC_NAME_MAX 32
/* Index of the first element whose name is not below `name`. */
size_t vec_name_lower(const void *v, size_t n, size_t size, const char *name);
/* The element named `name`, or NULL. */
void *vec_name_find_(const void *v, size_t n, size_t size, const char *name);
/* The element named `name`, made (zeroed but for its name) where it sorts
 * when absent, *fresh says which; NULL when out of memory. Appending in
 * order (building from another sorted array) costs one comparison. */
void *vec_name_put_(void **v, size_t *n, size_t *cap, size_t size, const char *name, int *fresh);
/* Removes the element named `name`; 1 if it was there. */
int vec_name_del_(void *v, size_t *n, size_t size, const char *name);

#define vec_name_find(vec, name) vec_name_find_((vec)->v, (vec)->n, sizeof(*(vec)->v), (name))
#define vec_name_put(vec, name, fresh) \
	vec_name_put_((void **)&(vec)->v, &(vec)->n, &(vec)->cap, sizeof(*(vec)->v), (name), (fresh))
#define vec_name_del(vec, name) vec_name_del_((vec)->v, &(vec)->n, sizeof(*(vec)->v), (name))
#endif
