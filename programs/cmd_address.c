/*
** cmd_address.c - `heapdig address [--summary] DUMP`: regions by usage, as WinDbg's !address and
** !address -summary print them (same section names, column names and units, so the numbers can be
** compared side by side).  The classification is the library's address map (hd_area_*).
*/
#include <ctype.h>      /* tolower */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static const opt_spec specs[] = {
    {"summary", 's', 0, "totals by usage, type, state and protection (!address -summary)"},
    {"usage", 'u', 1, "NAME  list only regions of this usage (Heap, Image, Stack, TEB, PEB, Other, Free, unknown)"},
    {"address", 'a', 1, "VA  only the region holding this address (!address VA)"},
    {"verbose", 'v', 0, "print every diagnostic on stderr"},
    {"json", 0, 0, "print one JSON document (docs/json.md)"},
    {"help", 'h', 0, "this help"},
    {NULL, 0, 0, NULL},
};
enum { O_SUMMARY, O_USAGE, O_ADDRESS, O_VERBOSE, O_JSON, O_HELP, O_COUNT };
#define SYNOPSIS "[--summary] [--usage NAME] [--address VA] [--json] DUMP"

/* Pointer size of the dumped process, for WinDbg-style numbers (8 unless the dump is x86). */
static unsigned dump_ptr_size(const hd_dump *d)
{
    return hd_sysinfo_get(d)->arch == HD_ARCH_X86 || hd_sysinfo_get(d)->arch == HD_ARCH_ARM ? 4 : 8;
}

/* A size as !address -summary prints it: "7fc`685d1000", "0`1ff5a000" (x64) or "1ff5a000" (x86). */
static const char *fmt_hexsize(char buf[32], uint64_t v, unsigned ptr_size)
{
    if (ptr_size == 8 || (v >> 32))
        snprintf(buf, 32, "%" PRIx64 "`%08" PRIx64, v >> 32, v & 0xFFFFFFFFu);
    else
        snprintf(buf, 32, "%08" PRIx64, v);
    return buf;
}

static double pct(uint64_t part, uint64_t whole) { return whole ? 100.0 * (double)part / (double)whole : 0.0; }

typedef struct row { const char *name; uint64_t regions, size; int is_free; uint32_t protect; } row;

