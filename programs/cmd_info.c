/*
** cmd_info.c - `heapdig info DUMP`: the process at a glance, on one screen: OS, architecture,
** WoW64, pid, what the dump flags captured and so what heap analysis is possible, threads,
** modules, the heaps each PEB lists and how much of their memory is in the dump, NtGlobalFlag.
*/
#include <ctype.h>      /* tolower */
#include <inttypes.h>
#include <string.h>
#include "cli.h"

static const opt_spec specs[] = {
    {"verbose", 'v', 0, "also list every thread, module, stream and diagnostic"},
    {"json", 0, 0, "print one JSON document (docs/json.md)"},
    {"help", 'h', 0, "this help"},
    {NULL, 0, 0, NULL},
};
enum { O_VERBOSE, O_JSON, O_HELP, O_COUNT };

/* ---- facts shared by the text and JSON forms ------------------------------------------- */

/* What the flags captured, in words, the most telling first. */
static const char *capture_words(const hd_dump *d)
{
    uint64_t f = hd_dump_header(d)->flags;
    if (f & HD_MDT_WITH_FULL_MEMORY) return "all committed memory (full dump)";
    if (f & HD_MDT_WITH_PRIVATE_RW_MEMORY) return "private read/write memory (heaps, stacks; no images)";
    if (f & HD_MDT_WITH_INDIRECT_MEMORY) return "thread stacks and the memory their pointers reference (heaps only in pieces)";
    if (f & HD_MDT_WITH_DATA_SEGS) return "thread stacks and module data sections (no heap memory)";
    return "thread stacks only (MiniDumpNormal: no heap memory)";
}

static const char *exception_name(uint32_t code)
{
    switch (code) {
    case 0xC0000005u: return "access violation";
    case 0xC0000374u: return "heap corruption";
    case 0xC0000017u: return "no memory";
    case 0xC00000FDu: return "stack overflow";
    case 0x80000003u: return "breakpoint";
    case 0xE06D7363u: return "C++ exception";
    case 0xE0434352u: return ".NET exception";
    case 0xC0000409u: return "stack buffer overrun (fail fast)";
    case 0x80000007u: return "wake system debugger";
    default: return "";
    }
}

static int is_ntdll(const char *name)
{
    const char *w = "ntdll.dll";
    for (; *name && *w; name++, w++)
        if (tolower((unsigned char)*name) != *w) return 0;
    return *name == *w;
}

static unsigned ptr_size_of(const hd_dump *d)
{
    hd_arch a = hd_sysinfo_get(d)->arch;
    return a == HD_ARCH_X86 || a == HD_ARCH_ARM ? 4 : 8;
}

/* ---- JSON ----------------------------------------------------------------------------- */

