/*
** cmd_dt.c - `heapdig dt DUMP TYPE ADDR`: a structure laid out at an address with heapdig's own
** offsets, like WinDbg's `dt` - but without symbols (the seed's `dt nt!_HEAP_VIRTUAL_ALLOC_ENTRY`
** failed with "Symbol not found").  _HEAP_ENTRY fields show their decoded values as well.
*/
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"

static const opt_spec specs[] = {
    {"json", 0, 0, "print one JSON document (docs/json.md)"},
    {"x86", 0, 0, "use the 32-bit layout (default: from the heap or PEB view the address is in)"},
    {"x64", 0, 0, "use the 64-bit layout"},
    {"list", 'l', 0, "list the types heapdig knows"},
    {"help", 'h', 0, "this help"},
    {NULL, 0, 0, NULL},
};
enum { O_JSON, O_X86, O_X64, O_LIST, O_HELP };
#define SYNOPSIS "[--json] [--x86|--x64] DUMP TYPE ADDR   (or: dt --list)"

static void list_types(FILE *f)
{
    const char *const *t = hd_dt_types();
    fprintf(f, "types:");
    for (; *t; t++) fprintf(f, " %s", *t);
    fprintf(f, "\n");
}

int cmd_dt(int argc, char **argv)
{
    opt_result r[5] = {{0, NULL}};
    const char *pos[3], *layout;
    int npos, rc;
    uint64_t addr;
    unsigned ptr = 0;
    const hd_dt_row *rows;
    size_t n, i, w = 0;
    hd_dump *d;
    hd_err e;
    char a1[32], a2[32];
    if (opts_parse("dt", argc, argv, specs, r, pos, 3, &npos) < 0) return EXIT_NOTHING;
    if (r[O_HELP].present) { opts_usage(stdout, "dt", SYNOPSIS, specs); list_types(stdout); return EXIT_ANSWER; }
    if (r[O_LIST].present) { list_types(stdout); return EXIT_ANSWER; }
    if (npos != 3) { opts_usage(stderr, "dt", SYNOPSIS, specs); list_types(stderr); return EXIT_NOTHING; }
    if (r[O_X86].present && r[O_X64].present) { fprintf(stderr, "heapdig dt: --x86 and --x64 exclude each other\n"); return EXIT_NOTHING; }
    if (r[O_X86].present) ptr = 4;
    if (r[O_X64].present) ptr = 8;
    if (parse_addr(pos[2], &addr)) {
        fprintf(stderr, "heapdig dt: bad address '%s'\n", pos[2]);
        return EXIT_NOTHING;
    }
    if (!(d = cli_open(pos[0]))) return EXIT_NOTHING;
    e = hd_dt(d, pos[1], addr, ptr, &rows, &n, &layout);
    if (e == HD_ENOTFOUND) {
        fprintf(stderr, "heapdig dt: unknown type '%s'; ", pos[1]);
        list_types(stderr);
        hd_close(d);
        return EXIT_NOTHING;
    }
    if (e != HD_OK) {
        fprintf(stderr, "heapdig dt: %s\n", hd_strerror(e));
        hd_close(d);
        return EXIT_NOTHING;
    }
    if (!ptr) ptr = strstr(layout, "64-bit") ? 8 : 4;
    if (r[O_JSON].present) {
        json j;
        json_init(&j, stdout, 1);
        json_begin_obj(&j);
        json_kstr(&j, "file", hd_path(d));
        json_kstr(&j, "type", pos[1]);
        json_kaddr(&j, "address", addr);
        json_kstr(&j, "layout", layout);
        json_key(&j, "fields");
        json_begin_arr(&j);
        for (i = 0; i < n; i++) {
            json_begin_obj(&j);
            json_ku64(&j, "offset", rows[i].offset);
            json_kstr(&j, "name", rows[i].name);
            json_kstr(&j, "type", rows[i].type);
            json_kbool(&j, "readable", rows[i].readable);
            if (rows[i].readable && rows[i].kind != HD_FIELD_STRUCT) {
                if (rows[i].kind == HD_FIELD_PTR || rows[i].kind == HD_FIELD_LIST) json_kaddr(&j, "value", rows[i].value);
                else json_ku64(&j, "value", rows[i].value);
                if (rows[i].kind == HD_FIELD_LIST) json_kaddr(&j, "blink", rows[i].value2);
            }
            if (rows[i].note[0]) json_kstr(&j, "note", rows[i].note);
            json_end_obj(&j);
        }
        json_end_arr(&j);
        json_diags(&j, d);
        json_end_obj(&j);
        json_finish(&j);
    } else {
        for (i = 0; i < n; i++) if (strlen(rows[i].name) > w) w = strlen(rows[i].name);
        printf("%s at %s (heapdig layout %s; no symbols used)\n", pos[1], fmt_addr_pad(a1, addr, ptr), layout);
        for (i = 0; i < n; i++) {
            const hd_dt_row *x = &rows[i];
            printf("   +0x%03x %-*s : ", x->offset, (int)w, x->name);
            if (!x->readable) printf("?? (not captured)  %s", x->type);
            else switch (x->kind) {
            case HD_FIELD_LIST:
                printf("_LIST_ENTRY [ %s - %s ]", fmt_addr_pad(a1, x->value, ptr), fmt_addr_pad(a2, x->value2, ptr));
                break;
            case HD_FIELD_PTR:
                printf("0x%s %s", fmt_addr_pad(a1, x->value, ptr), strncmp(x->type, "Ptr", 3) ? x->type : x->type + 6);
                break;
            case HD_FIELD_U8: printf("0x%02" PRIx64, x->value); break;
            case HD_FIELD_U16: printf("0x%" PRIx64, x->value); break;
            case HD_FIELD_U32: printf("0x%" PRIx64, x->value); break;
            case HD_FIELD_U64: printf("0x%016" PRIx64, x->value); break;
            case HD_FIELD_BYTES: printf("%s raw 0x%016" PRIx64, x->type, x->value); break;
            default: printf("%s", x->type); break;
            }
            if (x->note[0]) printf("  (%s)", x->note);
            printf("\n");
        }
    }
    rc = cli_finish(d, 0);
    hd_close(d);
    return rc;
}
