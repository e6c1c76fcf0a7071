/*
** test_sym_pdb.c - naming code addresses against a real Windows program and its PDB, built at
** test time by tests/data/winprog/build.sh (clang + lld-link, x64 and x86).
**
** Ground truth comes from the toolchain, never from heapdig:
**   RVAs of functions (static ones included)   the linker's map file (prog.map)
**   RVAs of exports                            llvm-readobj --coff-exports (exports.txt)
**   the PDB's GUID and age                     llvm-pdbutil dump -summary (summary.txt)
**   readable names of C++ functions            llvm-undname (undname.txt)
** The test maps prog.exe as the loader would into a small synthetic dump (tests/util/mdbuild.c)
** whose module list carries the GUID/age read from summary.txt, then checks hd_symbolize.
*/
#define _POSIX_C_SOURCE 200809L   /* setenv */
#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "heapdig.h"
#include "mdbuild.h"

typedef struct prog {
    char dir[1024];
    uint64_t base;            /* where the test loads it */
    uint64_t preferred;       /* the map's "Preferred load address" */
    uint8_t guid[16];
    uint32_t age;
    char id[48];              /* symstore directory name derived from summary.txt */
    char dump[1100];
} prog;

static prog P64, P32;
static int have_toolchain = -1;
static char why_skip[256];

/* ---- reading the toolchain's ground truth ---- */

static char *slurp(const char *dir, const char *name)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return tu_read_file(path, NULL);
}

/* RVA of NAME from the map ("0001:00000020   hd_static_helper   0000000140001020   prog.obj"). */
static uint64_t map_rva(const prog *p, const char *name)
{
    char *map = slurp(p->dir, "prog.map"), *line;
    uint64_t rva = 0;
    assert_non_null(map);
    for (line = strtok(map, "\n"); line; line = strtok(NULL, "\n")) {
        char segoff[64], sym[512], va[64];
        if (sscanf(line, " %63s %511s %63s", segoff, sym, va) == 3 && !strcmp(sym, name) && strchr(segoff, ':')) {
            rva = strtoull(va, NULL, 16) - p->preferred;
            break;
        }
    }
    free(map);
    if (!rva) fail_msg("%s not in the map", name);
    return rva;
}

/* RVA of an export from llvm-readobj ("Name: hd_exported_alloc" then "RVA: 0x1040"). */
static uint64_t export_rva(const prog *p, const char *name)
{
    char *t = slurp(p->dir, "exports.txt"), *at, needle[300];
    uint64_t rva = 0;
    assert_non_null(t);
    snprintf(needle, sizeof needle, "Name: %s\n", name);
    at = strstr(t, needle);
    if (at && (at = strstr(at, "RVA: 0x"))) rva = strtoull(at + 7, NULL, 16);
    free(t);
    if (!rva) fail_msg("export %s not in exports.txt", name);
    return rva;
}

/* "hdns::Widget::grow" from llvm-undname's "public: unsigned __int64 __cdecl hdns::Widget::grow(...)". */
static void undname(const prog *p, const char *mangled, char *out, size_t cap)
{
    char *t = slurp(p->dir, "undname.txt"), *line;
    out[0] = 0;
    assert_non_null(t);
    for (line = strtok(t, "\n"); line; line = strtok(NULL, "\n")) {
        char *tab = strchr(line, '\t'), *paren, *sp;
        if (!tab || strncmp(line, mangled, (size_t)(tab - line)) != 0 || strlen(mangled) != (size_t)(tab - line)) continue;
        paren = strchr(tab, '(');
        if (!paren) break;
        *paren = 0;
        sp = strrchr(tab, ' ');
        snprintf(out, cap, "%s", sp ? sp + 1 : tab + 1);
        break;
    }
    free(t);
    if (!out[0]) fail_msg("%s not in undname.txt", mangled);
}

