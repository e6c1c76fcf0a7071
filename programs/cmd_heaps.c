/*
** cmd_heaps.c - `heapdig heaps DUMP`: every heap of the process, like WinDbg's `!heap -s`
** (same columns and units: Reserv/Commit/Virt/Free in KB, Lock cont. in hex), plus the busy
** blocks and bytes the walk found, how each heap was found, and with --explain the invariants
** that classified each candidate.
*/
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"

static const opt_spec specs[] = {
    {"json", 0, 0, "print one JSON document (docs/json.md)"},
    {"explain", 'x', 0, "show the classification evidence of every candidate"},
    {"help", 'h', 0, "this help"},
    {NULL, 0, 0, NULL},
};
enum { O_JSON, O_EXPLAIN, O_HELP };

/* NtGlobalFlag bits WinDbg lists as "debugging aids for new heaps". */
static void print_aids(uint32_t g)
{
    static const struct { uint32_t bit; const char *text; } aids[] = {
        {0x00000010, "tail checking"}, {0x00000020, "free checking"}, {0x00000040, "validate parameters"},
        {0x00000080, "validate on call"}, {0x00000800, "heap tagging"}, {0x00001000, "stack back traces"},
        {0x00008000, "heap tagging by DLL"}, {0x02000000, "page heap"},
    };
    size_t i;
    int any = 0;
    for (i = 0; i < sizeof aids / sizeof aids[0]; i++)
        if (g & aids[i].bit) {
            if (!any) printf("NtGlobalFlag enables following debugging aids for new heaps:\n");
            printf("    %s\n", aids[i].text);
            any = 1;
        }
    if (!any) printf("NtGlobalFlag 0x%x: no debugging aids for new heaps\n", g);
}

static void print_explain(const hd_heap *h)
{
    size_t i;
    const char *last = NULL;
    printf("  evidence for 0x%" PRIx64 " (%u-bit candidate, found by %s):\n", h->address, h->ptr_size * 8, h->found_by_text);
    for (i = 0; i < h->evidence_count; i++) {
        const hd_heap_evidence *e = &h->evidence[i];
        if (!last || strcmp(last, e->layout)) {
            printf("    %s:\n", e->layout[0] ? e->layout : "common invariants");
            last = e->layout;
        }
        printf("      [%s] %s%s%s%s\n", e->passed > 0 ? "pass" : e->passed == 0 ? "FAIL" : " -- ", e->check,
               e->detail[0] ? ": " : "", e->detail, e->weight ? "" : "");
    }
    if (h->kind == HD_HEAP_NT || h->kind == HD_HEAP_PAGE)
        printf("    => %s (%s), score %d/%d\n", h->layout, h->layout_title, h->score, h->score_max);
    else
        printf("    => %s\n", h->kind_name);
}

static void print_line(const hd_heap *h)
{
    char a[32];
    uint64_t reserved = 0, committed = 0, large_ucr = h->has_counters ? h->counters.total_memory_large_ucr : 0;
    size_t i;
    for (i = 0; i < h->segment_count; i++) {
        reserved += h->segments[i].reserved;
        committed += h->segments[i].committed;
    }
    printf("%s %08x %7" PRIu64 " %7" PRIu64 " %7" PRIu64 " %6" PRIu64 " %6" PRIu64 " %5u %5" PRIu64 " %5x %4s %8" PRIu64 " %8" PRIu64 "%s\n",
           fmt_addr_pad(a, h->address, h->ptr_size), h->flags, reserved / 1024, committed / 1024,
           (reserved >= large_ucr ? reserved - large_ucr : reserved) / 1024, h->totals.free_bytes / 1024,
           h->totals.free_list_entries, h->has_counters ? h->counters.total_ucrs : 0, h->totals.virtual_blocks,
           h->counters.lock_collisions, h->front_end_type == 2 ? "LFH" : "", h->totals.busy_blocks,
           h->totals.busy_user_bytes / 1024, h->partial ? "  (partial)" : "");
    if (committed && h->totals.free_bytes * 100 / committed >= 20)
        printf("    External fragmentation  %" PRIu64 " %% (%" PRIu64 " free blocks)\n", h->totals.free_bytes * 100 / committed,
               h->totals.free_blocks);
}