static int cmp_row(const void *a, const void *b)
{
    const row *x = a, *y = b;
    if (x->size != y->size) return x->size > y->size ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* One summary line: name, RgnCount, Total Size, %ofBusy (blank for free rows), %ofTotal. */
static void print_row(const row *r, const hd_addr_summary *s, unsigned ptr)
{
    char hx[32], sz[32];
    printf("%-33s %9" PRIu64 " %17s (%11s)", r->name, r->regions, fmt_hexsize(hx, r->size, ptr), fmt_size(sz, r->size));
    if (r->is_free) printf("        ");
    else printf(" %6.2f%%", pct(r->size, s->busy));
    printf(" %7.2f%%\n", pct(r->size, s->total));
}

static void print_section(const char *header, row *rows, size_t n, const hd_addr_summary *s, unsigned ptr)
{
    size_t i;
    qsort(rows, n, sizeof(row), cmp_row);
    printf("%s\n", header);
    for (i = 0; i < n; i++)
        if (rows[i].regions) print_row(&rows[i], s, ptr);
    printf("\n");
}

/* The rows of each section; protect rows need names built per value. */
static size_t usage_rows(const hd_addr_summary *s, row *rows)
{
    size_t n = 0;
    int u;
    for (u = 0; u < HD_USAGE_COUNT; u++) {
        rows[n].name = hd_usage_name((hd_usage)u);
        rows[n].regions = s->usage[u].regions;
        rows[n].size = s->usage[u].size;
        rows[n].is_free = u == HD_USAGE_FREE;
        n++;
    }
    return n;
}

static size_t type_rows(const hd_addr_summary *s, row *rows)
{
    row r[4] = {{"MEM_PRIVATE", s->type_private.regions, s->type_private.size, 0, 0},
                {"MEM_IMAGE", s->type_image.regions, s->type_image.size, 0, 0},
                {"MEM_MAPPED", s->type_mapped.regions, s->type_mapped.size, 0, 0},
                {"<unknown>", s->type_unknown.regions, s->type_unknown.size, 0, 0}};
    memcpy(rows, r, sizeof r);
    return 4;
}

static size_t state_rows(const hd_addr_summary *s, row *rows)
{
    row r[4] = {{"MEM_FREE", s->state_free.regions, s->state_free.size, 1, 0},
                {"MEM_COMMIT", s->state_commit.regions, s->state_commit.size, 0, 0},
                {"MEM_RESERVE", s->state_reserve.regions, s->state_reserve.size, 0, 0},
                {"<unknown>", s->state_unknown.regions, s->state_unknown.size, 0, 0}};
    memcpy(rows, r, sizeof r);
    return 4;
}

static const char *protect_label(char *buf, size_t size, uint32_t protect)
{
    if (protect == 0xFFFFFFFFu) return "<other values>";
    if (protect == 0) return "<none>";
    return hd_protect_name(protect, buf, size);
}

static void summary_text(hd_dump *d)
{
    const hd_addr_summary *s = hd_addr_summary_get(d);
    unsigned ptr = dump_ptr_size(d);
    row rows[8], *prot;
    char (*names)[96];
    size_t i, n;
    int u;
    if (!s->from_memory_info)
        printf("Note: %s has no MemoryInfoList: the regions below are the captured memory ranges, so free and\n"
               "reserved memory, region types and protections are unknown.\n\n", hd_path(d));
    n = usage_rows(s, rows);
    print_section("--- Usage Summary ---------------- RgnCount ----------- Total Size -------- %ofBusy %ofTotal", rows, n, s, ptr);
    n = type_rows(s, rows);
    print_section("--- Type Summary (for busy) ------ RgnCount ----------- Total Size -------- %ofBusy %ofTotal", rows, n, s, ptr);
    n = state_rows(s, rows);
    print_section("--- State Summary ---------------- RgnCount ----------- Total Size -------- %ofBusy %ofTotal", rows, n, s, ptr);
    prot = calloc(s->protect_count ? s->protect_count : 1, sizeof(row));
    names = calloc(s->protect_count ? s->protect_count : 1, 96);
    if (prot && names) {
        for (i = 0; i < s->protect_count; i++) {
            prot[i].name = protect_label(names[i], 96, s->protect[i].protect);
            prot[i].regions = s->protect[i].regions;
            prot[i].size = s->protect[i].size;
        }
        print_section("--- Protect Summary (for commit) - RgnCount ----------- Total Size -------- %ofBusy %ofTotal", prot, s->protect_count, s, ptr);
    }
    free(prot);
    free(names);
    printf("--- Largest Region by Usage ----------- Base Address -------- Region Size ----------\n");
    n = usage_rows(s, rows);
    qsort(rows, n, sizeof(row), cmp_row);
    for (i = 0; i < n; i++) {
        char a[32], hx[32], sz[32];
        const hd_area *l = NULL;
        for (u = 0; u < HD_USAGE_COUNT; u++)
            if (!strcmp(hd_usage_name((hd_usage)u), rows[i].name)) l = s->largest[u];
        if (!l) continue;
        /* aligned under the header: Base Address ends in column 52, Region Size in column 72 */
        printf("%-33s %18s %19s (%11s)\n", rows[i].name, fmt_hexsize(a, l->base, ptr), fmt_hexsize(hx, l->size, ptr), fmt_size(sz, l->size));
    }
}

static void json_rows(json *j, const char *key, row *rows, size_t n, const hd_addr_summary *s, int with_protect)
{
    size_t i;
    qsort(rows, n, sizeof(row), cmp_row);
    json_key(j, key);
    json_begin_arr(j);
    for (i = 0; i < n; i++) {
        if (!rows[i].regions) continue;
        json_begin_obj(j);
        json_kstr(j, "name", rows[i].name);
        if (with_protect) json_ku64(j, "protect", rows[i].protect);
        json_ku64(j, "regions", rows[i].regions);
        json_ku64(j, "size", rows[i].size);
        json_key(j, "pct_busy");
        if (rows[i].is_free) json_null(j); else json_dbl(j, pct(rows[i].size, s->busy));
        json_kdbl(j, "pct_total", pct(rows[i].size, s->total));
        json_end_obj(j);
    }
    json_end_arr(j);
}

static void summary_json(hd_dump *d)
{
    const hd_addr_summary *s = hd_addr_summary_get(d);
    row rows[8], *prot;
    size_t i, n;
    int u;
    char (*names)[96] = calloc(s->protect_count ? s->protect_count : 1, 96);
    json j;
    json_init(&j, stdout, 1);
    json_begin_obj(&j);
    json_kstr(&j, "file", hd_path(d));
    json_kstr(&j, "source", s->from_memory_info ? "MemoryInfoList" : "captured ranges");
    json_ku64(&j, "total", s->total);
    json_ku64(&j, "busy", s->busy);
    n = usage_rows(s, rows);
    json_rows(&j, "usage", rows, n, s, 0);
    n = type_rows(s, rows);
    json_rows(&j, "type", rows, n, s, 0);
    n = state_rows(s, rows);
    json_rows(&j, "state", rows, n, s, 0);
    prot = calloc(s->protect_count ? s->protect_count : 1, sizeof(row));
    if (prot && names) {
        for (i = 0; i < s->protect_count; i++) {
            prot[i].name = protect_label(names[i], 96, s->protect[i].protect);
            prot[i].protect = s->protect[i].protect;
            prot[i].regions = s->protect[i].regions;
            prot[i].size = s->protect[i].size;
        }
        json_rows(&j, "protect", prot, s->protect_count, s, 1);
    }
    free(prot);
    free(names);
    json_key(&j, "largest");
    json_begin_arr(&j);
    for (u = 0; u < HD_USAGE_COUNT; u++) {
        const hd_area *l = s->largest[u];
        if (!l) continue;
        json_begin_obj(&j);
        json_kstr(&j, "usage", hd_usage_name((hd_usage)u));
        json_kaddr(&j, "base", l->base);
        json_ku64(&j, "size", l->size);
        json_end_obj(&j);
    }
    json_end_arr(&j);
    json_diags(&j, d);
    json_end_obj(&j);
    json_finish(&j);
}

/* ---- the region list ------------------------------------------------------------------- */

/* ASCII case-insensitive equality (strcasecmp is POSIX, not C11). */
static int same_word(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return 0;
    return *a == *b;
}

static int usage_from_name(const char *s, hd_usage *u)
{
    int i;
    for (i = 0; i < HD_USAGE_COUNT; i++)
        if (same_word(s, hd_usage_name((hd_usage)i))) { *u = (hd_usage)i; return 0; }
    if (same_word(s, "unknown")) { *u = HD_USAGE_UNKNOWN; return 0; }
    return -1;
}

/* Who the area belongs to, in words: module path, thread, heap handle. */
static const char *owner_text(char *buf, size_t size, const hd_area *a)
{
    if (a->module) snprintf(buf, size, "%s", a->module->path);
    else if (a->thread) snprintf(buf, size, "[%s]", a->detail);
    else if (a->detail && a->detail[0]) snprintf(buf, size, "[%s]", a->detail);
    else buf[0] = 0;
    return buf;
}

static void list_text(hd_dump *d, int filter, hd_usage want, int one, uint64_t va)
{
    unsigned ptr = dump_ptr_size(d);
    size_t i, n = hd_area_count(d), shown = 0;
    int w = ptr == 8 ? 17 : 12;   /* wide enough for the column names */
    int meminfo = hd_has_memory_info(d);
    if (!hd_has_memory_info(d))
        printf("Note: %s has no MemoryInfoList: the regions below are the captured memory ranges.\n\n", hd_path(d));
    printf("  %*s %*s %*s %-11s %-11s %-27s %-9s %s\n", w, "BaseAddress", w, "EndAddress+1", w, "RegionSize",
           "Type", "State", "Protect", "Usage", "Owner");
    for (i = 0; i < n; i++) {
        const hd_area *a = hd_area_at(d, i);
        char b[32], e[32], s[32], p[96], o[600];
        if (filter && a->usage != want) continue;
        if (one && !(va - a->base < a->size)) continue;
        /* '+': the first region of an allocation, as !address marks it (needs AllocationBase) */
        printf("%c %*s %*s %*s %-11s %-11s %-27s %-9s %s\n", meminfo && a->base == a->alloc_base && a->state != HD_MEM_FREE ? '+' : ' ',
               w, fmt_addr_pad(b, a->base, ptr), w, fmt_addr_pad(e, a->base + a->size, ptr), w, fmt_addr_pad(s, a->size, ptr),
               a->type ? hd_type_name(a->type) : "", hd_state_name(a->state), a->state == HD_MEM_COMMIT ? hd_protect_name(a->protect, p, sizeof p) : "",
               hd_usage_name(a->usage), owner_text(o, sizeof o, a));
        shown++;
    }
    if (one && !shown) {
        char b[32];
        printf("%s is in no region of the dump\n", fmt_addr(b, va, ptr));
    }
}

static void list_json(hd_dump *d, int filter, hd_usage want, int one, uint64_t va)
{
    size_t i, n = hd_area_count(d);
    const hd_thread *t0 = hd_thread_count(d) ? hd_thread_at(d, 0) : NULL;
    json j;
    json_init(&j, stdout, 1);
    json_begin_obj(&j);
    json_kstr(&j, "file", hd_path(d));
    json_kstr(&j, "source", hd_has_memory_info(d) ? "MemoryInfoList" : "captured ranges");
    json_key(&j, "regions");
    json_begin_arr(&j);
    for (i = 0; i < n; i++) {
        const hd_area *a = hd_area_at(d, i);
        char p[96];
        if (filter && a->usage != want) continue;
        if (one && !(va - a->base < a->size)) continue;
        json_begin_obj(&j);
        json_kaddr(&j, "base", a->base);
        json_kaddr(&j, "end", a->base + a->size);
        json_ku64(&j, "size", a->size);
        json_kaddr(&j, "alloc_base", a->alloc_base);
        json_kstr(&j, "usage", hd_usage_name(a->usage));
        json_kstr(&j, "state", hd_state_name(a->state));
        json_kstr(&j, "type", hd_type_name(a->type));
        json_kstr(&j, "protect", hd_protect_name(a->protect, p, sizeof p));
        json_ku64(&j, "protect_value", a->protect);
        json_kstr(&j, "detail", a->detail);
        json_key(&j, "module");
        if (a->module) json_str(&j, a->module->name); else json_null(&j);
        json_key(&j, "thread");
        if (a->thread) {
            json_begin_obj(&j);
            json_ku64(&j, "index", t0 ? (uint64_t)(a->thread - t0) : 0);
            json_ku64(&j, "id", a->thread->id);
            json_end_obj(&j);
        } else {
            json_null(&j);
        }
        json_key(&j, "heap");
        if (a->usage == HD_USAGE_HEAP && a->heap) json_addr(&j, a->heap); else json_null(&j);
        json_ku64(&j, "captured", a->captured);
        json_end_obj(&j);
    }
    json_end_arr(&j);
    json_diags(&j, d);
    json_end_obj(&j);
    json_finish(&j);
}

int cmd_address(int argc, char **argv)
{
    opt_result r[O_COUNT] = {{0, NULL}};
    const char *pos[1];
    int npos, rc, filter = 0, one = 0;
    hd_usage want = HD_USAGE_UNKNOWN;
    uint64_t va = 0;
    hd_dump *d;
    if (opts_parse("address", argc, argv, specs, r, pos, 1, &npos) < 0) return EXIT_NOTHING;
    if (r[O_HELP].present) { opts_usage(stdout, "address", SYNOPSIS, specs); return EXIT_ANSWER; }
    if (npos != 1) { opts_usage(stderr, "address", SYNOPSIS, specs); return EXIT_NOTHING; }
    if (r[O_USAGE].present) {
        if (usage_from_name(r[O_USAGE].value, &want) < 0) {
            fprintf(stderr, "heapdig address: unknown usage '%s' (Free, Image, PEB, TEB, Stack, Heap, Other, unknown)\n", r[O_USAGE].value);
            return EXIT_NOTHING;
        }
        filter = 1;
    }
    if (r[O_ADDRESS].present) {
        if (parse_addr(r[O_ADDRESS].value, &va) < 0) {
            fprintf(stderr, "heapdig address: '%s' is not an address (hex, e.g. 7ffe0000 or 0x7ffe0000)\n", r[O_ADDRESS].value);
            return EXIT_NOTHING;
        }
        one = 1;
    }
    if (!(d = cli_open(pos[0]))) return EXIT_NOTHING;
    hd_addrmap_mark_heaps(d);   /* Heap usage from the heap walker: segments and VirtualAlloc'd blocks */
    if (r[O_SUMMARY].present) {
        if (r[O_JSON].present) summary_json(d); else summary_text(d);
    } else {
        if (r[O_JSON].present) list_json(d, filter, want, one, va); else list_text(d, filter, want, one, va);
    }
    if (r[O_VERBOSE].present) cli_print_diags(stderr, d);
    rc = cli_finish(d, 0);
    hd_close(d);
    return rc;
}
