/*
** diff.c - growth between two summaries of the same program (`heapdig diff OLD NEW`).
**
** Groups are matched by key: canonical symbolized frames ("halcon!HXmalloc+0x8b"), module or
** function names, or "size 0x...", so that ASLR moving modules between runs does not matter.
** A second pass matches the stack groups still unmatched after ignoring their frames outside
** modules (JIT-compiled code lands at different addresses in every run): an old group matches the
** first unmatched new group with the same relaxed key.  Rows are sorted by byte growth.
*/
#include <stdlib.h>   /* calloc, qsort, free */
#include <string.h>   /* strcmp, strlen */
#include "../core.h"

typedef struct diff_impl {
    hd_diff pub;
    hd_diff_row *rows;
} diff_impl;

/* The key with every frame outside modules ("0x...") replaced by "?"; malloc'ed. */
static char *relaxed_key(const hd_group *g)
{
    size_t i, n = 1;
    char *k, *p;
    if (!g->has_stack || g->size) return NULL;
    for (i = 0; i < g->depth; i++) n += strlen(g->frames[i]->text) + 1;
    if (!(k = malloc(n))) return NULL;
    p = k;
    for (i = 0; i < g->depth; i++) {
        const char *t = g->frames[i]->module ? g->frames[i]->text : "?";
        size_t m = strlen(t);
        memcpy(p, t, m);
        p += m;
        *p++ = '\n';
    }
    *p = 0;
    return k;
}

static int cmp_row(const void *a, const void *b)
{
    const hd_diff_row *x = a, *y = b;
    const hd_group *gx = x->new_group ? x->new_group : x->old_group, *gy = y->new_group ? y->new_group : y->old_group;
    if (x->bytes_delta != y->bytes_delta) return x->bytes_delta > y->bytes_delta ? -1 : 1;
    if (x->count_delta != y->count_delta) return x->count_delta > y->count_delta ? -1 : 1;
    return strcmp(gx->key, gy->key);
}

static size_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (size_t)h;
}

hd_err hd_diff_summaries(const hd_summary *o, const hd_summary *n, hd_diff **out)
{
    diff_impl *df;
    size_t i, j, nr = 0, cap;
    size_t *tab = NULL;           /* hash of new groups by key: index + 1 */
    unsigned char *new_used = NULL, *old_used = NULL;
    char **nrel = NULL, **orel = NULL;
    hd_err e = HD_ENOMEM;
    *out = NULL;
    if (!o || !n) return HD_EINVAL;
    if (o->by != n->by) return HD_EINVAL;
    if (!(df = calloc(1, sizeof *df))) return HD_ENOMEM;
    df->pub.by = n->by;
    df->pub.bytes_delta = (int64_t)(n->busy_bytes - o->busy_bytes);
    df->pub.count_delta = (int64_t)(n->busy_blocks - o->busy_blocks);
    if (!(df->rows = calloc(o->group_count + n->group_count + 1, sizeof *df->rows))) goto done;
    cap = 16;
    while (cap < n->group_count * 2 + 2) cap *= 2;
    tab = calloc(cap, sizeof *tab);
    new_used = calloc(n->group_count + 1, 1);
    old_used = calloc(o->group_count + 1, 1);
    nrel = calloc(n->group_count + 1, sizeof *nrel);
    orel = calloc(o->group_count + 1, sizeof *orel);
    if (!tab || !new_used || !old_used || !nrel || !orel) goto done;
    for (i = 0; i < n->group_count; i++) {
        for (j = hash_str(n->groups[i].key) & (cap - 1); tab[j]; j = (j + 1) & (cap - 1)) {}
        tab[j] = i + 1;
    }
    /* exact keys */
    for (i = 0; i < o->group_count; i++) {
        const hd_group *g = &o->groups[i];
        for (j = hash_str(g->key) & (cap - 1); tab[j]; j = (j + 1) & (cap - 1)) {
            size_t k = tab[j] - 1;
            if (!new_used[k] && !strcmp(n->groups[k].key, g->key)) {
                hd_diff_row *r = &df->rows[nr++];
                new_used[k] = old_used[i] = 1;
                r->old_group = g;
                r->new_group = &n->groups[k];
                r->bytes_delta = (int64_t)(r->new_group->bytes - g->bytes);
                r->count_delta = (int64_t)(r->new_group->count - g->count);
                break;
            }
        }
    }
    /* relaxed keys for what is left (O(left_old x left_new) string compares: few in practice) */
    for (i = 0; i < n->group_count; i++)
        if (!new_used[i] && n->by == HD_BY_STACK) nrel[i] = relaxed_key(&n->groups[i]);
    for (i = 0; i < o->group_count; i++) {
        if (old_used[i] || o->by != HD_BY_STACK || !(orel[i] = relaxed_key(&o->groups[i]))) continue;
        for (j = 0; j < n->group_count; j++) {
            if (new_used[j] || !nrel[j] || strcmp(nrel[j], orel[i]) != 0) continue;
            {
                hd_diff_row *r = &df->rows[nr++];
                new_used[j] = old_used[i] = 1;
                r->old_group = &o->groups[i];
                r->new_group = &n->groups[j];
                r->bytes_delta = (int64_t)(r->new_group->bytes - r->old_group->bytes);
                r->count_delta = (int64_t)(r->new_group->count - r->old_group->count);
            }
            break;
        }
    }
    for (i = 0; i < o->group_count; i++) {
        if (old_used[i]) continue;
        df->rows[nr].old_group = &o->groups[i];
        df->rows[nr].bytes_delta = -(int64_t)o->groups[i].bytes;
        df->rows[nr].count_delta = -(int64_t)o->groups[i].count;
        nr++;
    }
    for (i = 0; i < n->group_count; i++) {
        if (new_used[i]) continue;
        df->rows[nr].new_group = &n->groups[i];
        df->rows[nr].bytes_delta = (int64_t)n->groups[i].bytes;
        df->rows[nr].count_delta = (int64_t)n->groups[i].count;
        nr++;
    }
    hd_sort(df->rows, nr, sizeof *df->rows, cmp_row);
    df->pub.rows = df->rows;
    df->pub.row_count = nr;
    e = HD_OK;
done:
    if (nrel) for (i = 0; i < n->group_count; i++) free(nrel[i]);
    if (orel) for (i = 0; i < o->group_count; i++) free(orel[i]);
    free(nrel);
    free(orel);
    free(tab);
    free(new_used);
    free(old_used);
    if (e != HD_OK) {
        free(df->rows);
        free(df);
        return e;
    }
    *out = &df->pub;
    return HD_OK;
}

void hd_diff_free(hd_diff *x)
{
    diff_impl *df = (diff_impl *)x;
    if (!df) return;
    free(df->rows);
    free(df);
}
