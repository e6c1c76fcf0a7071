/*
** cmd_diff.c - `heapdig diff OLD NEW`: what grew between two dumps of the same program.  Both
** dumps are grouped as `top` does; groups are matched by symbolized frames (not raw addresses,
** so ASLR between runs does not matter) and listed by byte growth.
*/
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "stackout.h"

static const opt_spec specs[] = {
    {"by", 0, 1, "stack|size|module|function  how to group (default stack)"},
    {"top", 'n', 1, "N  rows to show (default 10 in text, all otherwise; 0 = all)"},
    {"heap", 0, 1, "ADDR  only this heap (same handle in both dumps)"},
    {"min-size", 0, 1, "N  only blocks of at least N bytes"},
    {"symbols", 0, 1, "DIR[;DIR...]  local PDB directories; _NT_SYMBOL_PATH too"},
    {"all", 0, 0, "text: also list groups that did not change"},
    {"json", 0, 0, "print one JSON document (docs/json.md)"},
    {"csv", 0, 0, "print CSV, one row per group"},
    {"folded", 0, 0, "print folded stacks of the growth (frames;... bytes)"},
    {"help", 'h', 0, "this help"},
    {NULL, 0, 0, NULL},
};
enum { O_BY, O_TOP, O_HEAP, O_MIN, O_SYMBOLS, O_ALL, O_JSON, O_CSV, O_FOLDED, O_HELP, O_COUNT };
#define SYNOPSIS "[--by stack|size|module|function] [-n N] [--heap ADDR] [--min-size N] [--symbols DIR] [--json|--csv|--folded] OLD NEW"

int top_parse_by(const char *s, hd_group_by *by);
void top_json_group(json *j, const hd_summary *s, const hd_group *g);

static const hd_group *row_group(const hd_diff_row *r) { return r->new_group ? r->new_group : r->old_group; }

static void print_text(const hd_summary *o, const hd_summary *n, const hd_diff *df, size_t limit, int all)
{
    char b1[40], b2[32], b3[32], c1[32], c2[32];
    size_t i, shown = 0;
    printf("busy heap bytes %s -> %s (%s), blocks %s -> %s (%+" PRId64 "), grouped by %s\n\n", so_human(b2, o->busy_bytes),
           so_human(b3, n->busy_bytes), so_human_signed(b1, df->bytes_delta), so_count(c1, o->busy_blocks),
           so_count(c2, n->busy_blocks), df->count_delta, hd_group_by_name(df->by));
    for (i = 0; i < df->row_count && (!limit || shown < limit); i++) {
        const hd_diff_row *r = &df->rows[i];
        const hd_group *g = row_group(r);
        if (!all && r->bytes_delta == 0 && r->count_delta == 0) continue;
        shown++;
        printf("#%zu  %s in %+" PRId64 " blocks (%s in %s before, %s in %s now)", shown, so_human_signed(b1, r->bytes_delta),
               r->count_delta, so_human(b2, r->old_group ? r->old_group->bytes : 0),
               so_count(c1, r->old_group ? r->old_group->count : 0), so_human(b3, r->new_group ? r->new_group->bytes : 0),
               so_count(c2, r->new_group ? r->new_group->count : 0));
        if (g->has_stack && g->depth && g->size == 0) {
            printf(" from ");
            so_print_chain(stdout, g->frames, g->depth, g->site_index);
            putchar('\n');
            so_print_frames(stdout, "    ", g->frames, g->depth, 8);
        } else if (g->size) {
            printf(", blocks of 0x%" PRIx64 " bytes without allocation stack\n", g->size);
        } else {
            printf(" %s\n", g->key);
        }
        putchar('\n');
    }
    if (shown == 0) printf("Nothing changed.\n");
    if (o->busy_blocks && n->busy_blocks && o->traced_blocks == 0 && n->traced_blocks == 0)
        printf("Neither dump has allocation stacks, so growth is shown by block size only.\n");
}