/* "{708E509B-D6BF-0EAA-4C4C-44205044422E}" and "Age: 1" from llvm-pdbutil dump -summary. */
static void read_identity(prog *p)
{
    char *t = slurp(p->dir, "summary.txt"), *g, *a, hex[33];
    unsigned v[16], d1, d2, d3, i, k = 0;
    assert_non_null(t);
    g = strstr(t, "GUID: {");
    a = strstr(t, "Age: ");
    assert_non_null(g);
    assert_non_null(a);
    g += 7;
    for (i = 0; g[i] && g[i] != '}' && k < 32; i++)
        if (g[i] != '-') hex[k++] = g[i];
    hex[k] = 0;
    assert_int_equal(k, 32);
    p->age = (uint32_t)strtoul(a + 5, NULL, 10);
    /* symstore id: the 32 hex digits as printed (Data1-Data2-Data3-Data4) + age in hex */
    snprintf(p->id, sizeof p->id, "%s%X", hex, p->age);
    /* GUID bytes: Data1..3 little-endian numbers, Data4 bytes in order */
    sscanf(hex, "%8x%4x%4x", &d1, &d2, &d3);
    for (i = 0; i < 8; i++) sscanf(hex + 16 + 2 * i, "%2x", &v[i]);
    p->guid[0] = (uint8_t)d1; p->guid[1] = (uint8_t)(d1 >> 8); p->guid[2] = (uint8_t)(d1 >> 16); p->guid[3] = (uint8_t)(d1 >> 24);
    p->guid[4] = (uint8_t)d2; p->guid[5] = (uint8_t)(d2 >> 8);
    p->guid[6] = (uint8_t)d3; p->guid[7] = (uint8_t)(d3 >> 8);
    for (i = 0; i < 8; i++) p->guid[8 + i] = (uint8_t)v[i];
    free(t);
}

static uint64_t preferred_base(const prog *p)
{
    char *t = slurp(p->dir, "prog.map"), *at;
    uint64_t b = 0;
    assert_non_null(t);
    at = strstr(t, "Preferred load address is ");
    if (at) b = strtoull(at + 26, NULL, 16);
    free(t);
    assert_true(b != 0);
    return b;
}

/* Build the program, then a dump holding it at p->base, a JIT region and a thread. */
static int build(prog *p, const char *arch, uint64_t base, uint16_t md_arch, const char *dirname)
{
    char cmd[4200];
    uint8_t *file, *img;
    size_t flen;
    uint32_t soi;
    mdw *b;
    int rc;
    snprintf(p->dir, sizeof p->dir, "%s", tu_data_path(dirname));
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && sh '%s/tests/data/winprog/build.sh' '%s' %s > '%s.log' 2>&1", p->dir,
             HD_SOURCE_DIR, p->dir, arch, p->dir);
    rc = system(cmd);
    if (rc != 0) {
        char log[1200];
        char *t;
        snprintf(log, sizeof log, "%s.log", p->dir);
        t = tu_read_file(log, NULL);
        snprintf(why_skip, sizeof why_skip, "building the Windows test program failed: %s", t ? t : "?");
        free(t);
        return -1;
    }
    p->base = base;
    p->preferred = preferred_base(p);
    read_identity(p);
    snprintf(cmd, sizeof cmd, "%s/prog.exe", p->dir);
    file = tu_read_file(cmd, &flen);
    assert_non_null(file);
    img = mdw_map_pe(file, flen, &soi);
    assert_non_null(img);
    b = mdw_new(md_arch, 10, 0, 19041);
    mdw_memory(b, base, img, soi);
    mdw_module(b, base, soi, "C:\\test\\prog.exe", p->guid, p->age, "C:\\build\\out\\prog.pdb");
    mdw_region(b, base, base, soi, 0x1000, 0x20, 0x1000000);             /* MEM_COMMIT, image */
    if (md_arch == 9) {   /* JIT-looking code: private, PAGE_EXECUTE_READ, outside every module */
        mdw_memory(b, 0x7fe83e30000ull, NULL, 0x1000);
        mdw_region(b, 0x7fe83e30000ull, 0x7fe83e30000ull, 0x10000, 0x1000, 0x20, 0x20000);
    }
    mdw_thread(b, 0x1234, 0, 0x5000000, 0x1000);
    mdw_unloaded(b, 0x6000000, 0x20000, "C:\\old\\plugin.dll");   /* unloaded since: frames may point there */
    mdw_memory(b, 0x5000000, NULL, 0x1000);
    snprintf(p->dump, sizeof p->dump, "%s/prog.dmp", p->dir);
    assert_int_equal(mdw_write(b, p->dump), 0);
    mdw_free(b);
    free(img);
    free(file);
    return 0;
}

static int setup(void **state)
{
    (void)state;
    if (have_toolchain >= 0) return 0;
    have_toolchain = build(&P64, "x86_64", 0x7ff612340000ull, 9, "winprog64") == 0 &&
                     build(&P32, "i686", 0x01230000ull, 0, "winprog32") == 0;
    return 0;
}

