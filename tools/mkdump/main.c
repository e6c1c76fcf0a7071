/*
** main.c - mkdump's command line:
**   mkdump --layout NAME [--scenario FILE|default|seed|bench] [--seed N] [--scale X]
**          -o OUT.dmp [--truth OUT.json] [--stats]
**   mkdump --list-layouts
** Two passes over the same deterministic generator: the first plans the address space (no
** bytes), the file layout is computed from it, the second writes the dump and the manifest.
*/
#define _XOPEN_SOURCE 700
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "mkdump.h"

static void usage(FILE *f)
{
    fputs("usage: mkdump --layout NAME [--scenario FILE|default|seed|bench] [--seed N] [--scale X]\n"
          "              -o OUT.dmp [--truth OUT.json] [--stats]\n"
          "       mkdump --list-layouts\n"
          "Writes a Windows minidump with NT heaps built byte-exactly after the layout reference,\n"
          "and (with --truth) a JSON manifest of everything it put there.  Same seed, same bytes.\n"
          "See tools/mkdump/README.md and docs/manifest.md.\n",
          f);
}

static void reset_gen(gen *g)
{
    size_t i;
    int f;
    for (i = 0; i < g->mods.n; i++) {
        module *md = &g->mods.v[i];
        size_t k;
        free(md->file);
        free(md->name);
        free(md->path);
        for (k = 0; k < md->exports.n; k++) free(md->exports.v[k].name);
        VFREE(md->exports);
    }
    VFREE(g->mods);
    VFREE(g->thr);
    for (i = 0; i < g->rst.n; i++) {
        for (f = 0; f < g->rst.v[i].n; f++) free(g->rst.v[i].sym[f]);
        free(g->rst.v[i].sym);
    }
    VFREE(g->rst);
    for (i = 0; i < g->heaps.n; i++) {
        free(g->heaps.v[i]->descs);
        free(g->heaps.v[i]);
    }
    VFREE(g->heaps);
    for (i = 0; i < g->corr.n; i++) free(g->corr.v[i].detail);
    VFREE(g->corr);
    memset(g->tw, 0, sizeof g->tw);
}

static const char *state_name(u32 s) { return s == MEM_COMMIT ? "MEM_COMMIT" : s == MEM_RESERVE ? "MEM_RESERVE" : "MEM_FREE"; }
static const char *type_name(u32 t) { return t == MEM_IMAGE ? "MEM_IMAGE" : t == MEM_MAPPED ? "MEM_MAPPED" : "MEM_PRIVATE"; }

static void run(gen *g)
{
    json *j = g->j;
    size_t i;
    if (g->live) {
        j_obj(j, NULL);
        j_obj(j, "generator");
        j_str(j, "name", "mkdump");
        j_str(j, "version", MKDUMP_VERSION);
        j_str(j, "layout", g->lo->name);
        j_str(j, "scenario", g->scenario_name);
        j_uint(j, "seed", g->seed);
        j_dbl(j, "scale", g->scale);
        j_end(j, 1);
        j_arr(j, "heaps");
    }
    gen_process(g);
    gen_heaps(g);
    heaps_finish(g);
    gen_process_finish(g);
    if (!g->live) return;
    j_end(j, 0);   /* heaps */
    json_process(g);
    j_arr(j, "regions");
    for (i = 0; i < vm_region_count(g->m); i++) {
        region *r = vm_region_at(g->m, i);
        j_obj(j, NULL);
        j_hex(j, "base", r->base);
        j_uint(j, "size", r->size);
        j_hex(j, "allocation_base", r->alloc_base);
        j_str(j, "state", state_name(r->state));
        j_str(j, "type", type_name(r->type));
        j_uint(j, "protect", r->protect);
        j_str(j, "usage", usage_name(r->usage));
        j_uint(j, "captured", r->cap_size);
        j_end(j, 1);
    }
    j_end(j, 0);
    j_arr(j, "corruptions");
    for (i = 0; i < g->corr.n; i++) {
        corruption *c = &g->corr.v[i];
        j_obj(j, NULL);
        j_str(j, "kind", corrupt_name(c->kind));
        j_hex(j, "address", c->address);
        j_hex(j, "heap", c->heap);
        j_str(j, "detail", c->detail);
        j_end(j, 1);
    }
    j_end(j, 0);
    j_arr(j, "stacks");
    for (i = 0; i < g->rst.n; i++) {
        rstack *rs = &g->rst.v[i];
        int f;
        if (!rs->blocks) continue;
        j_obj(j, NULL);
        j_str(j, "name", g->sc->stacks.v[rs->spec].name);
        j_str(j, "arch", rs->bits == 64 ? "x64" : "x86");
        j_arr(j, "frames");
        for (f = 0; f < rs->n; f++) j_str(j, NULL, rs->sym[f]);
        j_end(j, 0);
        j_uint(j, "busy_blocks", rs->blocks);
        j_uint(j, "busy_user_bytes", rs->bytes);
        j_end(j, 1);
    }
    j_end(j, 0);
    j_end(j, 1);
}

