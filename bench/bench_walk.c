/*
** bench_walk.c - how fast the heap walk is, against the floor of reading the same bytes.
**
**   bench_walk DUMP [--read-first]
**
** In one run, on one mapping of DUMP:
**   1. walk: discover the heaps and walk every NT heap (hd_heap_analyze: blocks, LFH, VA blocks,
**      free lists and the reconciliation); count blocks in the callback.  Wall time, blocks/s.
**      Peak RSS is taken right after the walk (getrusage ru_maxrss: the walk's own peak).
**   2. read: a plain sequential read of the same committed heap bytes through the same mapping,
**      64-bit words summed, pages released behind the reader exactly as the walker does: first
**      every segment's committed ranges (what the walk tiles), then also every VirtualAlloc'd
**      block's committed bytes (which the walk needs only the headers of).
**   ratio = walk time / read time, for both.  Targets (issue 4): ratio <= 1.5, peak RSS <= 64 MB +
**   32 B/block.
** --read-first runs the read before the walk (to see page-cache effects).  One line of JSON.
*/
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include "heapdig.h"
#include "as/as.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t peak_rss_bytes(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (uint64_t)ru.ru_maxrss * 1024;   /* Linux: KB */
}

typedef struct cnt { uint64_t blocks, bytes; } cnt;
static int on_block(void *user, const hd_block *b)
{
    cnt *c = user;
    c->blocks++;
    c->bytes += b->size;
    return 0;
}

typedef struct rd { const hd_dump *d; uint64_t bytes, seg_bytes, sum; } rd;

/* Read [a, b) sequentially through the mapping; release each 32 MB behind. */
static void read_range(rd *r, uint64_t a, uint64_t b)
{
    uint64_t va = a, released = a;
    while (va < b) {
        uint64_t n, i, w = 0;
        const uint8_t *p = as_span(r->d, va, &n);
        if (!p) {
            uint64_t nx = as_next_captured(r->d, va);
            if (nx == UINT64_MAX || nx >= b) break;
            va = nx;
            continue;
        }
        if (n > b - va) n = b - va;
        for (i = 0; i + 8 <= n; i += 8) {
            uint64_t x;
            memcpy(&x, p + i, 8);
            w += x;
        }
        r->sum += w;
        r->bytes += n;
        va += n;
        if (va - released >= ((uint64_t)32 << 20)) {
            as_release(r->d, released, va - released);
            released = va;
        }
    }
    if (va > released) as_release(r->d, released, va - released);
}

static int on_va(void *user, const hd_block *b)
{
    rd *r = user;
    if (b->va_entry) read_range(r, b->va_entry, b->va_entry + b->commit_size);
    return 0;
}

/* Read every segment's committed bytes, then (WITH_VA) every VirtualAlloc'd block's; returns the
** seconds of each part in seg_s / va_s. */
static void read_all(hd_dump *d, rd *r, double *seg_s, double *va_s)
{
    double t0 = now();
    size_t i, k, u;
    for (i = 0; i < hd_heap_count(d); i++) {
        const hd_heap *h = hd_heap_at(d, i);
        if (h->kind != HD_HEAP_NT) continue;
        for (k = 0; k < h->segment_count; k++) {
            const hd_heap_segment *s = &h->segments[k];
            uint64_t cur = s->address;
            if (!s->readable) continue;
            for (u = 0; u < s->ucr_count; u++) {
                if (s->ucrs[u].address > cur) read_range(r, cur, s->ucrs[u].address);
                if (s->ucrs[u].address + s->ucrs[u].size > cur) cur = s->ucrs[u].address + s->ucrs[u].size;
            }
            if (cur < s->last_valid_entry) read_range(r, cur, s->last_valid_entry);
        }
    }
    *seg_s = now() - t0;
    r->seg_bytes = r->bytes;
    t0 = now();
    for (i = 0; i < hd_heap_count(d); i++) {
        const hd_heap *h = hd_heap_at(d, i);
        if (h->kind == HD_HEAP_NT) hd_heap_walk_virtual(d, h, on_va, r);
    }
    *va_s = now() - t0;
}

int main(int argc, char **argv)
{
    hd_dump *d = NULL;
    const char *path = NULL;
    int read_first = 0, i;
    double t0, t_walk, seg_s = 0, va_s = 0;
    uint64_t rss_walk;
    cnt c = {0, 0};
    rd r;
    size_t k, heaps = 0;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--read-first")) read_first = 1;
        else path = argv[i];
    }
    if (!path) {
        fprintf(stderr, "usage: bench_walk DUMP [--read-first]\n");
        return 2;
    }
    if (hd_open(path, NULL, &d) != HD_OK) {
        fprintf(stderr, "bench_walk: cannot open %s\n", path);
        return 2;
    }
    memset(&r, 0, sizeof r);
    r.d = d;
    if (read_first) {
        hd_heap_count(d);
        read_all(d, &r, &seg_s, &va_s);
    }
    t0 = now();
    for (k = 0; k < hd_heap_count(d); k++) {
        const hd_heap *h = hd_heap_at(d, k);
        if (h->kind != HD_HEAP_NT) continue;
        heaps++;
        hd_heap_walk(d, h, on_block, &c);   /* the first walk analyses too: discovery, LFH, checks */
    }
    t_walk = now() - t0;
    rss_walk = peak_rss_bytes();
    if (!read_first) read_all(d, &r, &seg_s, &va_s);
    printf("{\"dump\": \"%s\", \"heaps\": %zu, \"blocks\": %" PRIu64 ", \"walk_s\": %.3f, \"blocks_per_s\": %.0f,\n"
           " \"read_segments_bytes\": %" PRIu64 ", \"read_segments_s\": %.3f, \"ratio_walk_to_segment_read\": %.2f,\n"
           " \"read_all_bytes\": %" PRIu64 ", \"read_all_s\": %.3f, \"ratio_walk_to_full_read\": %.2f,\n"
           " \"peak_rss_walk_bytes\": %" PRIu64 ", \"rss_target_bytes\": %" PRIu64 ", \"read_first\": %s, \"checksum\": %" PRIu64 "}\n",
           path, heaps, c.blocks, t_walk, t_walk > 0 ? (double)c.blocks / t_walk : 0.0,
           r.seg_bytes, seg_s, seg_s > 0 ? t_walk / seg_s : 0.0,
           r.bytes, seg_s + va_s, seg_s + va_s > 0 ? t_walk / (seg_s + va_s) : 0.0,
           rss_walk, ((uint64_t)64 << 20) + 32 * c.blocks, read_first ? "true" : "false", r.sum & 0xFFFF);
    hd_close(d);
    return 0;
}
