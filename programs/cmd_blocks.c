/*
** cmd_blocks.c - `heapdig blocks DUMP`: one line per heap block, like WinDbg's `!heap -flt s` /
** `!heap -hl` (HEAP_ENTRY, Size and Prev in granules, [Flags], UserPtr, UserSize, state), with
** filters.  Blocks stream straight from the walk: nothing is kept per block.
*/
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"

static const opt_spec specs[] = {
    {"json", 0, 0, "print one JSON document (docs/json.md)"},
    {"csv", 0, 0, "print CSV (header line first)"},
    {"heap", 0, 1, "ADDR  only this heap"},
    {"busy", 0, 0, "only busy blocks"},
    {"free", 0, 0, "only free blocks"},
    {"size", 0, 1, "N  only blocks whose user size is N (like !heap -flt s N)"},
    {"min-size", 0, 1, "N  user size at least N"},
    {"max-size", 0, 1, "N  user size at most N"},
    {"kind", 0, 1, "K  backend, lfh, virtual, pageheap or internal"},
    {"help", 'h', 0, "this help"},
    {NULL, 0, 0, NULL},
};
enum { O_JSON, O_CSV, O_HEAP, O_BUSY, O_FREE, O_SIZE, O_MIN, O_MAX, O_KIND, O_HELP };
#define SYNOPSIS "[--json|--csv] [--heap ADDR] [--busy|--free] [--size N | --min-size N --max-size N] [--kind K] DUMP"

typedef struct ctx {
    int fmt;                     /* 0 text, 1 json, 2 csv */
    int state;                   /* -1 any, else hd_block_state */
    int kind;                    /* -1 any */
    uint64_t min, max;
    json *j;
    uint64_t shown;
    const hd_heap *cur;
} ctx;

static const char *state_text(const hd_block *b)
{
    if (b->damaged) return "(damaged)";
    switch (b->kind) {
    case HD_BLOCK_VIRTUAL: return "(busy VirtualAlloc)";
    case HD_BLOCK_LFH: return b->state == HD_BLOCK_BUSY ? "(busy LFH)" : "(free LFH)";
    case HD_BLOCK_INTERNAL: return b->va_entry ? "(internal VirtualAlloc)" : "(internal)";
    case HD_BLOCK_PAGEHEAP: return b->state == HD_BLOCK_BUSY ? "(busy page heap)" : "(free page heap)";
    default: return b->state == HD_BLOCK_BUSY ? "(busy)" : "(free)";
    }
}

static const char *stack_scheme_name(hd_stack_scheme s)
{
    switch (s) {
    case HD_STACK_UST_RECORD: return "ust_record";
    case HD_STACK_TRACE_INDEX: return "trace_index";
    case HD_STACK_PAGEHEAP: return "pageheap";
    default: return "none";
    }
}

static int on_block(void *user, const hd_block *b)
{
    ctx *c = user;
    unsigned ptr = b->heap->ptr_size, gran = b->heap->granularity;
    char a1[32], a2[32];
    if (c->state >= 0 && ((int)b->state != c->state || b->damaged)) return 0;
    if (c->kind >= 0 && (int)b->kind != c->kind) return 0;
    if (b->user_size < c->min || b->user_size > c->max) return 0;
    c->shown++;
    if (c->fmt == 1) {
        json *j = c->j;
        json_begin_obj(j);
        json_kaddr(j, "heap", b->heap->address);
        json_kaddr(j, "address", b->address);
        json_kaddr(j, "user_address", b->user_address);
        json_ku64(j, "size", b->size);
        json_ku64(j, "user_size", b->user_size);
        json_kstr(j, "state", b->state == HD_BLOCK_BUSY ? "busy" : "free");
        json_kstr(j, "kind", hd_block_kind_name(b->kind));
        if (b->damaged) json_kbool(j, "damaged", 1);
        if (b->incomplete) json_kbool(j, "captured", 0);
        if (b->dph_node) {
            json_kaddr(j, "dph_node", b->dph_node);
            json_kaddr(j, "virtual_block", b->dph_virtual_block);
        }
        if (b->va_entry) {
            json_kaddr(j, "va_entry", b->va_entry);
            json_ku64(j, "commit_size", b->commit_size);
            json_ku64(j, "reserve_size", b->reserve_size);
        }
        if (b->subsegment) json_kaddr(j, "subsegment", b->subsegment);
        if (b->stack_scheme != HD_STACK_NONE) {
            json_kstr(j, "stack_scheme", stack_scheme_name(b->stack_scheme));
            if (b->stack_scheme == HD_STACK_TRACE_INDEX) json_ku64(j, "stack_ref", b->stack_ref);
            else json_kaddr(j, "stack_ref", b->stack_ref);
        }
        json_end_obj(j);
    } else if (c->fmt == 2) {
        printf("0x%" PRIx64 ",0x%" PRIx64 ",0x%" PRIx64 ",%" PRIu64 ",%" PRIu64 ",%s,%s,%d,0x%" PRIx64 ",%s,0x%" PRIx64 "\n",
               b->heap->address, b->address, b->user_address, b->size, b->user_size, b->state == HD_BLOCK_BUSY ? "busy" : "free",
               hd_block_kind_name(b->kind), b->damaged, b->va_entry, stack_scheme_name(b->stack_scheme), b->stack_ref);
    } else {
        uint64_t units = b->size / gran;   /* VA blocks: CommitSize / gran, as the seed's 100100 */
        int w = ptr == 8 ? 16 : 8;
        if (c->cur != b->heap) {
            printf("    _HEAP @ %s\n", fmt_addr(a1, b->heap->address, ptr));
            printf("    %*s %6s %4s Flags %*s %8s - state\n", w + 1, "HEAP_ENTRY", "Size", "Prev", w + 1, "UserPtr", "UserSize");
            c->cur = b->heap;
        }
        printf("    %s %06" PRIx64 " %04x  [%02x]   %s %8" PRIx64 " - %s\n", fmt_addr_pad(a1, b->address, ptr), units,
               b->hdr_previous_size, b->hdr_flags, fmt_addr_pad(a2, b->user_address, ptr), b->user_size, state_text(b));
    }
    return 0;
}