static void print_json(hd_dump *od, hd_dump *nd, const hd_summary *o, const hd_summary *n, const hd_diff *df, size_t limit)
{
    json j;
    size_t i, cnt = limit && limit < df->row_count ? limit : df->row_count;
    json_init(&j, stdout, 1);
    json_begin_obj(&j);
    json_kstr(&j, "file", hd_path(nd));
    json_kstr(&j, "old", hd_path(od));
    json_kstr(&j, "new", hd_path(nd));
    json_kstr(&j, "by", hd_group_by_name(df->by));
    json_ku64(&j, "old_busy_bytes", o->busy_bytes);
    json_ku64(&j, "new_busy_bytes", n->busy_bytes);
    json_ku64(&j, "old_busy_blocks", o->busy_blocks);
    json_ku64(&j, "new_busy_blocks", n->busy_blocks);
    json_ki64(&j, "bytes_delta", df->bytes_delta);
    json_ki64(&j, "count_delta", df->count_delta);
    json_key(&j, "rows");
    json_begin_arr(&j);
    for (i = 0; i < cnt; i++) {
        const hd_diff_row *r = &df->rows[i];
        const hd_group *g = row_group(r);
        json_begin_obj(&j);
        json_ki64(&j, "bytes_delta", r->bytes_delta);
        json_ki64(&j, "count_delta", r->count_delta);
        json_ku64(&j, "old_bytes", r->old_group ? r->old_group->bytes : 0);
        json_ku64(&j, "old_count", r->old_group ? r->old_group->count : 0);
        json_ku64(&j, "new_bytes", r->new_group ? r->new_group->bytes : 0);
        json_ku64(&j, "new_count", r->new_group ? r->new_group->count : 0);
        json_kstr(&j, "key", g->key);
        if (g->size) json_ku64(&j, "size", g->size);
        json_kbool(&j, "has_stack", g->has_stack);
        json_kstr(&j, "site", g->site);
        so_json_stack(&j, "stack", g->frames, g->has_stack ? g->depth : 0);
        json_end_obj(&j);
    }
    json_end_arr(&j);
    json_key(&j, "old_diagnostics");
    json_begin_obj(&j);
    json_diags(&j, od);
    json_end_obj(&j);
    json_diags(&j, nd);
    json_end_obj(&j);
    json_finish(&j);
}

static void print_csv(const hd_diff *df, size_t limit)
{
    size_t i, cnt = limit && limit < df->row_count ? limit : df->row_count;
    printf("rank,bytes_delta,count_delta,old_bytes,new_bytes,old_count,new_count,key,site\n");
    for (i = 0; i < cnt; i++) {
        const hd_diff_row *r = &df->rows[i];
        const hd_group *g = row_group(r);
        printf("%zu,%" PRId64 ",%" PRId64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",", i + 1, r->bytes_delta, r->count_delta,
               r->old_group ? r->old_group->bytes : 0, r->new_group ? r->new_group->bytes : 0,
               r->old_group ? r->old_group->count : 0, r->new_group ? r->new_group->count : 0);
        csv_str(stdout, g->key, 0);
        csv_str(stdout, g->site, 1);
    }
}

static hd_dump *open_and_group(const char *path, const hd_top_opts *o, const char *sym, hd_summary **s)
{
    hd_dump *d = cli_open(path);
    hd_top_opts oo = *o;
    hd_err e;
    if (!d) return NULL;
    so_symbols(d, sym);
    e = hd_top(d, &oo, s);
    if (e != HD_OK) {
        if (e == HD_ENOTFOUND) fprintf(stderr, "heapdig: %s: no heap at 0x%" PRIx64 "\n", path, o->heap);
        else fprintf(stderr, "heapdig: %s: %s\n", path, hd_strerror(e));
        hd_close(d);
        return NULL;
    }
    if ((*s)->heaps_walked == 0) {
        cli_no_heap(d, "no heap could be walked");
        hd_summary_free(*s);
        *s = NULL;
        hd_close(d);
        return NULL;
    }
    return d;
}

