/*
** cmd_top.c - `heapdig top DUMP`: where the busy heap memory went, biggest first, grouped by
** allocation stack (default), size, allocating module or function.  Text, --json, --csv, --folded.
*/
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "stackout.h"

static const opt_spec specs[] = {
    {"by", 0, 1, "stack|size|module|function  how to group (default stack)"},
    {"top", 'n', 1, "N  groups to show (default 10 in text, all otherwise; 0 = all)"},
    {"heap", 0, 1, "ADDR  only this heap"},
    {"min-size", 0, 1, "N  only blocks of at least N bytes (k/m/g suffixes)"},
    {"symbols", 0, 1, "DIR[;DIR...]  local PDB directories (symstore or flat); _NT_SYMBOL_PATH too"},
    {"json", 0, 0, "print one JSON document (docs/json.md)"},
    {"csv", 0, 0, "print CSV, one group per line"},
    {"folded", 0, 0, "print folded stacks (flamegraph.pl, inferno, speedscope): frames;... bytes"},
    {"help", 'h', 0, "this help"},
    {NULL, 0, 0, NULL},
};
enum { O_BY, O_TOP, O_HEAP, O_MIN, O_SYMBOLS, O_JSON, O_CSV, O_FOLDED, O_HELP, O_COUNT };
#define SYNOPSIS "[--by stack|size|module|function] [-n N] [--heap ADDR] [--min-size N] [--symbols DIR] [--json|--csv|--folded] DUMP"

int top_parse_by(const char *s, hd_group_by *by);
int top_parse_by(const char *s, hd_group_by *by)
{
    static const char *names[] = {"stack", "size", "module", "function"};
    int i;
    for (i = 0; i < 4; i++)
        if (!strcmp(s, names[i])) { *by = (hd_group_by)i; return 0; }
    fprintf(stderr, "heapdig: --by takes stack, size, module or function, not '%s'\n", s);
    return -1;
}

static double pct(uint64_t part, uint64_t whole) { return whole ? 100.0 * (double)part / (double)whole : 0.0; }

static void print_group_text(hd_dump *d, const hd_summary *s, const hd_group *g, size_t rank)
{
    char b1[32], b2[32], c[32], a1[32], a2[32];
    (void)d;
    printf("#%zu  %s in %s block%s (%.1f%% of busy heap bytes)", rank, so_human(b1, g->bytes), so_count(c, g->count),
           g->count == 1 ? "" : "s", pct(g->bytes, s->busy_bytes));
    if (s->by == HD_BY_SIZE || !g->has_stack || (g->size && !g->has_stack)) {
        if (g->size) printf(" of %s (0x%" PRIx64 ") each", so_human(b2, g->size), g->size);
    }
    if (g->has_stack && g->depth) {
        if (s->by == HD_BY_MODULE) printf(" allocated by module %s: ", g->key);
        else if (s->by == HD_BY_FUNCTION) printf(" allocated in %s: ", g->key);
        else printf(" from ");
        so_print_chain(stdout, g->frames, g->depth, g->site_index);
    } else {
        printf(", no allocation stack");
    }
    putchar('\n');
    if (s->by != HD_BY_SIZE && g->has_stack) {
        printf("      ");
        so_print_sizes(stdout, g);
        if (g->stacks > 1) printf("; %zu distinct stacks%s", g->stacks, s->by == HD_BY_STACK ? " with these frames" : ", the largest shown");
        putchar('\n');
    }
    printf("      e.g. UserPtr %s in heap %s\n", fmt_addr(a1, g->example, 8), fmt_addr(a2, g->example_heap, 8));
    if (g->has_stack && g->depth) {
        if (s->by == HD_BY_SIZE) printf("      a stack seen at this size:\n");
        so_print_frames(stdout, "    ", g->frames, g->depth, 8);
    }
    putchar('\n');
}