static void print_json(hd_dump *d)
{
    const hd_sysinfo *s = hd_sysinfo_get(d);
    const hd_miscinfo *m = hd_miscinfo_get(d);
    const hd_exception *x = hd_exception_get(d);
    const hd_process *p = hd_process_get(d);
    const hd_header *h = hd_dump_header(d);
    hd_capture_verdict v = hd_capture_verdict_get(d);
    char gf[256];
    json j;
    size_t i, k;
    unsigned b;
    json_init(&j, stdout, 1);
    json_begin_obj(&j);
    json_kstr(&j, "file", hd_path(d));
    json_ku64(&j, "file_size", hd_file_size(d));
    json_kstr(&j, "arch", hd_arch_name(s->arch));
    json_key(&j, "os");
    json_begin_obj(&j);
    json_ku64(&j, "major", s->major);
    json_ku64(&j, "minor", s->minor);
    json_ku64(&j, "build", s->build);
    json_kstr(&j, "service_pack", s->csd_version);
    json_kstr(&j, "build_string", m->build_string);
    json_end_obj(&j);
    json_kbool(&j, "wow64", p->wow64);
    json_key(&j, "pid");
    if (m->has_pid) json_u64(&j, m->pid); else json_null(&j);
    json_ku64(&j, "timestamp", h->timestamp);
    json_key(&j, "dump_flags");
    json_begin_obj(&j);
    json_ku64(&j, "value", h->flags);
    json_key(&j, "names");
    json_begin_arr(&j);
    for (b = 0; b < 64; b++)
        if ((h->flags >> b) & 1) json_str(&j, hd_dump_flag_name((uint64_t)1 << b) ? hd_dump_flag_name((uint64_t)1 << b) : "unknown");
    json_end_arr(&j);
    json_kstr(&j, "captures", capture_words(d));
    json_end_obj(&j);
    json_key(&j, "heap_analysis");
    json_begin_obj(&j);
    json_kstr(&j, "verdict", v.name);
    json_kstr(&j, "reason", v.why);
    json_key(&j, "advice");
    if (v.advice) json_str(&j, v.advice); else json_null(&j);
    json_end_obj(&j);
    json_key(&j, "memory");
    json_begin_obj(&j);
    json_ku64(&j, "ranges", hd_range_count(d));
    json_ku64(&j, "captured", hd_captured_bytes(d));
    json_kbool(&j, "memory_info", hd_has_memory_info(d));
    json_ku64(&j, "regions", hd_region_count(d));
    json_end_obj(&j);
    json_key(&j, "exception");
    if (x->present) {
        json_begin_obj(&j);
        json_ku64(&j, "thread_id", x->thread_id);
        json_ku64(&j, "code", x->code);
        json_kstr(&j, "name", exception_name(x->code));
        json_kaddr(&j, "address", x->address);
        json_end_obj(&j);
    } else {
        json_null(&j);
    }
    json_ku64(&j, "threads", hd_thread_count(d));
    json_key(&j, "thread_list");
    json_begin_arr(&j);
    for (i = 0; i < hd_thread_count(d); i++) {
        const hd_thread *t = hd_thread_at(d, i);
        json_begin_obj(&j);
        json_ku64(&j, "id", t->id);
        json_kstr(&j, "name", t->name);
        json_kaddr(&j, "teb", t->teb);
        json_key(&j, "teb32");
        if (t->teb32) json_addr(&j, t->teb32); else json_null(&j);
        json_kaddr(&j, "stack_base", t->stack_base);
        json_kaddr(&j, "stack_limit", t->stack_limit);
        json_kaddr(&j, "stack_region", t->stack_region_base);
        json_ku64(&j, "stack_region_size", t->stack_region_size);
        json_end_obj(&j);
    }
    json_end_arr(&j);
    json_key(&j, "modules");
    json_begin_arr(&j);
    for (i = 0; i < hd_module_count(d); i++) {
        const hd_module *mo = hd_module_at(d, i);
        char ver[64];
        json_begin_obj(&j);
        json_kstr(&j, "name", mo->name);
        json_kaddr(&j, "base", mo->base);
        json_ku64(&j, "size", mo->size);
        json_kstr(&j, "path", mo->path);
        snprintf(ver, sizeof ver, "%u.%u.%u.%u", mo->version[0], mo->version[1], mo->version[2], mo->version[3]);
        json_key(&j, "version");
        if (mo->has_version) json_str(&j, ver); else json_null(&j);
        json_end_obj(&j);
    }
    json_end_arr(&j);
    json_ku64(&j, "unloaded_modules", hd_unloaded_module_count(d));
    json_key(&j, "unloaded_module_list");
    json_begin_arr(&j);
    for (i = 0; i < hd_unloaded_module_count(d); i++) {
        const hd_module *mo = hd_unloaded_module_at(d, i);
        json_begin_obj(&j);
        json_kstr(&j, "name", mo->name);
        json_kaddr(&j, "base", mo->base);
        json_ku64(&j, "size", mo->size);
        json_kstr(&j, "path", mo->path);
        json_end_obj(&j);
    }
    json_end_arr(&j);
    json_ku64(&j, "handles", hd_handle_count(d));
    json_key(&j, "pebs");
    json_begin_arr(&j);
    for (i = 0; i < p->peb_count; i++) {
        const hd_peb *pb = &p->pebs[i];
        json_begin_obj(&j);
        json_kstr(&j, "arch", pb->ptr_size == 8 ? "x64" : "x86");
        json_kaddr(&j, "address", pb->address);
        json_kbool(&j, "readable", pb->readable);
        json_kaddr(&j, "process_heap", pb->process_heap);
        json_ku64(&j, "number_of_heaps", pb->number_of_heaps);
        json_ku64(&j, "maximum_number_of_heaps", pb->maximum_number_of_heaps);
        json_kaddr(&j, "process_heaps", pb->process_heaps);
        json_kbool(&j, "heaps_readable", pb->heaps_readable);
        json_key(&j, "heaps");
        json_begin_arr(&j);
        for (k = 0; k < pb->heap_count; k++) json_addr(&j, pb->heaps[k]);
        json_end_arr(&j);
        json_key(&j, "heap_memory");
        json_begin_arr(&j);
        for (k = 0; k < (pb->heap_count ? pb->heap_count : pb->process_heap ? 1 : 0); k++) {
            hd_heap_capture f = hd_heap_capture_of(d, pb->heap_count ? pb->heaps[k] : pb->process_heap, pb->process_heap);
            json_begin_obj(&j);
            json_kaddr(&j, "address", f.handle);
            json_kbool(&j, "process_heap", f.process_heap);
            json_kbool(&j, "header_captured", f.header_captured);
            json_key(&j, "committed");
            if (hd_has_memory_info(d)) json_u64(&j, f.committed); else json_null(&j);
            json_ku64(&j, "captured", f.captured);
            json_end_obj(&j);
        }
        json_end_arr(&j);
        json_ku64(&j, "nt_global_flag", pb->nt_global_flag);
        json_kstr(&j, "gflags", hd_gflags_string(pb->nt_global_flag, gf, sizeof gf));
        json_end_obj(&j);
    }
    json_end_arr(&j);
    json_key(&j, "streams");
    json_begin_arr(&j);
    for (i = 0; i < hd_stream_count(d); i++) {
        const hd_stream *st = hd_stream_at(d, i);
        json_begin_obj(&j);
        json_ku64(&j, "type", st->type);
        json_kstr(&j, "name", st->name);
        json_ku64(&j, "size", st->size);
        json_kaddr(&j, "rva", st->rva);
        json_kbool(&j, "known", st->known);
        json_kbool(&j, "truncated", st->truncated);
        json_end_obj(&j);
    }
    json_end_arr(&j);
    json_diags(&j, d);
    json_end_obj(&j);
    json_finish(&j);
}

