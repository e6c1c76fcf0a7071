/*
** cmd_info.c - `heapdig info DUMP`: the process at a glance.
*/
#include <inttypes.h>
#include <string.h>
#include "cli.h"

static const opt_spec specs[] = {
    {"json", 0, 0, "print one JSON document (docs/json.md)"},
    {"help", 'h', 0, "this help"},
    {NULL, 0, 0, NULL},
};
enum { O_JSON, O_HELP };

static void print_json(hd_dump *d)
{
    const hd_sysinfo *s = hd_sysinfo_get(d);
    const hd_process *p = hd_process_get(d);
    json j;
    size_t i, k;
    json_init(&j, stdout, 1);
    json_begin_obj(&j);
    json_kstr(&j, "file", hd_path(d));
    json_kstr(&j, "arch", hd_arch_name(s->arch));
    json_key(&j, "os");
    json_begin_obj(&j);
    json_ku64(&j, "major", s->major);
    json_ku64(&j, "minor", s->minor);
    json_ku64(&j, "build", s->build);
    json_kstr(&j, "service_pack", s->csd_version);
    json_end_obj(&j);
    json_kbool(&j, "wow64", p->wow64);
    json_ku64(&j, "threads", hd_thread_count(d));
    json_key(&j, "modules");
    json_begin_arr(&j);
    for (i = 0; i < hd_module_count(d); i++) {
        const hd_module *m = hd_module_at(d, i);
        json_begin_obj(&j);
        json_kstr(&j, "name", m->name);
        json_kaddr(&j, "base", m->base);
        json_ku64(&j, "size", m->size);
        json_end_obj(&j);
    }
    json_end_arr(&j);
    json_key(&j, "pebs");
    json_begin_arr(&j);
    for (i = 0; i < p->peb_count; i++) {
        const hd_peb *pb = &p->pebs[i];
        json_begin_obj(&j);
        json_kstr(&j, "arch", pb->ptr_size == 8 ? "x64" : "x86");
        json_kaddr(&j, "address", pb->address);
        json_key(&j, "heaps");
        json_begin_arr(&j);
        for (k = 0; k < pb->heap_count; k++) json_addr(&j, pb->heaps[k]);
        json_end_arr(&j);
        json_ku64(&j, "nt_global_flag", pb->nt_global_flag);
        json_end_obj(&j);
    }
    json_end_arr(&j);
    json_diags(&j, d);
    json_end_obj(&j);
    json_finish(&j);
}

static void print_text(hd_dump *d)
{
    const hd_sysinfo *s = hd_sysinfo_get(d);
    const hd_process *p = hd_process_get(d);
    char a[32], gf[256];
    size_t i, k;
    printf("Dump:     %s\n", hd_path(d));
    printf("OS:       Windows %u.%u.%u %s\n", s->major, s->minor, s->build, s->csd_version);
    printf("Arch:     %s%s\n", hd_arch_name(s->arch), p->wow64 ? " (32-bit process under WoW64)" : "");
    printf("Threads:  %zu\nModules:  %zu\n", hd_thread_count(d), hd_module_count(d));
    for (i = 0; i < p->peb_count; i++) {
        const hd_peb *pb = &p->pebs[i];
        printf("PEB%u:    %s  NtGlobalFlag 0x%x %s\n", pb->ptr_size * 8, fmt_addr(a, pb->address, pb->ptr_size),
               pb->nt_global_flag, hd_gflags_string(pb->nt_global_flag, gf, sizeof gf));
        for (k = 0; k < pb->heap_count; k++)
            printf("  heap %s%s\n", fmt_addr(a, pb->heaps[k], pb->ptr_size),
                   hd_view(d, pb->heaps[k], 16) ? "" : "  (memory not captured)");
    }
}

int cmd_info(int argc, char **argv)
{
    opt_result r[3] = {{0, NULL}};
    const char *pos[1];
    int npos, rc;
    hd_dump *d;
    if (opts_parse("info", argc, argv, specs, r, pos, 1, &npos) < 0) return EXIT_NOTHING;
    if (r[O_HELP].present) { opts_usage(stdout, "info", "[--json] DUMP", specs); return EXIT_ANSWER; }
    if (npos != 1) { opts_usage(stderr, "info", "[--json] DUMP", specs); return EXIT_NOTHING; }
    if (!(d = cli_open(pos[0]))) return EXIT_NOTHING;
    hd_process_get(d);
    if (r[O_JSON].present) print_json(d); else print_text(d);
    rc = cli_finish(d, 0);
    hd_close(d);
    return rc;
}
