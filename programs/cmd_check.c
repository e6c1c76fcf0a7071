/*
** cmd_check.c - `heapdig check DUMP`: walk every NT heap and print every reconciliation (the walk
** against the heap's own counters and the MemoryInfoList) and every problem found, with its
** address and reason.  Other commands print only a one-line summary of these.
**
** Exit status: 0 everything reconciles; 1 damage or a mismatch was found; 2 nothing to check.
*/
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"

static const opt_spec specs[] = {
    {"json", 0, 0, "print one JSON document (docs/json.md)"},
    {"heap", 0, 1, "ADDR  only this heap"},
    {"help", 'h', 0, "this help"},
    {NULL, 0, 0, NULL},
};
enum { O_JSON, O_HEAP, O_HELP };

static void text_heap(const hd_heap *h)
{
    char a[32];
    size_t k;
    printf("heap %s (%u-bit, %s, %s, %s)\n", fmt_addr(a, h->address, h->ptr_size), h->ptr_size * 8, h->kind_name,
           h->layout[0] ? h->layout : "-", h->label);
    if (h->kind != HD_HEAP_NT && h->kind != HD_HEAP_PAGE) {
        for (k = 0; k < h->problem_count; k++) printf("  problem: %s\n", h->problems[k]);
        return;
    }
    printf("  layout score %d/%d; %zu segment(s); %" PRIu64 " back-end blocks, %" PRIu64 " LFH blocks, %" PRIu64 " VirtualAlloc blocks%s\n",
           h->score, h->score_max, h->segment_count, h->totals.backend_blocks, h->totals.lfh_blocks, h->totals.virtual_blocks,
           h->partial ? "; PARTIAL" : "");
    for (k = 0; k < h->check_count; k++) {
        const hd_heap_check *c = &h->checks[k];
        printf("  [%s] %s: heap 0x%" PRIx64 ", walk 0x%" PRIx64 "%s\n",
               c->ok ? " ok " : c->incomplete ? "n/a " : c->informative ? "info" : "MISMATCH", c->name, c->expected, c->actual,
               c->ok ? "" : c->incomplete ? " (not evaluable: memory missing from the dump)"
                          : c->informative ? " (need not match on this layout)" : "");
    }
    for (k = 0; k < h->problem_count; k++) printf("  problem: %s\n", h->problems[k]);
}

static void json_heap(json *j, const hd_heap *h)
{
    size_t k;
    json_begin_obj(j);
    json_kaddr(j, "address", h->address);
    json_kstr(j, "arch", h->ptr_size == 8 ? "x64" : "x86");
    json_kstr(j, "kind", h->kind_name);
    json_key(j, "layout");
    if (h->layout[0]) json_str(j, h->layout); else json_null(j);
    json_kbool(j, "partial", h->partial);
    json_key(j, "checks");
    json_begin_arr(j);
    for (k = 0; k < h->check_count; k++) {
        const hd_heap_check *c = &h->checks[k];
        json_begin_obj(j);
        json_kstr(j, "name", c->name);
        json_ku64(j, "expected", c->expected);
        json_ku64(j, "actual", c->actual);
        json_kbool(j, "ok", c->ok);
        json_kbool(j, "informative", c->informative);
        json_kbool(j, "incomplete", c->incomplete);
        json_end_obj(j);
    }
    json_end_arr(j);
    json_key(j, "problems");
    json_begin_arr(j);
    for (k = 0; k < h->problem_count; k++) json_str(j, h->problems[k]);
    json_end_arr(j);
    json_end_obj(j);
}

int cmd_check(int argc, char **argv)
{
    opt_result r[4] = {{0, NULL}};
    const char *pos[1];
    int npos, rc, bad = 0;
    size_t i, n, shown = 0;
    uint64_t only = 0;
    hd_dump *d;
    json j;
    if (opts_parse("check", argc, argv, specs, r, pos, 1, &npos) < 0) return EXIT_NOTHING;
    if (r[O_HELP].present) { opts_usage(stdout, "check", "[--json] [--heap ADDR] DUMP", specs); return EXIT_ANSWER; }
    if (npos != 1) { opts_usage(stderr, "check", "[--json] [--heap ADDR] DUMP", specs); return EXIT_NOTHING; }
    if (r[O_HEAP].present && parse_addr(r[O_HEAP].value, &only)) {
        fprintf(stderr, "heapdig check: bad heap address '%s'\n", r[O_HEAP].value);
        return EXIT_NOTHING;
    }
    if (!(d = cli_open(pos[0]))) return EXIT_NOTHING;
    n = hd_heap_count(d);
    for (i = 0; i < n; i++)
        if (!r[O_HEAP].present || hd_heap_at(d, i)->address == only) shown++;
    if (!shown) {   /* nothing to check: no JSON, the reason on stderr */
        if (r[O_HEAP].present) fprintf(stderr, "heapdig: %s: no such heap (heapdig heaps lists them)\n", pos[0]);
        else cli_no_heap(d, "no heap found");
        hd_close(d);
        return EXIT_NOTHING;
    }
    shown = 0;
    if (r[O_JSON].present) {
        json_init(&j, stdout, 1);
        json_begin_obj(&j);
        json_kstr(&j, "file", hd_path(d));
        json_key(&j, "heaps");
        json_begin_arr(&j);
    }
    for (i = 0; i < n; i++) {
        const hd_heap *h = hd_heap_at(d, i);
        size_t k;
        if (r[O_HEAP].present && h->address != only) continue;
        if (h->kind == HD_HEAP_NT || h->kind == HD_HEAP_PAGE) hd_heap_analyze(d, h);
        for (k = 0; k < h->check_count; k++)
            if (!h->checks[k].ok && !h->checks[k].informative && !h->checks[k].incomplete) bad = 1;
        if (h->partial) bad = 1;
        shown++;
        if (r[O_JSON].present) json_heap(&j, h); else text_heap(h);
    }
    if (r[O_JSON].present) {
        json_end_arr(&j);
        json_diags(&j, d);
        json_end_obj(&j);
        json_finish(&j);
    } else {
        if (hd_diag_count(d)) printf("\ndiagnostics:\n");
        cli_print_diags(stdout, d);
    }
    rc = cli_finish(d, 1);
    if (bad) rc = EXIT_PARTIAL;
    if (!shown) {
        if (r[O_HEAP].present) fprintf(stderr, "heapdig: %s: no such heap (heapdig heaps lists them)\n", pos[0]);
        else cli_no_heap(d, "no heap found");
        rc = EXIT_NOTHING;
    }
    hd_close(d);
    return rc;
}
