/*
** cmd_find.c - `heapdig find DUMP ADDR...`: what is at an address, like WinDbg's `!heap -p -a`:
** the heap, segment and block that contain it (HEAP_ENTRY, Size, Prev, Flags, UserPtr, UserSize,
** state, in WinDbg's columns) with the allocation stack; for an address in no heap block, the
** memory it falls in (a thread's stack, a module's section and symbol, free or unknown memory).
*/
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "stackout.h"

static const opt_spec specs[] = {
    {"symbols", 0, 1, "DIR[;DIR...]  local PDB directories (symstore or flat); _NT_SYMBOL_PATH too"},
    {"json", 0, 0, "print one JSON document (docs/json.md)"},
    {"help", 'h', 0, "this help"},
    {NULL, 0, 0, NULL},
};
enum { O_SYMBOLS, O_JSON, O_HELP, O_COUNT };
#define SYNOPSIS "[--symbols DIR] [--json] DUMP ADDR..."
#define MAX_ADDRS 64

typedef struct found {
    uint64_t va;
    int in_block;
    hd_block b;
    const char *where;           /* "header", "user", "slack", "free" */
    uint64_t offset;             /* from the start of that part */
    const hd_stack *stack;
    hd_err stack_err;            /* HD_OK, HD_ENOTFOUND (no stack recorded), or why unreadable */
    const hd_frame **frames;
    const hd_area *area;
    const hd_frame *sym;         /* the address itself, named */
    const char *section;
} found;

static void locate(hd_dump *d, uint64_t va, found *f)
{
    memset(f, 0, sizeof *f);
    f->va = va;
    f->stack_err = HD_ENOTFOUND;
    if (hd_heap_block_at(d, va, &f->b) == HD_OK) {
        const hd_block *b = &f->b;
        uint64_t start = b->kind == HD_BLOCK_VIRTUAL ? b->va_entry : b->address;
        uint64_t end = b->kind == HD_BLOCK_VIRTUAL ? b->va_entry + b->commit_size : b->address + b->size;
        f->in_block = 1;
        if (b->state != HD_BLOCK_BUSY) { f->where = "free"; f->offset = va - start; }
        else if (va < b->user_address) { f->where = "header"; f->offset = va - start; }
        else if (va - b->user_address < b->user_size) { f->where = "user"; f->offset = va - b->user_address; }
        else { f->where = "slack"; f->offset = va - b->user_address - b->user_size; }
        (void)end;
        if (b->stack_scheme != HD_STACK_NONE) {
            f->stack_err = hd_stack_resolve(d, (int)b->stack_scheme, b->stack_ref, b->heap->ptr_size, &f->stack);
            if (f->stack_err == HD_OK && (f->frames = calloc(f->stack->depth + 1, sizeof *f->frames)) != NULL) {
                uint32_t i;
                for (i = 0; i < f->stack->depth; i++) hd_symbolize(d, f->stack->frames[i], &f->frames[i]);
            }
        }
    }
    f->area = hd_area_find(d, va);
    hd_symbolize(d, va, &f->sym);
    if (f->sym && f->sym->module) {
        const hd_pe *pe = hd_module_pe(d, f->sym->module);
        const hd_pe_section *s = hd_pe_section_find(pe, (uint32_t)(va - f->sym->module->base));
        f->section = s ? s->name : (pe->headers && va - f->sym->module->base < pe->size_of_headers ? "headers" : NULL);
    }
}

static const char *state_text(const hd_block *b)
{
    if (b->state != HD_BLOCK_BUSY) return b->kind == HD_BLOCK_LFH ? "(free LFH)" : "(free)";
    switch (b->kind) {
    case HD_BLOCK_VIRTUAL: return "(busy VirtualAlloc)";
    case HD_BLOCK_LFH: return "(busy)";
    case HD_BLOCK_INTERNAL: return "(busy, heap internal)";
    default: return "(busy)";
    }
}