#define NEED_TOOLCHAIN()                                                            \
    do {                                                                            \
        if (!have_toolchain) {                                                      \
            print_message("[  SKIP    ] %s\n", why_skip);                          \
            skip();                                                                 \
        }                                                                           \
    } while (0)

static void copy_file(const char *from, const char *to)
{
    size_t n;
    void *bytes = tu_read_file(from, &n);
    assert_non_null(bytes);
    assert_int_equal(tu_write_file(to, bytes, n), 0);
    free(bytes);
}

static void mkdirs(const char *path)
{
    char cmd[2200];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", path);
    assert_int_equal(system(cmd), 0);
}

static const hd_frame *sym(hd_dump *d, uint64_t a)
{
    const hd_frame *f = NULL;
    assert_int_equal(hd_symbolize(d, a, &f), HD_OK);
    assert_non_null(f);
    return f;
}

static void expect(hd_dump *d, uint64_t a, const char *text, hd_sym_source src)
{
    const hd_frame *f = sym(d, a);
    if (strcmp(f->text, text) != 0) fail_msg("0x%llx: got '%s', want '%s'", (unsigned long long)a, f->text, text);
    assert_int_equal(f->source, src);
}

/* ---- tests ---- */

static void test_exports_without_pdb(void **state)
{
    hd_dump *d = NULL;
    char want[256];
    uint64_t alloc, second, helper;
    const hd_frame *f;
    (void)state;
    NEED_TOOLCHAIN();
    alloc = export_rva(&P64, "hd_exported_alloc");
    second = export_rva(&P64, "hd_exported_second");
    helper = map_rva(&P64, "hd_static_helper");
    assert_true(helper < alloc);   /* the layout this test relies on: the static comes first */
    assert_int_equal(hd_open(P64.dump, NULL, &d), HD_OK);
    expect(d, P64.base + alloc + 5, "prog!hd_exported_alloc+0x5", HD_SYM_EXPORT);
    expect(d, P64.base + second, "prog!hd_exported_second", HD_SYM_EXPORT);
    snprintf(want, sizeof want, "prog+0x%llx", (unsigned long long)(helper + 3));
    expect(d, P64.base + helper + 3, want, HD_SYM_MODULE);
    expect(d, P64.base, "prog", HD_SYM_MODULE);
    f = sym(d, P64.base + alloc + 5);
    assert_string_equal(f->module_name, "prog");
    assert_string_equal(f->function, "hd_exported_alloc");
    assert_int_equal(f->offset, 5);
    assert_ptr_equal(sym(d, P64.base + alloc + 5), f);   /* cached */
    /* outside every module: JIT-looking private executable memory, a thread stack, nothing */
    f = sym(d, 0x7fe83e3bcf6ull);
    assert_string_equal(f->text, "0x7fe83e3bcf6");
    assert_int_equal(f->source, HD_SYM_NONE);
    assert_true(f->jit);
    assert_non_null(strstr(f->region, "executable"));
    f = sym(d, 0x5000010);
    assert_false(f->jit);
    assert_non_null(strstr(f->region, "stack of thread 0"));
    f = sym(d, 0x12345678);
    assert_false(f->jit);
    assert_string_equal(f->region, "not in any region");
    f = sym(d, 0x6001234);
    assert_string_equal(f->text, "0x6001234");
    assert_string_equal(f->region, "in unloaded module plugin.dll+0x1234");
    assert_false(hd_module_symbols(d, hd_module_at(d, 0))->pdb);
    assert_int_equal(hd_module_symbols(d, hd_module_at(d, 0))->exports, 2);
    hd_close(d);
}