int cmd_diff(int argc, char **argv)
{
    opt_result r[O_COUNT];
    const char *pos[2];
    int npos, fmt, rc, rc2;
    uint64_t limit = 10;
    hd_top_opts o;
    hd_summary *os = NULL, *ns = NULL;
    hd_dump *od, *nd;
    hd_diff *df = NULL;
    memset(r, 0, sizeof r);
    memset(&o, 0, sizeof o);
    if (opts_parse("diff", argc, argv, specs, r, pos, 2, &npos) < 0) return EXIT_NOTHING;
    if (r[O_HELP].present) { opts_usage(stdout, "diff", SYNOPSIS, specs); return EXIT_ANSWER; }
    if (npos != 2) { opts_usage(stderr, "diff", SYNOPSIS, specs); return EXIT_NOTHING; }
    fmt = r[O_JSON].present + r[O_CSV].present + r[O_FOLDED].present;
    if (fmt > 1) { fprintf(stderr, "heapdig diff: choose one of --json, --csv, --folded\n"); return EXIT_NOTHING; }
    if (fmt) limit = 0;
    if (r[O_BY].present && top_parse_by(r[O_BY].value, &o.by) < 0) return EXIT_NOTHING;
    if (r[O_TOP].present && parse_u64(r[O_TOP].value, &limit, 0) < 0) {
        fprintf(stderr, "heapdig diff: -n takes a number, not '%s'\n", r[O_TOP].value);
        return EXIT_NOTHING;
    }
    if (r[O_HEAP].present && parse_addr(r[O_HEAP].value, &o.heap) < 0) {
        fprintf(stderr, "heapdig diff: --heap takes a heap address, not '%s'\n", r[O_HEAP].value);
        return EXIT_NOTHING;
    }
    if (r[O_MIN].present && parse_u64(r[O_MIN].value, &o.min_size, 1) < 0) {
        fprintf(stderr, "heapdig diff: --min-size takes a size, not '%s'\n", r[O_MIN].value);
        return EXIT_NOTHING;
    }
    if (!(od = open_and_group(pos[0], &o, r[O_SYMBOLS].present ? r[O_SYMBOLS].value : NULL, &os))) return EXIT_NOTHING;
    if (!(nd = open_and_group(pos[1], &o, r[O_SYMBOLS].present ? r[O_SYMBOLS].value : NULL, &ns))) {
        hd_summary_free(os);
        hd_close(od);
        return EXIT_NOTHING;
    }
    {
        /* a diff only means something for two dumps of one program */
        const char *a = NULL, *b = NULL;
        size_t i;
        for (i = 0; i < hd_module_count(od) && !a; i++)
            if (strstr(hd_module_at(od, i)->name, ".exe") || strstr(hd_module_at(od, i)->name, ".EXE")) a = hd_module_at(od, i)->name;
        for (i = 0; i < hd_module_count(nd) && !b; i++)
            if (strstr(hd_module_at(nd, i)->name, ".exe") || strstr(hd_module_at(nd, i)->name, ".EXE")) b = hd_module_at(nd, i)->name;
        if (a && b && strcmp(a, b) != 0)
            fprintf(stderr, "heapdig diff: warning: the dumps are of different programs (%s, %s)\n", a, b);
    }
    if (hd_diff_summaries(os, ns, &df) != HD_OK) {
        fprintf(stderr, "heapdig diff: out of memory\n");
        rc = EXIT_NOTHING;
        goto out;
    }
    if (r[O_JSON].present) print_json(od, nd, os, ns, df, (size_t)limit);
    else if (r[O_CSV].present) print_csv(df, (size_t)limit);
    else if (r[O_FOLDED].present) {
        size_t i;
        for (i = 0; i < df->row_count; i++) {
            const hd_diff_row *rw = &df->rows[i];
            if (rw->bytes_delta > 0 && (!limit || i < limit)) so_folded(stdout, row_group(rw), (uint64_t)rw->bytes_delta);
        }
    } else {
        print_text(os, ns, df, (size_t)limit, r[O_ALL].present);
    }
    rc = cli_finish(od, 0);
    rc2 = cli_finish(nd, 0);
    if (rc2 > rc) rc = rc2;
    if (os->heaps_walked == 0 || ns->heaps_walked == 0) rc = EXIT_NOTHING;
out:
    hd_diff_free(df);
    hd_summary_free(os);
    hd_summary_free(ns);
    hd_close(od);
    hd_close(nd);
    return rc;
}