static void print_text(hd_dump *d, const found *f)
{
    unsigned ptr = so_ptr_size(d);
    char a[32], u[32], h[32], b1[32];
    if (f->in_block && f->b.kind == HD_BLOCK_PAGEHEAP) {
        /* page heap: WinDbg prints the DPH node instead of a heap entry */
        const hd_block *b = &f->b;
        printf("    address %s found in\n", fmt_addr(a, f->va, 4));
        printf("    _DPH_HEAP_ROOT @ %s\n", fmt_addr(h, b->heap->address + 0x1000, 4));
        printf("    in %s allocation (  DPH_HEAP_BLOCK:         UserAddr         UserSize -         VirtAddr         VirtSize)\n",
               b->state == HD_BLOCK_BUSY ? "busy" : "free-ed");
        printf("    %30s: %16s %16" PRIx64 " - ", fmt_addr(h, b->dph_node, 4), fmt_addr(a, b->user_address, 4), b->user_size);
        printf("%16s %16" PRIx64 "\n", fmt_addr(u, b->dph_virtual_block, 4), b->size);
        printf("    the address is ");
        if (!strcmp(f->where, "user")) printf("in the user data, at UserAddr+0x%" PRIx64 " (of 0x%" PRIx64 " bytes)\n", f->offset, b->user_size);
        else if (!strcmp(f->where, "header")) printf("in the page heap block header (_DPH_BLOCK_INFORMATION), before UserAddr\n");
        else printf("past the user data, in the fill before the guard page\n");
        if (f->stack_err == HD_OK && f->frames) {
            printf("\n");
            so_print_frames(stdout, "    ", f->frames, f->stack->depth, ptr);
        } else if (b->stack_scheme != HD_STACK_NONE) {
            printf("    allocation stack: recorded (%s 0x%" PRIx64 ") but not readable: %s\n", hd_stack_scheme_name(b->stack_scheme),
                   b->stack_ref, hd_strerror(f->stack_err));
        }
        (void)b1;
        return;
    }
    if (f->in_block) {
        const hd_block *b = &f->b;
        int w = ptr == 8 ? 16 : 8;
        /* WinDbg's Size column: granules of the header (VA blocks: CommitSize in granules) */
        uint64_t size_col = b->kind == HD_BLOCK_VIRTUAL ? b->commit_size / b->heap->granularity : b->size / b->heap->granularity;
        printf("    address %0*" PRIx64 " found in\n", w, f->va);
        printf("    _HEAP @ %s\n", fmt_addr(h, b->heap->address, 4));
        printf("    %*s Size Prev Flags %*s UserSize - state\n", w + 4, "HEAP_ENTRY", w + 2, "UserPtr");
        printf("        %0*" PRIx64 " %04" PRIx64 " %04x  [%02x]   %0*" PRIx64 "    %05" PRIx64 " - %s\n", w, b->address, size_col,
               b->kind == HD_BLOCK_VIRTUAL ? 0 : b->hdr_previous_size, b->hdr_flags & 0xE0u, w, b->user_address,
               b->user_size, state_text(b));
        (void)a;
        (void)u;
        printf("    %s block of heap %s%s", hd_block_kind_name(b->kind), fmt_addr(h, b->heap->address, ptr),
               b->damaged ? " (its header is damaged: the extent is a guess)" : "");
        if (b->segment >= 0 && (size_t)b->segment < b->heap->segment_count)
            printf(", segment %s", fmt_addr(h, b->heap->segments[b->segment].address, ptr));
        if (b->kind == HD_BLOCK_VIRTUAL)
            printf(", VirtualAlloc entry %s (commit %s, reserve %s)", fmt_addr(h, b->va_entry, ptr), so_human(b1, b->commit_size),
                   so_human(u, b->reserve_size));
        if (b->subsegment) printf(", LFH subsegment %s", fmt_addr(h, b->subsegment, ptr));
        printf("\n    the address is ");
        if (!strcmp(f->where, "user")) printf("in the user data, at UserPtr+0x%" PRIx64 " (of 0x%" PRIx64 " bytes)\n", f->offset, b->user_size);
        else if (!strcmp(f->where, "header")) printf("in the block's header, %" PRIu64 " bytes before UserPtr\n", b->user_address - f->va);
        else if (!strcmp(f->where, "slack")) printf("in the slack after the user data (UserPtr+0x%" PRIx64 ")\n", f->va - b->user_address);
        else printf("in a free block, at +0x%" PRIx64 " from its start\n", f->offset);
        if (f->stack_err == HD_OK && f->frames) {
            printf("\n");
            so_print_frames(stdout, "    ", f->frames, f->stack->depth, ptr);
        } else if (b->stack_scheme != HD_STACK_NONE) {
            printf("    allocation stack: recorded (%s 0x%" PRIx64 ") but not readable: %s\n", hd_stack_scheme_name(b->stack_scheme),
                   b->stack_ref, hd_strerror(f->stack_err));
        } else if (b->state == HD_BLOCK_BUSY && b->kind != HD_BLOCK_INTERNAL) {
            printf("    no allocation stack recorded for this block; to have them: gflags /i APP.exe +ust, then capture again\n");
        }
        return;
    }
    printf("    address %s is not in any heap block\n", fmt_addr(a, f->va, ptr));
    if (f->area) {
        const hd_area *ar = f->area;
        printf("    %s", hd_usage_name(ar->usage));
        if (ar->detail && *ar->detail) printf(" %s", ar->detail);
        printf(": region %s - %s (%s", fmt_addr(a, ar->base, ptr), fmt_addr(u, ar->base + ar->size, ptr), so_human(b1, ar->size));
        if (ar->state) printf(", %s", hd_state_name(ar->state));
        if (ar->type) printf(" %s", hd_type_name(ar->type));
        if (ar->protect) {
            char pb[96];
            printf(" %s", hd_protect_name(ar->protect, pb, sizeof pb));
        }
        printf(")\n");
        if (ar->usage == HD_USAGE_STACK && ar->thread) {
            size_t k, nt = hd_thread_count(d);
            for (k = 0; k < nt && hd_thread_at(d, k) != ar->thread; k++) {}
            printf("    the stack of thread %zu (id 0x%x)\n", k, ar->thread->id);
        }
        if (ar->usage == HD_USAGE_HEAP) printf("    inside heap memory but in no block (uncommitted, or not walkable)\n");
    } else {
        printf("    not in any memory region of the dump (free or unknown memory)\n");
    }
    if (f->sym && f->sym->module) {
        printf("    module %s (%s)%s%s: %s\n", f->sym->module->name, fmt_addr(a, f->sym->module->base, ptr),
               f->section ? " section " : "", f->section ? f->section : "", f->sym->text);
    } else if (f->sym && f->sym->jit) {
        printf("    %s\n", f->sym->region);
    }
    if (!hd_view(d, f->va, 1)) printf("    (the byte at this address is not captured in the dump)\n");
}