static int parse_size_opt(const char *name, const opt_result *r, uint64_t *v)
{
    if (!r->present) return 0;
    if (parse_u64(r->value, v, 1)) {
        fprintf(stderr, "heapdig blocks: bad --%s '%s'\n", name, r->value);
        return -1;
    }
    return 0;
}

int cmd_blocks(int argc, char **argv)
{
    opt_result r[10] = {{0, NULL}};
    const char *pos[1];
    int npos, rc, found_heap = 0;
    uint64_t only = 0, v;
    size_t i, n;
    hd_dump *d;
    ctx c;
    json j;
    memset(&c, 0, sizeof c);
    c.state = -1;
    c.kind = -1;
    c.max = UINT64_MAX;
    if (opts_parse("blocks", argc, argv, specs, r, pos, 1, &npos) < 0) return EXIT_NOTHING;
    if (r[O_HELP].present) { opts_usage(stdout, "blocks", SYNOPSIS, specs); return EXIT_ANSWER; }
    if (npos != 1) { opts_usage(stderr, "blocks", SYNOPSIS, specs); return EXIT_NOTHING; }
    if (r[O_BUSY].present && r[O_FREE].present) { fprintf(stderr, "heapdig blocks: --busy and --free exclude each other\n"); return EXIT_NOTHING; }
    if (r[O_SIZE].present && (r[O_MIN].present || r[O_MAX].present)) {
        fprintf(stderr, "heapdig blocks: --size excludes --min-size/--max-size\n");
        return EXIT_NOTHING;
    }
    if (r[O_BUSY].present) c.state = HD_BLOCK_BUSY;
    if (r[O_FREE].present) c.state = HD_BLOCK_FREE;
    if (parse_size_opt("size", &r[O_SIZE], &v)) return EXIT_NOTHING;
    if (r[O_SIZE].present) c.min = c.max = v;
    if (parse_size_opt("min-size", &r[O_MIN], &c.min) || parse_size_opt("max-size", &r[O_MAX], &c.max)) return EXIT_NOTHING;
    if (r[O_KIND].present) {
        static const char *kinds[] = {"backend", "lfh", "virtual", "pageheap", "internal"};
        for (i = 0; i < 5; i++) if (!strcmp(r[O_KIND].value, kinds[i])) c.kind = (int)i;
        if (c.kind < 0) {
            fprintf(stderr, "heapdig blocks: unknown --kind '%s' (backend, lfh, virtual, pageheap, internal)\n", r[O_KIND].value);
            return EXIT_NOTHING;
        }
    }
    if (r[O_HEAP].present && parse_addr(r[O_HEAP].value, &only)) {
        fprintf(stderr, "heapdig blocks: bad heap address '%s'\n", r[O_HEAP].value);
        return EXIT_NOTHING;
    }
    c.fmt = r[O_JSON].present ? 1 : r[O_CSV].present ? 2 : 0;
    if (!(d = cli_open(pos[0]))) return EXIT_NOTHING;
    n = hd_heap_count(d);
    for (i = 0; i < n; i++) {
        const hd_heap *h = hd_heap_at(d, i);
        if ((h->kind == HD_HEAP_NT || h->kind == HD_HEAP_PAGE) && (!r[O_HEAP].present || h->address == only)) found_heap = 1;
    }
    if (!found_heap) {   /* nothing could be said: no output but the reason */
        fprintf(stderr, "heapdig: %s: %s\n", pos[0], r[O_HEAP].present ? "no NT heap at that address" : "no NT heap to walk");
        hd_close(d);
        return EXIT_NOTHING;
    }
    if (c.fmt == 1) {
        json_init(&j, stdout, 1);
        c.j = &j;
        json_begin_obj(&j);
        json_kstr(&j, "file", hd_path(d));
        json_key(&j, "blocks");
        json_begin_arr(&j);
    } else if (c.fmt == 2) {
        printf("heap,address,user_address,size,user_size,state,kind,damaged,va_entry,stack_scheme,stack_ref\n");
    }
    for (i = 0; i < n; i++) {
        const hd_heap *h = hd_heap_at(d, i);
        if (r[O_HEAP].present && h->address != only) continue;
        if ((h->kind != HD_HEAP_NT && h->kind != HD_HEAP_PAGE)) continue;
        hd_heap_walk(d, h, on_block, &c);
    }
    if (c.fmt == 1) {
        json_end_arr(&j);
        json_diags(&j, d);
        json_end_obj(&j);
        json_finish(&j);
    }
    rc = cli_finish(d, 0);
    hd_close(d);
    return rc;
}
