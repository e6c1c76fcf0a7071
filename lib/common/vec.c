/*
** vec.c - growable arrays (see vec.h).
*/
#include <stdint.h>   /* SIZE_MAX */
#include <stdlib.h>   /* realloc, free, qsort */
#include <string.h>   /* memset */
#include "vec.h"

void vec_init(vec *v, size_t elem)
{
    v->data = NULL;
    v->len = v->cap = 0;
    v->elem = elem;
}

void vec_free(vec *v)
{
    free(v->data);
    v->data = NULL;
    v->len = v->cap = 0;
}

hd_err vec_reserve(vec *v, size_t n)
{
    void *p;
    if (n <= v->cap) return HD_OK;
    if (v->elem == 0 || n > SIZE_MAX / v->elem) return HD_ENOMEM;
    p = realloc(v->data, n * v->elem);
    if (!p) return HD_ENOMEM;
    v->data = p;
    v->cap = n;
    return HD_OK;
}

void *vec_push(vec *v)
{
    void *slot;
    if (v->len == v->cap) {
        size_t n = v->cap ? v->cap * 2 : 16;
        if (n < v->cap || vec_reserve(v, n) != HD_OK) return NULL;
    }
    slot = (char *)v->data + v->len * v->elem;
    memset(slot, 0, v->elem);
    v->len++;
    return slot;
}

void *vec_at(const vec *v, size_t i)
{
    return i < v->len ? (char *)v->data + i * v->elem : NULL;
}

void hd_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (n > 1) qsort(base, n, size, cmp);
}