static void json_block(json *j, const hd_block *b)
{
    json_key(j, "block");
    json_begin_obj(j);
    json_block_fields(j, b, 1);
    json_end_obj(j);
}

/* The fields of one result, into the object being written. */
static void json_found(json *j, hd_dump *d, const found *f)
{
    json_kaddr(j, "address", f->va);
    json_kbool(j, "in_heap_block", f->in_block);
    if (f->in_block) {
        json_kaddr(j, "heap", f->b.heap->address);
        json_block(j, &f->b);
        json_kstr(j, "position", f->where);
        json_ku64(j, "offset", f->offset);
        if (f->stack_err == HD_OK && f->frames) {
            so_json_stack(j, "stack", f->frames, f->stack->depth);
            json_key(j, "stack_addresses");
            json_begin_arr(j);
            {
                uint32_t i;
                for (i = 0; i < f->stack->depth; i++) json_addr(j, f->stack->frames[i]);
            }
            json_end_arr(j);
        } else {
            json_key(j, "stack");
            json_null(j);
            if (f->b.stack_scheme != HD_STACK_NONE) json_kstr(j, "stack_error", hd_strerror(f->stack_err));
        }
    } else {
        json_key(j, "heap");
        json_null(j);
    }
    json_key(j, "region");
    if (f->area) {
        json_begin_obj(j);
        json_kstr(j, "usage", hd_usage_name(f->area->usage));
        json_kstr(j, "detail", f->area->detail ? f->area->detail : "");
        json_kaddr(j, "base", f->area->base);
        json_ku64(j, "size", f->area->size);
        json_kstr(j, "state", hd_state_name(f->area->state));
        json_kstr(j, "type", hd_type_name(f->area->type));
        if (f->area->thread) {
            size_t k, nt = hd_thread_count(d);
            for (k = 0; k < nt && hd_thread_at(d, k) != f->area->thread; k++) {}
            json_key(j, "thread");
            json_begin_obj(j);
            json_ku64(j, "index", k);
            json_ku64(j, "id", f->area->thread->id);
            json_end_obj(j);
        }
        json_end_obj(j);
    } else {
        json_null(j);
    }
    if (f->sym) {
        json_kstr(j, "symbol", f->sym->text);
        if (f->sym->module) {
            json_kstr(j, "module", f->sym->module->name);
            if (f->section) json_kstr(j, "section", f->section);
        } else {
            json_kstr(j, "memory", f->sym->region);
            json_kbool(j, "jit", f->sym->jit);
        }
    }
    json_kbool(j, "captured", hd_view(d, f->va, 1) != NULL);
}