static void print_text(hd_dump *d, const hd_summary *s, size_t limit)
{
    char b1[32], b2[32], c1[32];
    size_t i, n = limit && limit < s->group_count ? limit : s->group_count;
    int no_stacks = s->busy_blocks && s->traced_blocks == 0;
    printf("%s in %s busy blocks of %zu heap%s", so_human(b1, s->busy_bytes), so_count(c1, s->busy_blocks),
           s->heaps_walked, s->heaps_walked == 1 ? "" : "s");
    if (no_stacks) printf(", grouped by size: no allocation stack was recorded.\n\n");
    else if (s->busy_blocks) printf(", grouped by %s; %.1f%% of the bytes have an allocation stack (%s).\n", hd_group_by_name(s->by),
                                    pct(s->traced_bytes, s->busy_bytes), so_human(b2, s->traced_bytes));
    else printf(": nothing to group.\n");
    if (no_stacks) so_print_ust_advice(stdout, d, "");
    if (s->unresolved_blocks)
        printf("%s blocks point at an allocation stack that could not be read (counted without stack).\n",
               so_count(c1, s->unresolved_blocks));
    if (s->heaps_failed) printf("%zu heap%s could not be walked completely: the numbers are a lower bound.\n",
                                s->heaps_failed, s->heaps_failed == 1 ? "" : "s");
    putchar('\n');
    for (i = 0; i < n; i++) print_group_text(d, s, &s->groups[i], i + 1);
    if (n < s->group_count) {
        uint64_t rb = 0, rc = 0;
        for (i = n; i < s->group_count; i++) { rb += s->groups[i].bytes; rc += s->groups[i].count; }
        printf("... %zu more group%s: %s in %s blocks (-n 0 shows all)\n", s->group_count - n,
               s->group_count - n == 1 ? "" : "s", so_human(b1, rb), so_count(c1, rc));
    }
    so_print_symbol_notes(stdout, d, s->groups, n);
}

void top_json_group(json *j, const hd_summary *s, const hd_group *g);
void top_json_group(json *j, const hd_summary *s, const hd_group *g)
{
    json_begin_obj(j);
    json_ku64(j, "bytes", g->bytes);
    json_ku64(j, "count", g->count);
    json_kdbl(j, "percent", pct(g->bytes, s->busy_bytes));
    json_ku64(j, "min_size", g->min_size);
    json_ku64(j, "max_size", g->max_size);
    if (g->size) json_ku64(j, "size", g->size);
    json_kstr(j, "key", g->key);
    json_kbool(j, "has_stack", g->has_stack);
    json_kstr(j, "site", g->site);
    so_json_stack(j, "stack", g->frames, g->has_stack ? g->depth : 0);
    json_ku64(j, "stacks", g->stacks);
    json_kaddr(j, "example", g->example);
    json_kaddr(j, "heap", g->example_heap);
    json_end_obj(j);
}

static void print_json(hd_dump *d, const hd_summary *s, size_t limit)
{
    json j;
    size_t i, n = limit && limit < s->group_count ? limit : s->group_count;
    char adv[1024];
    json_init(&j, stdout, 1);
    json_begin_obj(&j);
    json_kstr(&j, "file", hd_path(d));
    json_kstr(&j, "by", hd_group_by_name(s->by));
    json_ku64(&j, "busy_bytes", s->busy_bytes);
    json_ku64(&j, "busy_blocks", s->busy_blocks);
    json_ku64(&j, "traced_bytes", s->traced_bytes);
    json_ku64(&j, "traced_blocks", s->traced_blocks);
    json_ku64(&j, "unresolved_blocks", s->unresolved_blocks);
    json_ku64(&j, "heaps_walked", s->heaps_walked);
    json_ku64(&j, "heaps_incomplete", s->heaps_failed);
    json_ku64(&j, "stacks", s->stack_count);
    json_ku64(&j, "group_count", s->group_count);
    json_key(&j, "groups");
    json_begin_arr(&j);
    for (i = 0; i < n; i++) top_json_group(&j, s, &s->groups[i]);
    json_end_arr(&j);
    if (s->busy_blocks && s->traced_blocks == 0) json_kstr(&j, "advice", so_ust_advice_text(d, adv, sizeof adv));
    so_json_symbols(&j, d, s->groups, n);
    json_diags(&j, d);
    json_end_obj(&j);
    json_finish(&j);
}

static void print_csv(const hd_summary *s, size_t limit)
{
    size_t i, n = limit && limit < s->group_count ? limit : s->group_count, k;
    printf("rank,bytes,count,percent,min_size,max_size,size,group,site,stack\n");
    for (i = 0; i < n; i++) {
        const hd_group *g = &s->groups[i];
        char num[160];
        snprintf(num, sizeof num, "%zu,%" PRIu64 ",%" PRIu64 ",%.3f,%" PRIu64 ",%" PRIu64 ",%" PRIu64, i + 1, g->bytes,
                 g->count, pct(g->bytes, s->busy_bytes), g->min_size, g->max_size, g->size);
        fputs(num, stdout);
        fputc(',', stdout);
        /* the stack column carries a stack group's identity; other groups are named by their key */
        csv_str(stdout, g->has_stack && g->size == 0 && s->by == HD_BY_STACK ? "" : g->key, 0);
        csv_str(stdout, g->site, 0);
        {
            /* frames innermost first, separated by " | " */
            size_t len = 1;
            char *buf, *p;
            for (k = 0; g->has_stack && k < g->depth; k++) len += strlen(g->frames[k]->text) + 3;
            buf = malloc(len);
            if (!buf) { csv_str(stdout, "", 1); continue; }
            p = buf;
            *p = 0;
            for (k = 0; g->has_stack && k < g->depth; k++) {
                size_t m = strlen(g->frames[k]->text);
                if (k) { memcpy(p, " | ", 3); p += 3; }
                memcpy(p, g->frames[k]->text, m);
                p += m;
                *p = 0;
            }
            csv_str(stdout, buf, 1);
            free(buf);
        }
    }
}