/* Every function of the program, named from the PDB. */
static void check_pdb_names(hd_dump *d, const prog *p, int x86)
{
    char want[300], q[256];
    const char *grow = x86 ? "?grow@Widget@hdns@@QAE_K_K@Z" : "?grow@Widget@hdns@@QEAA_K_K@Z";
    const char *cppalloc = "?cpp_alloc@hdns@@YA_K_K@Z";
    const char *pfx = x86 ? "_" : "";
    char n[64];
    /* a procedure record of a static function (not exported, not public) */
    snprintf(n, sizeof n, "%shd_static_helper", pfx);
    expect(d, p->base + map_rva(p, n) + 3, "prog!hd_static_helper+0x3", HD_SYM_PDB);
    /* a global function that is not exported */
    snprintf(n, sizeof n, "%shd_global_hidden", pfx);
    expect(d, p->base + map_rva(p, n) + 2, "prog!hd_global_hidden+0x2", HD_SYM_PDB);
    /* an exported one: the PDB wins over the export table */
    snprintf(n, sizeof n, "%shd_exported_alloc", pfx);
    expect(d, p->base + map_rva(p, n) + 0x11, "prog!hd_exported_alloc+0x11", HD_SYM_PDB);
    /* public symbols only (nodebug.cpp has no debug info): C and decorated C++ names */
    snprintf(n, sizeof n, "%shd_nodebug_c", pfx);
    expect(d, p->base + map_rva(p, n) + 1, "prog!hd_nodebug_c+0x1", HD_SYM_PDB);
    undname(p, grow, q, sizeof q);
    snprintf(want, sizeof want, "prog!%s+0x4", q);
    expect(d, p->base + map_rva(p, grow) + 4, want, HD_SYM_PDB);
    undname(p, cppalloc, q, sizeof q);
    snprintf(want, sizeof want, "prog!%s", q);
    expect(d, p->base + map_rva(p, cppalloc), want, HD_SYM_PDB);
    assert_true(hd_module_symbols(d, hd_module_at(d, 0))->pdb);
    assert_true(hd_module_symbols(d, hd_module_at(d, 0))->pdb_symbols >= 9);
}

static void test_pdb_flat(void **state)
{
    hd_dump *d = NULL;
    char dir[1200], to[1300], from[1300];
    (void)state;
    NEED_TOOLCHAIN();
    snprintf(dir, sizeof dir, "%s/flat", P64.dir);
    mkdirs(dir);
    snprintf(from, sizeof from, "%s/prog.pdb", P64.dir);
    snprintf(to, sizeof to, "%s/prog.pdb", dir);
    copy_file(from, to);
    assert_int_equal(hd_open(P64.dump, NULL, &d), HD_OK);
    assert_int_equal(hd_sym_add_path(d, "/nonexistent/dir;"), HD_OK);
    assert_int_equal(hd_sym_add_path(d, dir), HD_OK);
    check_pdb_names(d, &P64, 0);
    assert_string_equal(hd_module_symbols(d, hd_module_at(d, 0))->pdb_path, to);
    hd_close(d);
}

static void test_pdb_symstore_and_nt_syntax(void **state)
{
    hd_dump *d = NULL;
    char store[1200], sub[1400], to[1500], from[1300], path[3000], id[48];
    (void)state;
    NEED_TOOLCHAIN();
    /* heapdig's symstore id agrees with the one derived from llvm-pdbutil */
    assert_string_equal(hd_symstore_id(P64.guid, P64.age, id), P64.id);
    snprintf(store, sizeof store, "%s/store", P64.dir);
    snprintf(sub, sizeof sub, "%s/prog.pdb/%s", store, P64.id);
    mkdirs(sub);
    snprintf(from, sizeof from, "%s/prog.pdb", P64.dir);
    snprintf(to, sizeof to, "%s/prog.pdb", sub);
    copy_file(from, to);
    /* a downstream store of a symbol server: the URL is ignored, the cache is searched */
    snprintf(path, sizeof path, "srv*%s*https://msdl.microsoft.com/download/symbols", store);
    assert_int_equal(hd_open(P64.dump, NULL, &d), HD_OK);
    assert_int_equal(hd_sym_add_path(d, path), HD_OK);
    check_pdb_names(d, &P64, 0);
    assert_string_equal(hd_module_symbols(d, hd_module_at(d, 0))->pdb_path, to);
    hd_close(d);
    /* "cache*DIR" and a plain element next to a URL-only server */
    snprintf(path, sizeof path, "srv*https://msdl.microsoft.com/download/symbols;cache*%s", store);
    assert_int_equal(hd_open(P64.dump, NULL, &d), HD_OK);
    assert_int_equal(hd_sym_add_path(d, path), HD_OK);
    check_pdb_names(d, &P64, 0);
    hd_close(d);
}