int cmd_find(int argc, char **argv)
{
    opt_result r[O_COUNT];
    const char *pos[MAX_ADDRS + 1];
    uint64_t va[MAX_ADDRS];
    found *f;
    int npos, i, rc;
    hd_dump *d;
    memset(r, 0, sizeof r);
    if (opts_parse("find", argc, argv, specs, r, pos, MAX_ADDRS + 1, &npos) < 0) return EXIT_NOTHING;
    if (r[O_HELP].present) { opts_usage(stdout, "find", SYNOPSIS, specs); return EXIT_ANSWER; }
    if (npos < 2) { opts_usage(stderr, "find", SYNOPSIS, specs); return EXIT_NOTHING; }
    for (i = 1; i < npos; i++)
        if (parse_addr(pos[i], &va[i - 1]) < 0) {
            fprintf(stderr, "heapdig find: '%s' is not an address (hex, with or without 0x or `)\n", pos[i]);
            return EXIT_NOTHING;
        }
    if (!(d = cli_open(pos[0]))) return EXIT_NOTHING;
    so_symbols(d, r[O_SYMBOLS].present ? r[O_SYMBOLS].value : NULL);
    if (!(f = calloc((size_t)npos, sizeof *f))) { hd_close(d); return EXIT_NOTHING; }
    for (i = 0; i < npos - 1; i++) locate(d, va[i], &f[i]);
    if (r[O_JSON].present) {
        json j;
        json_init(&j, stdout, 1);
        json_begin_obj(&j);
        json_kstr(&j, "file", hd_path(d));
        if (npos == 2) {
            json_found(&j, d, &f[0]);   /* one address: its fields at the top level */
        } else {
            json_key(&j, "results");
            json_begin_arr(&j);
            for (i = 0; i < npos - 1; i++) {
                json_begin_obj(&j);
                json_found(&j, d, &f[i]);
                json_end_obj(&j);
            }
            json_end_arr(&j);
        }
        json_diags(&j, d);
        json_end_obj(&j);
        json_finish(&j);
    } else {
        for (i = 0; i < npos - 1; i++) {
            if (i) putchar('\n');
            print_text(d, &f[i]);
        }
    }
    for (i = 0; i < npos - 1; i++) free(f[i].frames);
    free(f);
    rc = cli_finish(d, 0);
    hd_close(d);
    return rc;
}