int cmd_top(int argc, char **argv)
{
    opt_result r[O_COUNT];
    const char *pos[1];
    int npos, rc, fmt;
    uint64_t limit = 10, heap = 0, min = 0;
    hd_top_opts o;
    hd_summary *s = NULL;
    hd_dump *d;
    hd_err e;
    memset(r, 0, sizeof r);
    memset(&o, 0, sizeof o);
    if (opts_parse("top", argc, argv, specs, r, pos, 1, &npos) < 0) return EXIT_NOTHING;
    if (r[O_HELP].present) {
        opts_usage(stdout, "top", SYNOPSIS, specs);
        printf("\nGroups the busy heap blocks (user sizes, heap-internal blocks excluded) by where they were\n"
               "allocated, biggest first.  Stacks come from +ust (gflags /i APP.exe +ust) or page heap; without\n"
               "them blocks are grouped by size.  --by module/function groups by the allocation site: the\n"
               "first frame outside ntdll, kernel32/kernelbase, the CRT DLLs and malloc/operator new.\n");
        return EXIT_ANSWER;
    }
    if (npos != 1) { opts_usage(stderr, "top", SYNOPSIS, specs); return EXIT_NOTHING; }
    fmt = r[O_JSON].present + r[O_CSV].present + r[O_FOLDED].present;
    if (fmt > 1) { fprintf(stderr, "heapdig top: choose one of --json, --csv, --folded\n"); return EXIT_NOTHING; }
    if (fmt) limit = 0;
    if (r[O_BY].present && top_parse_by(r[O_BY].value, &o.by) < 0) return EXIT_NOTHING;
    if (r[O_TOP].present && parse_u64(r[O_TOP].value, &limit, 0) < 0) {
        fprintf(stderr, "heapdig top: -n takes a number, not '%s'\n", r[O_TOP].value);
        return EXIT_NOTHING;
    }
    if (r[O_HEAP].present && parse_addr(r[O_HEAP].value, &heap) < 0) {
        fprintf(stderr, "heapdig top: --heap takes a heap address, not '%s'\n", r[O_HEAP].value);
        return EXIT_NOTHING;
    }
    if (r[O_MIN].present && parse_u64(r[O_MIN].value, &min, 1) < 0) {
        fprintf(stderr, "heapdig top: --min-size takes a size (e.g. 4096, 0x1000, 64k), not '%s'\n", r[O_MIN].value);
        return EXIT_NOTHING;
    }
    if (!(d = cli_open(pos[0]))) return EXIT_NOTHING;
    so_symbols(d, r[O_SYMBOLS].present ? r[O_SYMBOLS].value : NULL);
    o.heap = heap;
    o.min_size = min;
    e = hd_top(d, &o, &s);
    if (e == HD_ENOTFOUND) {
        fprintf(stderr, "heapdig: %s: no heap at 0x%" PRIx64 " (heapdig heaps lists them)\n", hd_path(d), heap);
        hd_close(d);
        return EXIT_NOTHING;
    }
    if (e != HD_OK) {
        fprintf(stderr, "heapdig: %s: %s\n", hd_path(d), hd_strerror(e));
        hd_close(d);
        return EXIT_NOTHING;
    }
    if (s->heaps_walked == 0) {
        /* nothing to group: say why on stderr, print nothing on stdout (exit 2) */
        cli_no_heap(d, "no heap could be walked");
        cli_finish(d, 0);
        rc = EXIT_NOTHING;
    } else {
        if (r[O_JSON].present) print_json(d, s, (size_t)limit);
        else if (r[O_CSV].present) print_csv(s, (size_t)limit);
        else if (r[O_FOLDED].present) {
            size_t i, n = limit && limit < s->group_count ? (size_t)limit : s->group_count;
            for (i = 0; i < n; i++) so_folded(stdout, &s->groups[i], s->groups[i].bytes);
        } else {
            print_text(d, s, (size_t)limit);
        }
        rc = cli_finish(d, 0);
    }
    hd_summary_free(s);
    hd_close(d);
    return rc;
}