/* ---- text --------------------------------------------------------------------------- */

static void print_flags(const hd_dump *d)
{
    uint64_t f = hd_dump_header(d)->flags;
    unsigned b, n = 0;
    printf("Dump flags:  0x%" PRIx64, f);
    for (b = 0; b < 64; b++) {
        const char *nm;
        if (!((f >> b) & 1)) continue;
        nm = hd_dump_flag_name((uint64_t)1 << b);
        printf("%s%s", n++ ? " | " : " ", nm ? nm + 8 : "?");   /* without "MiniDump" */
    }
    if (!f) printf(" (MiniDumpNormal)");
    printf("\n             captured: %s\n", capture_words(d));
}

static void print_text(hd_dump *d, int verbose)
{
    const hd_sysinfo *s = hd_sysinfo_get(d);
    const hd_miscinfo *m = hd_miscinfo_get(d);
    const hd_exception *x = hd_exception_get(d);
    const hd_process *p = hd_process_get(d);
    unsigned ptr = ptr_size_of(d);
    hd_capture_verdict v = hd_capture_verdict_get(d);
    char a[32], a2[32], sz[32], gf[256];
    size_t i, k, n, shown;
    printf("Dump:        %s (%s)\n", hd_path(d), fmt_size(sz, hd_file_size(d)));
    printf("OS:          Windows %u.%u.%u%s%s", s->major, s->minor, s->build, s->csd_version[0] ? " " : "", s->csd_version);
    if (m->has_build_string && m->build_string[0]) printf(" (%s)", m->build_string);
    if (!s->present) printf("unknown (no SystemInfoStream)");
    printf("\n");
    printf("Process:     %s%s", hd_arch_name(s->arch), p->wow64 ? " dump of a 32-bit process under WoW64 (two views: 64-bit and 32-bit)" : "");
    if (m->has_pid) printf(", pid %u (0x%x)", m->pid, m->pid);
    printf("\n");
    print_flags(d);
    printf("Memory:      %zu range%s, %s captured; ", hd_range_count(d), hd_range_count(d) == 1 ? "" : "s", fmt_size(sz, hd_captured_bytes(d)));
    if (hd_has_memory_info(d)) printf("MemoryInfoList with %zu regions (full address map)\n", hd_region_count(d));
    else printf("no MemoryInfoList ('address' shows captured ranges only)\n");
    printf("Heap analysis: %s: %s\n", v.name, v.why);
    if (v.advice) printf("             %s\n", v.advice);
    if (x->present)
        printf("Exception:   0x%08x%s%s%s at %s, thread 0x%x\n", x->code, exception_name(x->code)[0] ? " (" : "",
               exception_name(x->code), exception_name(x->code)[0] ? ")" : "", fmt_addr(a, x->address, ptr), x->thread_id);
    n = hd_thread_count(d);
    printf("Threads:     %zu\n", n);
    for (i = 0; i < n && (verbose || i < 4); i++) {
        const hd_thread *t = hd_thread_at(d, i);
        printf("  ~%-3zu id 0x%-5x TEB %s", i, t->id, fmt_addr(a, t->teb, ptr));
        if (t->teb32) printf(" TEB32 %s", fmt_addr(a2, t->teb32, 4));
        if (t->stack_region_size) printf("  stack %s +%s", fmt_addr(a, t->stack_region_base, ptr), fmt_size(sz, t->stack_region_size));
        if (t->name[0]) printf("  \"%s\"", t->name);
        printf("\n");
    }
    if (i < n) printf("  ... %zu more (--verbose)\n", n - i);
    n = hd_module_count(d);
    printf("Modules:     %zu loaded, %zu unloaded\n", n, hd_unloaded_module_count(d));
    for (i = 0, shown = 0; i < n; i++) {
        const hd_module *mo = hd_module_at(d, i);
        /* one screen: the first few, and ntdll (its version tells the heap layout); all with -v */
        if (!verbose && shown >= 4 && !is_ntdll(mo->name)) continue;
        const char *shown_name = verbose && mo->path[0] ? mo->path : mo->name;
        printf("  %s %s", fmt_addr_pad(a, mo->base, ptr), shown_name);
        if (mo->has_version)
            printf("%*s %u.%u.%u.%u", strlen(shown_name) < 24 ? (int)(24 - strlen(shown_name)) : 0, "",
                   mo->version[0], mo->version[1], mo->version[2], mo->version[3]);
        printf("\n");
        shown++;
    }
    if (shown < n) printf("  ... %zu more (--verbose)\n", n - shown);
    for (i = 0; i < p->peb_count; i++) {
        const hd_peb *pb = &p->pebs[i];
        size_t cnt = pb->heap_count;
        printf("PEB%-2u        %s%s  NtGlobalFlag 0x%x%s%s\n", pb->ptr_size * 8, fmt_addr(a, pb->address, pb->ptr_size),
               pb->readable ? "" : " (not captured)", pb->nt_global_flag, pb->nt_global_flag ? " " : " (none)",
               hd_gflags_string(pb->nt_global_flag, gf, sizeof gf));
        if (!pb->readable) continue;
        printf("  heaps: NumberOfHeaps %u, ProcessHeaps %s%s\n", pb->number_of_heaps, fmt_addr(a, pb->process_heaps, pb->ptr_size),
               pb->heaps_readable ? "" : " (array not captured)");
        if (!cnt && pb->process_heap) cnt = 1;
        for (k = 0; k < cnt; k++) {
            uint64_t hh = pb->heap_count ? pb->heaps[k] : pb->process_heap;
            hd_heap_capture f = hd_heap_capture_of(d, hh, pb->process_heap);
            char c1[32], c2[32];
            printf("  %-2zu %s%s  ", k, fmt_addr(a, hh, pb->ptr_size), f.process_heap ? " (process heap)" : "");
            if (hd_has_memory_info(d) && f.committed)
                printf("captured %s of %s committed (%.0f%%)", fmt_size(c1, f.captured), fmt_size(c2, f.committed),
                       100.0 * (double)f.captured / (double)f.committed);
            else if (f.captured)
                printf("captured %s", fmt_size(c1, f.captured));
            else
                printf("memory not captured");
            printf("\n");
        }
    }
    /* streams heapdig does not read: listed, never fatal */
    for (i = 0, shown = 0; i < hd_stream_count(d); i++) {
        const hd_stream *st = hd_stream_at(d, i);
        if (st->known) continue;
        printf("%s type 0x%x (%u bytes)", shown++ ? "," : "Other streams:", st->type, st->size);
    }
    if (shown) printf("\n");
    if (verbose) {
        for (i = 0; i < hd_stream_count(d); i++) {
            const hd_stream *st = hd_stream_at(d, i);
            printf("  stream %-28s type 0x%-8x %10u bytes at 0x%x%s\n", st->name, st->type, st->size, st->rva,
                   st->truncated ? " (truncated)" : "");
        }
        cli_print_diags(stdout, d);
    }
}

int cmd_info(int argc, char **argv)
{
    opt_result r[O_COUNT] = {{0, NULL}};
    const char *pos[1];
    int npos, rc;
    hd_dump *d;
    if (opts_parse("info", argc, argv, specs, r, pos, 1, &npos) < 0) return EXIT_NOTHING;
    if (r[O_HELP].present) { opts_usage(stdout, "info", "[--verbose] [--json] DUMP", specs); return EXIT_ANSWER; }
    if (npos != 1) { opts_usage(stderr, "info", "[--verbose] [--json] DUMP", specs); return EXIT_NOTHING; }
    if (!(d = cli_open(pos[0]))) return EXIT_NOTHING;
    hd_process_get(d);
    if (r[O_JSON].present) print_json(d); else print_text(d, r[O_VERBOSE].present);
    rc = cli_finish(d, 0);
    hd_close(d);
    return rc;
}