static void print_text(hd_dump *d, int explain)
{
    const hd_process *p = hd_process_get(d);
    size_t n = hd_heap_count(d), i, v;
    int views = (int)p->peb_count;
    char a[32];
    for (v = 0; v <= (size_t)views; v++) {
        int header = 0;
        for (i = 0; i < n; i++) {
            const hd_heap *h = hd_heap_at(d, i);
            int hv = h->view < 0 ? views : h->view;
            if ((size_t)hv != v || (h->kind != HD_HEAP_NT && h->kind != HD_HEAP_PAGE)) continue;
            if (!header) {
                const hd_peb *pb = v < p->peb_count ? &p->pebs[v] : NULL;
                int w = h->ptr_size == 8 ? 17 : 8;
                if (pb) {
                    printf("%s%u-bit heaps (PEB 0x%" PRIx64 ")\n", v ? "\n" : "", pb->ptr_size * 8, pb->address);
                    print_aids(pb->nt_global_flag);
                } else {
                    printf("\nheaps of no PEB view\n");
                }
                printf("%*s    Flags   Reserv  Commit    Virt   Free   List   UCR  Virt  Lock Fast    Busy     Busy\n", w, "Heap");
                printf("%*s              (k)     (k)     (k)    (k) length      blocks cont. heap  blocks      (k)\n", w, "");
                printf("%.*s\n", w + 96, "----------------------------------------------------------------------------------------------------------------------------");
                header = 1;
            }
            print_line(h);
        }
    }
    /* lfh keys */
    for (i = 0; i < n; i++) {
        const hd_heap *h = hd_heap_at(d, i);
        if (h->lfh_key_known) {
            printf("\nLFH Key                   : 0x%0*" PRIx64 " (recovered from heap %s)\n", h->ptr_size == 8 ? 16 : 8, h->lfh_key,
                   fmt_addr(a, h->address, h->ptr_size));
            break;
        }
    }
    printf("\n");
    for (i = 0; i < n; i++) {
        const hd_heap *h = hd_heap_at(d, i);
        printf("%s  %u-bit  %-10s %-12s %s; found by %s%s%s\n", fmt_addr_pad(a, h->address, h->ptr_size), h->ptr_size * 8,
               h->kind_name, h->layout[0] ? h->layout : "-", h->label, h->found_by_text,
               h->kind == HD_HEAP_NT ? "" : "", h->partial ? "; PARTIAL" : "");
        if (h->kind != HD_HEAP_NT && h->kind != HD_HEAP_PAGE) {
            size_t k;
            for (k = 0; k < h->problem_count && k < 8; k++) printf("    %s\n", h->problems[k]);
        }
        if (explain) print_explain(h);
    }
}

static void print_json(hd_dump *d)
{
    size_t n = hd_heap_count(d), i, k;
    json j;
    json_init(&j, stdout, 1);
    json_begin_obj(&j);
    json_kstr(&j, "file", hd_path(d));
    json_key(&j, "heaps");
    json_begin_arr(&j);
    for (i = 0; i < n; i++) {
        const hd_heap *h = hd_heap_at(d, i);
        uint64_t reserved = 0, committed = 0;
        for (k = 0; k < h->segment_count; k++) {
            reserved += h->segments[k].reserved;
            committed += h->segments[k].committed;
        }
        json_begin_obj(&j);
        json_kaddr(&j, "address", h->address);
        json_kstr(&j, "arch", h->ptr_size == 8 ? "x64" : "x86");
        json_kstr(&j, "kind", h->kind_name);
        json_key(&j, "layout");
        if (h->layout[0]) json_str(&j, h->layout); else json_null(&j);
        json_kstr(&j, "found_by", h->found_by_text);
        json_kstr(&j, "label", h->label);
        json_kbool(&j, "owned", h->owned);
        json_ku64(&j, "flags", h->flags);
        json_ku64(&j, "reserved", reserved);
        json_ku64(&j, "committed", committed);
        json_ku64(&j, "busy_blocks", h->totals.busy_blocks);
        json_ku64(&j, "busy_user_bytes", h->totals.busy_user_bytes);
        json_ku64(&j, "busy_block_bytes", h->totals.busy_block_bytes);
        json_ku64(&j, "free_blocks", h->totals.free_blocks);
        json_ku64(&j, "free_bytes", h->totals.free_bytes);
        json_ku64(&j, "virtual_blocks", h->totals.virtual_blocks);
        json_ku64(&j, "virtual_bytes", h->totals.virtual_bytes);
        json_ku64(&j, "segments", h->segment_count);
        json_ku64(&j, "ucrs", h->has_counters ? h->counters.total_ucrs : 0);
        json_kbool(&j, "lfh", h->front_end_type == 2);
        json_kbool(&j, "partial", h->partial);
        json_key(&j, "problems");
        json_begin_arr(&j);
        for (k = 0; k < h->problem_count; k++) json_str(&j, h->problems[k]);
        json_end_arr(&j);
        json_end_obj(&j);
    }
    json_end_arr(&j);
    json_diags(&j, d);
    json_end_obj(&j);
    json_finish(&j);
}

int cmd_heaps(int argc, char **argv)
{
    opt_result r[4] = {{0, NULL}};
    const char *pos[1];
    int npos, rc, readable = 0;
    size_t i, n;
    hd_dump *d;
    if (opts_parse("heaps", argc, argv, specs, r, pos, 1, &npos) < 0) return EXIT_NOTHING;
    if (r[O_HELP].present) { opts_usage(stdout, "heaps", "[--json] [--explain] DUMP", specs); return EXIT_ANSWER; }
    if (npos != 1) { opts_usage(stderr, "heaps", "[--json] [--explain] DUMP", specs); return EXIT_NOTHING; }
    if (!(d = cli_open(pos[0]))) return EXIT_NOTHING;
    n = hd_heap_count(d);
    if (n == 0) {   /* nothing could be said: no JSON (docs/json.md), the reason on stderr */
        cli_finish(d, 0);
        cli_no_heap(d, "no heap found");
        hd_close(d);
        return EXIT_NOTHING;
    }
    for (i = 0; i < n; i++) {
        const hd_heap *h = hd_heap_at(d, i);
        if (h->kind == HD_HEAP_NT || h->kind == HD_HEAP_PAGE) hd_heap_analyze(d, h);
        if (h->kind != HD_HEAP_UNREADABLE && h->kind != HD_HEAP_NOT_A_HEAP) readable++;
    }
    if (r[O_JSON].present) print_json(d); else print_text(d, r[O_EXPLAIN].present);
    rc = cli_finish(d, 0);
    if (!readable && rc == EXIT_ANSWER) {
        rc = EXIT_PARTIAL;
    }
    hd_close(d);
    return rc;
}
