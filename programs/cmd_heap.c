/*
** cmd_heap.c - `heapdig heap DUMP ADDR`: one heap in detail, like WinDbg's `!heap -h ADDR`:
** flags, force flags, granularity, segments with their committed parts and uncommitted ranges,
** the VirtualAlloc list (what `!heap -h` could not read in the seed), the LFH buckets, a free-list
** summary, the counters and the reconciliation.
*/
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static const opt_spec specs[] = {
    {"json", 0, 0, "print one JSON document (docs/json.md)"},
    {"help", 'h', 0, "this help"},
    {NULL, 0, 0, NULL},
};
enum { O_JSON, O_HELP };
#define SYNOPSIS "[--json] DUMP ADDR"

typedef struct va_ent { uint64_t entry, block, user, commit, reserve, user_size; unsigned flags; int internal; } va_ent;
typedef struct fsz { uint64_t size, count; } fsz;
typedef struct collect {
    va_ent *va;
    size_t nva, cap_va;
    fsz *fs;
    size_t nfs, cap_fs;
    uint64_t free_blocks, free_bytes, largest_free;
    int oom;
} collect;

static int on_block(void *user, const hd_block *b)
{
    collect *c = user;
    if (b->va_entry && !b->damaged) {
        if (c->nva == c->cap_va) {
            size_t n = c->cap_va ? c->cap_va * 2 : 16;
            va_ent *v = realloc(c->va, n * sizeof *v);
            if (!v) { c->oom = 1; return 1; }
            c->va = v;
            c->cap_va = n;
        }
        c->va[c->nva].entry = b->va_entry;
        c->va[c->nva].block = b->address;
        c->va[c->nva].user = b->user_address;
        c->va[c->nva].commit = b->commit_size;
        c->va[c->nva].reserve = b->reserve_size;
        c->va[c->nva].user_size = b->user_size;
        c->va[c->nva].flags = b->hdr_flags;
        c->va[c->nva].internal = b->kind == HD_BLOCK_INTERNAL;
        c->nva++;
    }
    if (b->kind == HD_BLOCK_BACKEND && b->state == HD_BLOCK_FREE && !b->damaged) {
        size_t i;
        c->free_blocks++;
        c->free_bytes += b->size;
        if (b->size > c->largest_free) c->largest_free = b->size;
        for (i = 0; i < c->nfs && c->fs[i].size != b->size; i++) {}
        if (i == c->nfs) {
            if (c->nfs == c->cap_fs) {
                size_t n = c->cap_fs ? c->cap_fs * 2 : 16;
                fsz *f = realloc(c->fs, n * sizeof *f);
                if (!f) { c->oom = 1; return 1; }
                c->fs = f;
                c->cap_fs = n;
            }
            c->fs[c->nfs].size = b->size;
            c->fs[c->nfs].count = 0;
            c->nfs++;
        }
        c->fs[i].count++;
    }
    return 0;
}

static int cmp_fsz(const void *a, const void *b)
{
    const fsz *x = a, *y = b;
    return x->size < y->size ? -1 : x->size > y->size;
}

