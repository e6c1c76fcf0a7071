/*
** bench_top.c - what `top` costs on top of the heap walk (issue 5: at most +20%).
**
**   bench_top DUMP [ROUNDS]
**
** Each round opens DUMP twice (fresh state each time, heaps discovered before the clock starts):
**   walk: hd_heap_walk over every NT heap with a callback that only counts busy blocks;
**   top:  hd_top (the same walk, plus resolving each block's stack reference, the size table, and
**         at the end naming every distinct stack and grouping).
** The rounds alternate walk and top so that both see the same page cache; the best time of each
** is kept, of the wall time and of the CPU time (user + system) alike (the machine is shared: the
** CPU time is the steadier figure).  Prints one line of JSON: blocks, stacks, groups, walk_s,
** top_s, overhead_pct (top/walk - 1, wall), the same for CPU time, and top's blocks per second.
*/
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <sys/resource.h>
#include "heapdig.h"

/* CPU seconds (user + system) of this process so far. */
static double cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}
static double g_cpu;   /* CPU seconds of the last timed section */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int on_block(void *user, const hd_block *b)
{
    if (b->state == HD_BLOCK_BUSY && b->kind != HD_BLOCK_INTERNAL) ++*(uint64_t *)user;
    return 0;
}

static double run_walk(const char *path, uint64_t *blocks)
{
    hd_dump *d = NULL;
    size_t i, n;
    double t;
    if (hd_open(path, NULL, &d) != HD_OK) { fprintf(stderr, "bench_top: cannot open %s\n", path); exit(2); }
    n = hd_heap_count(d);
    *blocks = 0;
    g_cpu = cpu();
    t = now();
    for (i = 0; i < n; i++) {
        const hd_heap *h = hd_heap_at(d, i);
        if (h->kind == HD_HEAP_NT) hd_heap_walk(d, h, on_block, blocks);
    }
    t = now() - t;
    g_cpu = cpu() - g_cpu;
    hd_close(d);
    return t;
}

static double run_top(const char *path, uint64_t *blocks, size_t *stacks, size_t *groups)
{
    hd_dump *d = NULL;
    hd_summary *s = NULL;
    double t;
    if (hd_open(path, NULL, &d) != HD_OK) exit(2);
    hd_heap_count(d);
    g_cpu = cpu();
    t = now();
    if (hd_top(d, NULL, &s) != HD_OK) { fprintf(stderr, "bench_top: hd_top failed\n"); exit(2); }
    t = now() - t;
    g_cpu = cpu() - g_cpu;
    *blocks = s->busy_blocks;
    *stacks = s->stack_count;
    *groups = s->group_count;
    hd_summary_free(s);
    hd_close(d);
    return t;
}

int main(int argc, char **argv)
{
    int rounds = argc > 2 ? atoi(argv[2]) : 3, r;
    double best_walk = 1e30, best_top = 1e30, cpu_walk = 1e30, cpu_top = 1e30;
    uint64_t wb = 0, tb = 0;
    size_t stacks = 0, groups = 0;
    if (argc < 2) { fprintf(stderr, "usage: bench_top DUMP [ROUNDS]\n"); return 2; }
    if (rounds < 1) rounds = 1;
    for (r = 0; r < rounds; r++) {
        double w, t, wc, tc;
        w = run_walk(argv[1], &wb);
        wc = g_cpu;
        t = run_top(argv[1], &tb, &stacks, &groups);
        tc = g_cpu;
        if (w < best_walk) best_walk = w;
        if (t < best_top) best_top = t;
        if (wc < cpu_walk) cpu_walk = wc;
        if (tc < cpu_top) cpu_top = tc;
        fprintf(stderr, "round %d: walk %.3f s (cpu %.3f), top %.3f s (cpu %.3f)\n", r + 1, w, wc, t, tc);
    }
    printf("{\"dump\": \"%s\", \"blocks_walk\": %" PRIu64 ", \"blocks_top\": %" PRIu64 ", \"stacks\": %zu, \"groups\": %zu, "
           "\"walk_s\": %.3f, \"top_s\": %.3f, \"overhead_pct\": %.1f, \"walk_cpu_s\": %.3f, \"top_cpu_s\": %.3f, "
           "\"cpu_overhead_pct\": %.1f, \"blocks_per_s_top\": %.0f}\n",
           argv[1], wb, tb, stacks, groups, best_walk, best_top, 100.0 * (best_top / best_walk - 1.0), cpu_walk, cpu_top,
           100.0 * (cpu_top / cpu_walk - 1.0),
           best_top > 0 ? (double)tb / best_top : 0.0);
    return wb == tb ? 0 : 1;
}
