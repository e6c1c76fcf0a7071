/*
** cmd_stat.c - `heapdig stat DUMP [--heap ADDR]`: busy blocks grouped by user size, like WinDbg's
** `!heap -stat -h`: size, #blocks, total, and the share of the busy bytes.  Memory is one entry
** per distinct size (an open-addressing table), never one per block.
*/
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static const opt_spec specs[] = {
    {"json", 0, 0, "print one JSON document (docs/json.md)"},
    {"heap", 0, 1, "ADDR  only this heap (default: every NT heap)"},
    {"group-by", 0, 1, "total|count|size  order of the groups (default total)"},
    {"max", 0, 1, "N  groups shown (default 20, 0 = all)"},
    {"help", 'h', 0, "this help"},
    {NULL, 0, 0, NULL},
};
enum { O_JSON, O_HEAP, O_GROUP, O_MAX, O_HELP };
#define SYNOPSIS "[--json] [--heap ADDR] [--group-by total|count|size] [--max N] DUMP"

typedef struct grp { uint64_t size, count, total; int used; } grp;
typedef struct table { grp *g; size_t cap, len; uint64_t busy_bytes, busy_blocks; int oom; } table;

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

static int grow(table *t)
{
    size_t ncap = t->cap ? t->cap * 2 : 256, i;
    grp *ng = calloc(ncap, sizeof *ng);
    if (!ng) return -1;
    for (i = 0; i < t->cap; i++) {
        size_t k;
        if (!t->g[i].used) continue;
        for (k = (size_t)mix(t->g[i].size) & (ncap - 1); ng[k].used; k = (k + 1) & (ncap - 1)) {}
        ng[k] = t->g[i];
    }
    free(t->g);
    t->g = ng;
    t->cap = ncap;
    return 0;
}

static int on_block(void *user, const hd_block *b)
{
    table *t = user;
    size_t k;
    if (b->state != HD_BLOCK_BUSY || b->kind == HD_BLOCK_INTERNAL || b->damaged) return 0;
    t->busy_bytes += b->user_size;
    t->busy_blocks++;
    if ((t->len + 1) * 2 > t->cap && grow(t)) { t->oom = 1; return 1; }
    for (k = (size_t)mix(b->user_size) & (t->cap - 1); t->g[k].used && t->g[k].size != b->user_size; k = (k + 1) & (t->cap - 1)) {}
    if (!t->g[k].used) {
        t->g[k].used = 1;
        t->g[k].size = b->user_size;
        t->len++;
    }
    t->g[k].count++;
    t->g[k].total += b->user_size;
    return 0;
}

static int order;   /* 0 total, 1 count, 2 size */
static int cmp(const void *a, const void *b)
{
    const grp *x = a, *y = b;
    uint64_t kx = order == 0 ? x->total : order == 1 ? x->count : x->size;
    uint64_t ky = order == 0 ? y->total : order == 1 ? y->count : y->size;
    if (kx != ky) return kx < ky ? 1 : -1;
    return x->size < y->size ? 1 : x->size > y->size ? -1 : 0;
}