static void print_text(hd_dump *d, const hd_heap *h, collect *c)
{
    unsigned ptr = h->ptr_size;
    char a[32], b[32], fl[512];
    size_t i, k;
    printf("Heap %s: %u-bit %s, %s layout (%s), score %d/%d\n", fmt_addr(a, h->address, ptr), ptr * 8, h->label,
           h->layout, h->layout_title, h->score, h->score_max);
    printf("Found by:             %s\n", h->found_by_text);
    for (i = 0; i < h->segment_count; i++) {
        const hd_heap_segment *s = &h->segments[i];
        printf("    Segment at %s to %s (%08" PRIx64 " bytes committed)%s%s\n", fmt_addr_pad(a, s->address, ptr),
               fmt_addr_pad(b, s->last_valid_entry, ptr), s->committed, s->readable ? "" : "  (header not captured)",
               s->found_by_scan ? "  (found by the scan, not on SegmentList)" : "");
    }
    printf("Flags:                %08x %s\n", h->flags, hd_heap_flags_string(h->flags, fl, sizeof fl));
    printf("ForceFlags:           %08x %s\n", h->force_flags, hd_heap_flags_string(h->force_flags, fl, sizeof fl));
    printf("Granularity:          %u bytes\n", h->granularity);
    printf("Segment Reserve:      %08" PRIx64 "\n", h->segment_reserve);
    printf("Segment Commit:       %08" PRIx64 "\n", h->segment_commit);
    printf("DeCommit Block Thres: %08" PRIx64 "\n", h->decommit_block_threshold);
    printf("DeCommit Total Thres: %08" PRIx64 "\n", h->decommit_total_threshold);
    printf("Total Free Size:      %08" PRIx64 "\n", h->counters.total_free_size);
    printf("Max. Allocation Size: %08" PRIx64 "\n", h->maximum_allocation_size);
    printf("Lock Variable at:     %s\n", fmt_addr_pad(a, h->lock_variable, ptr));
    printf("VirtualMemoryThreshold: %08x granules (%u bytes)\n", h->virtual_memory_threshold, h->virtual_memory_threshold * h->granularity);
    printf("Encoding:             %s\n", h->encode_flag_mask ? "on (EncodeFlagMask 0x00100000)" : "off");
    if (h->interceptor) printf("Interceptor:          %u%s\n", h->interceptor, h->interceptor == 1 ? " (+ust stack trace prefix)" : "");
    printf("Virtual Alloc List:   %s\n", fmt_addr_pad(a, h->virtual_alloc_list, ptr));
    for (i = 0; i < c->nva; i++) {
        const va_ent *v = &c->va[i];
        printf("    %s: %08" PRIx64 " [commited %08" PRIx64 ", reserved %08" PRIx64 "] BusyBlock %s UserPtr %s UserSize %" PRIx64 "%s\n",
               fmt_addr_pad(a, v->entry, ptr), v->commit, v->commit, v->reserve, fmt_addr_pad(b, v->block, ptr),
               fmt_addr_pad(fl, v->user, ptr), v->user_size, v->internal ? " - internal (heap metadata)" : " - busy");
    }
    printf("Uncommitted ranges:   %s\n", fmt_addr_pad(a, h->ucr_list, ptr));
    for (i = 0; i < h->segment_count; i++)
        for (k = 0; k < h->segments[i].ucr_count; k++) {
            const hd_heap_ucr *u = &h->segments[i].ucrs[k];
            printf("    %s: %08" PRIx64 "  (%" PRIu64 " bytes)  descriptor %s\n", fmt_addr_pad(a, u->address, ptr), u->size, u->size,
                   fmt_addr_pad(b, u->descriptor, ptr));
        }
    printf("FreeLists at %s: %" PRIu64 " entries; walk: %" PRIu64 " free blocks, %" PRIu64 " bytes, largest %" PRIu64 "\n",
           fmt_addr_pad(a, h->free_lists, ptr), h->totals.free_list_entries, c->free_blocks, c->free_bytes, c->largest_free);
    if (c->nfs) qsort(c->fs, c->nfs, sizeof *c->fs, cmp_fsz);
    for (i = 0; i < c->nfs; i++)
        printf("    0x%-6" PRIx64 " bytes x %" PRIu64 "\n", c->fs[i].size, c->fs[i].count);
    if (h->front_end_type == 2) {
        printf("Front end:            LFH, _LFH_HEAP at %s", fmt_addr_pad(a, h->front_end_heap, ptr));
        if (h->lfh_key_known) printf(", LFH key 0x%08" PRIx64, h->lfh_key);
        printf("\n    SizeIndex BlockSize Subsegments   Blocks     Busy     Free    Depth\n");
        for (i = 0; i < h->lfh_bucket_count; i++) {
            const hd_lfh_bucket *bk = &h->lfh_buckets[i];
            printf("    %9u %9u %11u %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64 "\n", bk->size_index, bk->block_size, bk->subsegments,
                   bk->blocks, bk->busy, bk->free, bk->depth);
        }
    } else {
        printf("Front end:            none (back end only)\n");
    }
    if (h->has_counters)
        printf("Counters:             reserved %" PRIx64 ", committed %" PRIx64 ", large UCR %" PRIx64 ", virtual %" PRIx64
               ", segments %u, UCRs %u, lock acquires %u, collisions %u\n",
               h->counters.total_memory_reserved, h->counters.total_memory_committed, h->counters.total_memory_large_ucr,
               h->counters.total_size_in_virtual_blocks, h->counters.total_segments, h->counters.total_ucrs, h->counters.lock_acquires,
               h->counters.lock_collisions);
    printf("Walk:                 %" PRIu64 " busy blocks (%" PRIu64 " user bytes), %" PRIu64 " free, %" PRIu64 " LFH (%" PRIu64
           " busy), %" PRIu64 " VirtualAlloc, %" PRIu64 " internal%s\n",
           h->totals.busy_blocks, h->totals.busy_user_bytes, h->totals.free_blocks, h->totals.lfh_blocks, h->totals.lfh_busy,
           h->totals.virtual_blocks, h->totals.internal_blocks, h->partial ? "; PARTIAL" : "");
    k = 0;
    for (i = 0; i < h->check_count; i++) if (!h->checks[i].ok && !h->checks[i].incomplete) k++;
    printf("Reconciliation:       %zu of %zu checks hold%s\n", h->check_count - k, h->check_count, k ? " ('heapdig check' lists them)" : "");
}