static void test_pdb_mismatch_falls_back(void **state)
{
    hd_dump *d = NULL;
    char dir[1200], to[1300], from[1300];
    const hd_module_syms *ms;
    (void)state;
    NEED_TOOLCHAIN();
    /* the x86 build's PDB under the x64 module's name: a different GUID */
    snprintf(dir, sizeof dir, "%s/wrong", P64.dir);
    mkdirs(dir);
    snprintf(from, sizeof from, "%s/prog.pdb", P32.dir);
    snprintf(to, sizeof to, "%s/prog.pdb", dir);
    copy_file(from, to);
    assert_int_equal(hd_open(P64.dump, NULL, &d), HD_OK);
    assert_int_equal(hd_sym_add_path(d, dir), HD_OK);
    expect(d, P64.base + export_rva(&P64, "hd_exported_alloc") + 5, "prog!hd_exported_alloc+0x5", HD_SYM_EXPORT);
    ms = hd_module_symbols(d, hd_module_at(d, 0));
    assert_false(ms->pdb);
    assert_non_null(strstr(ms->note, "does not match"));
    hd_close(d);
}

static void test_pdb_x86(void **state)
{
    hd_dump *d = NULL;
    char dir[1200], to[1300], from[1300];
    (void)state;
    NEED_TOOLCHAIN();
    snprintf(dir, sizeof dir, "%s/flat", P32.dir);
    mkdirs(dir);
    snprintf(from, sizeof from, "%s/prog.pdb", P32.dir);
    snprintf(to, sizeof to, "%s/prog.pdb", dir);
    copy_file(from, to);
    assert_int_equal(hd_open(P32.dump, NULL, &d), HD_OK);
    assert_int_equal(hd_sym_add_path(d, dir), HD_OK);
    check_pdb_names(d, &P32, 1);
    hd_close(d);
}

/* ---- OMAP: a PDB of an image rearranged after linking ----
** The test rewrites the lld PDB as BBT would have left it: the DBI optional debug header gains
** OmapFromSrc ([4]) and SectionHdrOrig ([10]) streams, claiming that the code was linked with .text
** at ORIG and that the optimiser then swapped the first two 0x40-byte chunks of .text.  Expected
** names follow from the map file's section offsets and that OMAP: a function at .text offset o
** < 0x40 now lives at .text + 0x40 + o, one at 0x40 <= o < 0x80 at .text + (o - 0x40). */
#define ORIG 0x30000u

static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static void put32le(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24); }

typedef struct strm { uint8_t *b; uint32_t n; } strm;

/* Read every stream of an MSF 7.0 file (test data: trusted, only asserted). */
static strm *msf_read(const uint8_t *f, size_t len, uint32_t *count)
{
    uint32_t bs = le32(f + 0x20), dirb = le32(f + 0x2C), map = le32(f + 0x34), nd = (dirb + bs - 1) / bs, i, k, ns;
    uint8_t *dir = malloc((size_t)nd * bs);
    const uint8_t *list;
    strm *s;
    assert_non_null(dir);
    for (i = 0; i < nd; i++) memcpy(dir + (size_t)i * bs, f + (size_t)le32(f + (size_t)map * bs + 4 * i) * bs, bs);
    ns = le32(dir);
    s = calloc(ns + 2, sizeof *s);
    list = dir + 4 + 4 * ns;
    for (k = 0; k < ns; k++) {
        uint32_t sz = le32(dir + 4 + 4 * k), nb = sz == 0xFFFFFFFFu ? 0 : (sz + bs - 1) / bs;
        s[k].n = sz == 0xFFFFFFFFu ? 0 : sz;
        s[k].b = malloc(s[k].n + 1);
        for (i = 0; i < nb; i++) {
            uint32_t blk = le32(list + 4 * i), take = s[k].n - i * bs < bs ? s[k].n - i * bs : bs;
            assert_true((size_t)(blk + 1) * bs <= len);
            memcpy(s[k].b + (size_t)i * bs, f + (size_t)blk * bs, take);
        }
        list += 4 * nb;
    }
    free(dir);
    *count = ns;
    return s;
}