int cmd_stat(int argc, char **argv)
{
    opt_result r[5] = {{0, NULL}};
    const char *pos[1];
    int npos, rc, walked = 0;
    uint64_t only = 0, maxn = 20;
    size_t i, n, k;
    hd_dump *d;
    table t;
    char a[32];
    memset(&t, 0, sizeof t);
    if (opts_parse("stat", argc, argv, specs, r, pos, 1, &npos) < 0) return EXIT_NOTHING;
    if (r[O_HELP].present) { opts_usage(stdout, "stat", SYNOPSIS, specs); return EXIT_ANSWER; }
    if (npos != 1) { opts_usage(stderr, "stat", SYNOPSIS, specs); return EXIT_NOTHING; }
    if (r[O_HEAP].present && parse_addr(r[O_HEAP].value, &only)) {
        fprintf(stderr, "heapdig stat: bad heap address '%s'\n", r[O_HEAP].value);
        return EXIT_NOTHING;
    }
    if (r[O_MAX].present && parse_u64(r[O_MAX].value, &maxn, 0)) {
        fprintf(stderr, "heapdig stat: bad --max '%s'\n", r[O_MAX].value);
        return EXIT_NOTHING;
    }
    order = 0;
    if (r[O_GROUP].present) {
        if (!strcmp(r[O_GROUP].value, "total")) order = 0;
        else if (!strcmp(r[O_GROUP].value, "count")) order = 1;
        else if (!strcmp(r[O_GROUP].value, "size")) order = 2;
        else { fprintf(stderr, "heapdig stat: --group-by total, count or size\n"); return EXIT_NOTHING; }
    }
    if (!(d = cli_open(pos[0]))) return EXIT_NOTHING;
    n = hd_heap_count(d);
    for (i = 0; i < n; i++) {
        const hd_heap *h = hd_heap_at(d, i);
        if ((h->kind == HD_HEAP_NT || h->kind == HD_HEAP_PAGE) && (!r[O_HEAP].present || h->address == only)) walked++;
    }
    if (!walked) {   /* nothing could be said: no output but the reason */
        if (r[O_HEAP].present) fprintf(stderr, "heapdig: %s: no NT heap at that address (heapdig heaps lists them)\n", pos[0]);
        else cli_no_heap(d, "no NT heap to walk");
        hd_close(d);
        return EXIT_NOTHING;
    }
    walked = 0;
    for (i = 0; i < n && !t.oom; i++) {
        const hd_heap *h = hd_heap_at(d, i);
        if ((h->kind != HD_HEAP_NT && h->kind != HD_HEAP_PAGE) || (r[O_HEAP].present && h->address != only)) continue;
        hd_heap_walk(d, h, on_block, &t);
        walked++;
    }
    if (t.oom) {
        fprintf(stderr, "heapdig stat: out of memory\n");
        free(t.g);
        hd_close(d);
        return EXIT_NOTHING;
    }
    /* compact and sort */
    for (i = k = 0; i < t.cap; i++) if (t.g[i].used) t.g[k++] = t.g[i];
    if (k) qsort(t.g, k, sizeof *t.g, cmp);
    if (maxn == 0 || maxn > k) maxn = k;
    if (r[O_JSON].present) {
        json j;
        json_init(&j, stdout, 1);
        json_begin_obj(&j);
        json_kstr(&j, "file", hd_path(d));
        if (r[O_HEAP].present) json_kaddr(&j, "heap", only);
        json_ku64(&j, "busy_blocks", t.busy_blocks);
        json_ku64(&j, "busy_bytes", t.busy_bytes);
        json_ku64(&j, "groups_total", k);
        json_key(&j, "groups");
        json_begin_arr(&j);
        for (i = 0; i < maxn; i++) {
            json_begin_obj(&j);
            json_ku64(&j, "user_size", t.g[i].size);
            json_ku64(&j, "count", t.g[i].count);
            json_ku64(&j, "total", t.g[i].total);
            json_kdbl(&j, "percent", t.busy_bytes ? 100.0 * (double)t.g[i].total / (double)t.busy_bytes : 0.0);
            json_end_obj(&j);
        }
        json_end_arr(&j);
        json_diags(&j, d);
        json_end_obj(&j);
        json_finish(&j);
    } else {
        if (r[O_HEAP].present) printf(" heap @ %s\n", fmt_addr(a, only, 8));
        printf("group-by: %s max-display: %" PRIu64 "\n", order == 0 ? "TOTSIZE" : order == 1 ? "BLOCKCOUNT" : "SIZE", maxn);
        printf("    size     #blocks     total     ( %%) (percent of total busy bytes)\n");
        for (i = 0; i < maxn; i++)
            printf("    %" PRIx64 " %" PRIx64 " - %" PRIx64 "  (%.2f)\n", t.g[i].size, t.g[i].count, t.g[i].total,
                   t.busy_bytes ? 100.0 * (double)t.g[i].total / (double)t.busy_bytes : 0.0);
        printf("%" PRIu64 " busy blocks, %" PRIu64 " busy bytes in %zu size groups\n", t.busy_blocks, t.busy_bytes, k);
    }
    free(t.g);
    rc = cli_finish(d, 0);
    hd_close(d);
    return rc;
}