/* Wall-clock seconds for --stats (monotonic where the platform has it). */
#if defined(_WIN32)
#  define WIN32_LEAN_AND_MEAN
#  include <windows.h>   /* QueryPerformanceCounter */
static double now(void)
{
    LARGE_INTEGER c, f;
    QueryPerformanceCounter(&c);
    QueryPerformanceFrequency(&f);
    return (double)c.QuadPart / (double)f.QuadPart;
}
#else
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
#endif

int main(int argc, char **argv)
{
    const char *lname = NULL, *sname = "default", *out = NULL, *truth = NULL;
    double scale = -1, t0, t1;
    u64 seed = 1, meta, data_off, cap;
    int i, stats = 0;
    const layout *lo;
    scenario *sc;
    char err[512];
    gen g;
    json j;
    FILE *jf = NULL;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--version")) {
            printf("mkdump %s\n", MKDUMP_VERSION);
            return 0;
        } else if (!strcmp(a, "--list-layouts")) {
            size_t k;
            for (k = 0; k < layout_count(); k++) printf("%-16s %s\n", layout_at(k)->name, layout_at(k)->desc);
            return 0;
        } else if (!strcmp(a, "--stats")) {
            stats = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "mkdump: %s needs a value\n", a);
            usage(stderr);
            return 2;
        }
        if (!strcmp(a, "--layout")) lname = v;
        else if (!strcmp(a, "--scenario")) sname = v;
        else if (!strcmp(a, "--seed")) {
            char *end;
            seed = strtoull(v, &end, 0);
            if (*end) die("--seed %s: not a number", v);
        } else if (!strcmp(a, "--scale")) {
            char *end;
            scale = strtod(v, &end);
            if (*end || !(scale >= 0) || scale > 1e6) die("--scale %s: not a non-negative number", v);
        } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) out = v;
        else if (!strcmp(a, "--truth")) truth = v;
        else {
            fprintf(stderr, "mkdump: unknown option %s\n", a);
            usage(stderr);
            return 2;
        }
        i++;
    }
    if (!lname || !out) {
        usage(stderr);
        return 2;
    }
    if (!(lo = layout_find(lname))) {
        fprintf(stderr, "mkdump: unknown layout %s (mkdump --list-layouts)\n", lname);
        return 2;
    }
    if (scale < 0) scale = !strcmp(sname, "seed") ? 0.05 : 1.0;
    if (!(sc = scenario_load(sname, lo, scale, err, sizeof err))) {
        fprintf(stderr, "mkdump: %s: %s\n", sname, err);
        return 2;
    }
    t0 = now();
    memset(&g, 0, sizeof g);
    g.lo = lo;
    g.sc = sc;
    g.seed = seed;
    g.scale = scale;
    g.scenario_name = sname;
    g.timestamp = 0x5F000000u + (u32)(seed % 0x1000000u);
    g.m = vm_new();
    /* pass 1: plan */
    run(&g);
    vm_layout(g.m, 0);
    meta = md_meta_size(&g);
    data_off = ALIGN_UP(meta + 0x1000, ALLOC_GRAN);
    cap = vm_layout(g.m, data_off);
    if (vm_open_output(g.m, out, data_off + cap)) die("cannot write %s", out);
    if (truth) {
        jf = fopen(truth, "wb");
        if (!jf) die("cannot write %s", truth);
        setvbuf(jf, NULL, _IOFBF, 1 << 20);
    }
    j_init(&j, jf);
    /* pass 2: write */
    reset_gen(&g);
    g.live = 1;
    g.j = &j;
    run(&g);
    if (!vm_replay_ok(g.m)) die("internal: the writing pass did not reproduce the planned address space");
    md_write_meta(&g, data_off);
    if (vm_close_output(g.m)) die("error writing %s", out);
    if (jf && fclose(jf)) die("error writing %s", truth);
    t1 = now();
    if (stats) {
        double dt = t1 - t0 > 0 ? t1 - t0 : 1e-9;
        fprintf(stderr,
                "mkdump: %s: %.1f MB dump (%.1f MB of memory captured), %zu heaps, %llu blocks, %.3f s: "
                "%.0f MB/s, %.0f blocks/s\n",
                out, (double)(data_off + cap) / 1048576.0, (double)cap / 1048576.0, g.heaps.n,
                (unsigned long long)g.nblocks, dt, (double)(data_off + cap) / 1048576.0 / dt, (double)g.nblocks / dt);
    }
    reset_gen(&g);
    vm_free(g.m);
    scenario_free(sc);
    return 0;
}
