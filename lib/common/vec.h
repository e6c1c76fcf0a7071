/*
** vec.h - a growable array of fixed-size elements with checked growth.
**
** Used for every table built from dump data.  Growth is geometric; vec_reserve refuses sizes
** whose byte count would overflow and returns HD_ENOMEM, so callers can check a count read
** from a dump against hd_limits first and then reserve exactly.
*/
#ifndef HD_VEC_H
#define HD_VEC_H

#include <stddef.h>
#include "heapdig.h"
#include "internal.h"

typedef struct vec {
    void *data;
    size_t len, cap, elem;
} vec;

HD_API_INTERNAL void vec_init(vec *v, size_t elem);
HD_API_INTERNAL void vec_free(vec *v);
HD_API_INTERNAL hd_err vec_reserve(vec *v, size_t n);          /* capacity >= n */
HD_API_INTERNAL void *vec_push(vec *v);                         /* zeroed new slot or NULL */
HD_API_INTERNAL void *vec_at(const vec *v, size_t i);
#define VEC_AT(v, T, i) ((T *)vec_at((v), (i)))
/* qsort that accepts an empty (possibly NULL) array: qsort(NULL, 0, ...) is undefined. */
HD_API_INTERNAL void hd_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));

#endif