static void print_json(hd_dump *d, const hd_heap *h, collect *c)
{
    json j;
    size_t i, k;
    json_init(&j, stdout, 1);
    json_begin_obj(&j);
    json_kstr(&j, "file", hd_path(d));
    json_key(&j, "heap");
    json_begin_obj(&j);
    json_kaddr(&j, "address", h->address);
    json_kstr(&j, "arch", h->ptr_size == 8 ? "x64" : "x86");
    json_kstr(&j, "kind", h->kind_name);
    json_kstr(&j, "layout", h->layout);
    json_kstr(&j, "found_by", h->found_by_text);
    json_kstr(&j, "label", h->label);
    json_ku64(&j, "flags", h->flags);
    json_ku64(&j, "force_flags", h->force_flags);
    json_ku64(&j, "granularity", h->granularity);
    json_ku64(&j, "total_free_size", h->counters.total_free_size);
    json_key(&j, "segments");
    json_begin_arr(&j);
    for (i = 0; i < h->segment_count; i++) {
        const hd_heap_segment *s = &h->segments[i];
        json_begin_obj(&j);
        json_kaddr(&j, "address", s->address);
        json_kaddr(&j, "end", s->last_valid_entry);
        json_kaddr(&j, "first_entry", s->first_entry);
        json_ku64(&j, "reserved", s->reserved);
        json_ku64(&j, "committed", s->committed);
        json_key(&j, "ucrs");
        json_begin_arr(&j);
        for (k = 0; k < s->ucr_count; k++) {
            json_begin_obj(&j);
            json_kaddr(&j, "address", s->ucrs[k].address);
            json_ku64(&j, "size", s->ucrs[k].size);
            json_end_obj(&j);
        }
        json_end_arr(&j);
        json_end_obj(&j);
    }
    json_end_arr(&j);
    json_key(&j, "virtual_blocks");
    json_begin_arr(&j);
    for (i = 0; i < c->nva; i++) {
        json_begin_obj(&j);
        json_kaddr(&j, "va_entry", c->va[i].entry);
        json_kaddr(&j, "address", c->va[i].block);
        json_kaddr(&j, "user_address", c->va[i].user);
        json_ku64(&j, "user_size", c->va[i].user_size);
        json_ku64(&j, "commit_size", c->va[i].commit);
        json_ku64(&j, "reserve_size", c->va[i].reserve);
        json_kstr(&j, "kind", c->va[i].internal ? "internal" : "virtual");
        json_end_obj(&j);
    }
    json_end_arr(&j);
    json_key(&j, "lfh_buckets");
    json_begin_arr(&j);
    for (i = 0; i < h->lfh_bucket_count; i++) {
        const hd_lfh_bucket *bk = &h->lfh_buckets[i];
        json_begin_obj(&j);
        json_ku64(&j, "size_index", bk->size_index);
        json_ku64(&j, "block_size", bk->block_size);
        json_ku64(&j, "subsegments", bk->subsegments);
        json_ku64(&j, "blocks", bk->blocks);
        json_ku64(&j, "busy", bk->busy);
        json_ku64(&j, "free", bk->free);
        json_end_obj(&j);
    }
    json_end_arr(&j);
    json_ku64(&j, "free_list_entries", h->totals.free_list_entries);
    json_ku64(&j, "free_blocks", c->free_blocks);
    json_ku64(&j, "free_bytes", c->free_bytes);
    json_kbool(&j, "partial", h->partial);
    json_end_obj(&j);
    json_diags(&j, d);
    json_end_obj(&j);
    json_finish(&j);
}

int cmd_heap(int argc, char **argv)
{
    opt_result r[2] = {{0, NULL}};
    const char *pos[2];
    int npos, rc;
    uint64_t addr;
    const hd_heap *h;
    hd_dump *d;
    collect c;
    if (opts_parse("heap", argc, argv, specs, r, pos, 2, &npos) < 0) return EXIT_NOTHING;
    if (r[O_HELP].present) { opts_usage(stdout, "heap", SYNOPSIS, specs); return EXIT_ANSWER; }
    if (npos != 2) { opts_usage(stderr, "heap", SYNOPSIS, specs); return EXIT_NOTHING; }
    if (parse_addr(pos[1], &addr)) {
        fprintf(stderr, "heapdig heap: bad heap address '%s'\n", pos[1]);
        return EXIT_NOTHING;
    }
    if (!(d = cli_open(pos[0]))) return EXIT_NOTHING;
    h = hd_heap_find(d, addr);
    if (!h) {
        fprintf(stderr, "heapdig: %s: no heap at 0x%" PRIx64 " (see 'heapdig heaps')\n", pos[0], addr);
        hd_close(d);
        return EXIT_NOTHING;
    }
    if (h->kind != HD_HEAP_NT && h->kind != HD_HEAP_PAGE) {
        size_t k;
        fprintf(stderr, "heapdig: %s: 0x%" PRIx64 " is %s (%s), not an NT heap that can be walked\n", pos[0], addr, h->kind_name, h->label);
        for (k = 0; k < h->problem_count; k++) fprintf(stderr, "    %s\n", h->problems[k]);
        hd_close(d);
        return EXIT_NOTHING;
    }
    memset(&c, 0, sizeof c);
    hd_heap_walk(d, h, on_block, &c);   /* the first walk also analyses */
    hd_heap_analyze(d, h);
    if (r[O_JSON].present) print_json(d, h, &c); else print_text(d, h, &c);
    free(c.va);
    free(c.fs);
    rc = cli_finish(d, 0);
    hd_close(d);
    return rc;
}