/* Write streams as an MSF 7.0 file with 4096-byte blocks: superblock, two free-page-map blocks,
** the streams, the directory, its block map. */
static uint8_t *msf_write(const strm *s, uint32_t ns, size_t *len)
{
    const uint32_t bs = 4096;
    uint32_t blocks = 3, k, i, dirbytes = 4 + 8 * ns, dirblocks, next;
    uint8_t *f, *dir;
    for (k = 0; k < ns; k++) { blocks += (s[k].n + bs - 1) / bs; dirbytes += 4 * ((s[k].n + bs - 1) / bs); }
    dirblocks = (dirbytes + bs - 1) / bs;
    blocks += dirblocks + 1;
    f = calloc(blocks, bs);
    dir = calloc(dirblocks, bs);
    assert_non_null(f);
    assert_non_null(dir);
    memcpy(f, "Microsoft C/C++ MSF 7.00\r\n\x1a" "DS\0\0\0", 32);
    put32le(f + 0x20, bs);
    put32le(f + 0x24, 1);
    put32le(f + 0x28, blocks);
    put32le(f + 0x2C, dirbytes);
    put32le(f + 0x34, blocks - 1);
    put32le(dir, ns);
    next = 3;
    {
        uint8_t *lp = dir + 4 + 4 * ns;
        for (k = 0; k < ns; k++) {
            uint32_t nb = (s[k].n + bs - 1) / bs;
            put32le(dir + 4 + 4 * k, s[k].n);
            for (i = 0; i < nb; i++) {
                uint32_t take = s[k].n - i * bs < bs ? s[k].n - i * bs : bs;
                memcpy(f + (size_t)next * bs, s[k].b + (size_t)i * bs, take);
                put32le(lp, next++);
                lp += 4;
            }
        }
    }
    for (i = 0; i < dirblocks; i++) {
        memcpy(f + (size_t)(next + i) * bs, dir + (size_t)i * bs, bs);
        put32le(f + (size_t)(blocks - 1) * bs + 4 * i, next + i);
    }
    free(dir);
    *len = (size_t)blocks * bs;
    return f;
}

/* .text offset of NAME from the map's "0001:000000xx" column. */
static uint32_t map_text_off(const prog *p, const char *name)
{
    char *map = slurp(p->dir, "prog.map"), *line;
    uint32_t off = 0xFFFFFFFFu;
    for (line = strtok(map, "\n"); line; line = strtok(NULL, "\n")) {
        unsigned seg, o;
        char sym[512];
        if (sscanf(line, " %x:%x %511s", &seg, &o, sym) == 3 && seg == 1 && !strcmp(sym, name)) { off = o; break; }
    }
    free(map);
    assert_true(off != 0xFFFFFFFFu);
    return off;
}

static void test_pdb_omap(void **state)
{
    char from[1300], dir[1200], to[1300], want[200];
    uint8_t *f, *out, omap[4 * 8];
    size_t flen, olen;
    uint32_t ns, k, dbg_at, T;
    strm *s;
    hd_dump *d = NULL;
    const char *names[] = {"hd_global_hidden", "hd_static_helper", "hd_exported_alloc", "hd_exported_second"};
    (void)state;
    NEED_TOOLCHAIN();
    snprintf(from, sizeof from, "%s/prog.pdb", P64.dir);
    f = tu_read_file(from, &flen);
    assert_non_null(f);
    s = msf_read(f, flen, &ns);
    s = realloc(s, (ns + 2) * sizeof *s);
    /* DBI: optional debug header is the last substream; make it 11 entries */
    {
        strm *dbi = &s[3];
        uint32_t sub6 = le32(dbi->b + 0x30), start = dbi->n - sub6;
        assert_true(sub6 >= 12);
        if (sub6 < 22) {
            dbi->b = realloc(dbi->b, dbi->n + (22 - sub6));
            memset(dbi->b + dbi->n, 0xFF, 22 - sub6);
            dbi->n += 22 - sub6;
            put32le(dbi->b + 0x30, 22);
        }
        dbg_at = start;
        T = 0;
        /* the image's .text rva, from the section header stream [5] */
        {
            uint16_t sh = (uint16_t)(dbi->b[dbg_at + 10] | dbi->b[dbg_at + 11] << 8);
            T = le32(s[sh].b + 0xC);
            /* SectionHdrOrig: the same headers with .text at ORIG */
            s[ns + 1].n = s[sh].n;
            s[ns + 1].b = malloc(s[sh].n);
            memcpy(s[ns + 1].b, s[sh].b, s[sh].n);
            put32le(s[ns + 1].b + 0xC, ORIG);
        }
        dbi->b[dbg_at + 8] = (uint8_t)ns;            /* [4] OmapFromSrc */
        dbi->b[dbg_at + 9] = (uint8_t)(ns >> 8);
        dbi->b[dbg_at + 20] = (uint8_t)(ns + 1);     /* [10] SectionHdrOrig */
        dbi->b[dbg_at + 21] = (uint8_t)((ns + 1) >> 8);
    }
    /* OmapFromSrc: chunks [0,0x40) and [0x40,0x80) swapped, the rest in place, then the end */
    put32le(omap + 0, ORIG);          put32le(omap + 4, T + 0x40);
    put32le(omap + 8, ORIG + 0x40);   put32le(omap + 12, T);
    put32le(omap + 16, ORIG + 0x80);  put32le(omap + 20, T + 0x80);
    put32le(omap + 24, ORIG + 0x1000); put32le(omap + 28, 0);
    s[ns].n = sizeof omap;
    s[ns].b = malloc(sizeof omap);
    memcpy(s[ns].b, omap, sizeof omap);
    out = msf_write(s, ns + 2, &olen);
    snprintf(dir, sizeof dir, "%s/omap", P64.dir);
    mkdirs(dir);
    snprintf(to, sizeof to, "%s/prog.pdb", dir);
    assert_int_equal(tu_write_file(to, out, olen), 0);
    assert_int_equal(hd_open(P64.dump, NULL, &d), HD_OK);
    assert_int_equal(hd_sym_add_path(d, dir), HD_OK);
    for (k = 0; k < sizeof names / sizeof names[0]; k++) {
        uint32_t o = map_text_off(&P64, names[k]), now;
        assert_true(o < 0x80);
        now = o < 0x40 ? 0x40 + o : o - 0x40;
        snprintf(want, sizeof want, "prog!%s+0x3", names[k]);
        expect(d, P64.base + T + now + 3, want, HD_SYM_PDB);
    }
    hd_close(d);
    for (k = 0; k < ns + 2; k++) free(s[k].b);
    free(s);
    free(out);
    free(f);
}

/* The CLI: --symbols, and _NT_SYMBOL_PATH's local cache (its URL is never used). */
static void test_cli_symbol_path(void **state)
{
    char store[1200], sub[1400], to[1500], from[1300], env[3000], addr[32];
    tu_run r;
    (void)state;
    NEED_TOOLCHAIN();
    snprintf(store, sizeof store, "%s/envstore", P64.dir);
    snprintf(sub, sizeof sub, "%s/prog.pdb/%s", store, P64.id);
    mkdirs(sub);
    snprintf(from, sizeof from, "%s/prog.pdb", P64.dir);
    snprintf(to, sizeof to, "%s/prog.pdb", sub);
    copy_file(from, to);
    snprintf(addr, sizeof addr, "%llx", (unsigned long long)(P64.base + map_rva(&P64, "hd_static_helper") + 3));
    /* without symbols: module+rva */
    unsetenv("_NT_SYMBOL_PATH");
    assert_int_equal(tu_heapdig(&r, "find", "--json", P64.dump, addr, NULL), 0);
    assert_non_null(strstr(r.out, "\"symbol\": \"prog+0x"));
    tu_free_run(&r);
    /* _NT_SYMBOL_PATH with a symbol server: the local cache is searched, the URL ignored */
    snprintf(env, sizeof env, "srv*%s*https://msdl.microsoft.com/download/symbols", store);
    setenv("_NT_SYMBOL_PATH", env, 1);
    assert_int_equal(tu_heapdig(&r, "find", "--json", P64.dump, addr, NULL), 0);
    assert_non_null(strstr(r.out, "\"symbol\": \"prog!hd_static_helper+0x3\""));
    tu_free_run(&r);
    unsetenv("_NT_SYMBOL_PATH");
    /* --symbols with a list; the first directory does not exist */
    snprintf(env, sizeof env, "/nonexistent;%s", store);
    assert_int_equal(tu_heapdig(&r, "find", "--symbols", env, P64.dump, addr, NULL), 0);
    assert_non_null(strstr(r.out, "prog!hd_static_helper+0x3"));
    tu_free_run(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exports_without_pdb),
        cmocka_unit_test(test_pdb_flat),
        cmocka_unit_test(test_pdb_symstore_and_nt_syntax),
        cmocka_unit_test(test_pdb_mismatch_falls_back),
        cmocka_unit_test(test_pdb_x86),
        cmocka_unit_test(test_cli_symbol_path),
        cmocka_unit_test(test_pdb_omap),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
