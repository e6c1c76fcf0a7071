/*
** sym.c - naming code addresses: the resolver chain (matching local PDB, then the exports of the
** image captured in the dump, then module+rva, then a description of the memory), the symbol
** path (_NT_SYMBOL_PATH syntax, local directories only) and a per-address cache so that a
** stack seen on a million blocks is named once.
**
** State (struct hd_symtab, hung off hd_dump.sym):
**   dirs      search directories, in the order given
**   mods[i]   per loaded module: searched yet?, the PDB loaded (or why not), its stem name
**   cache     open-addressing hash table address -> hd_frame (frames live in the dump's arena)
*/
#include <stdio.h>    /* snprintf */
#include <stdlib.h>   /* calloc, free */
#include <string.h>   /* strlen, strchr, memcpy */
#include <sys/stat.h> /* stat */
#include "../core.h"
#include "../dump/dump_int.h"
#include "../proc/pe.h"
#include "pdb.h"

typedef struct modsym {
    int searched;
    hd_module_syms info;
    pdb *pdb;
    const char *stem;
} modsym;

struct hd_symtab {
    char **dirs;
    size_t ndirs;
    modsym *mods;
    size_t nmods;
    /* cache */
    uint64_t *keys;
    const hd_frame **vals;
    size_t cap, used;
};

/* ---- lifetime ------------------------------------------------------------------------------ */

static void symtab_free(hd_dump *d)
{
    struct hd_symtab *s = d->sym;
    size_t i;
    if (!s) return;
    for (i = 0; i < s->ndirs; i++) free(s->dirs[i]);
    free(s->dirs);
    for (i = 0; i < s->nmods; i++) pdb_free(s->mods[i].pdb);
    free(s->mods);
    free(s->keys);
    free(s->vals);
    free(s);
    d->sym = NULL;
}

static struct hd_symtab *symtab(hd_dump *d)
{
    struct hd_symtab *s;
    if (d->sym) return d->sym;
    s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->nmods = d->modules.len;
    s->mods = calloc(s->nmods + 1, sizeof *s->mods);
    d->sym = s;
    if (!s->mods || core_on_close(d, symtab_free) != HD_OK) {
        symtab_free(d);
        return NULL;
    }
    return s;
}

/* ---- the symbol path ------------------------------------------------------------------------ */

static int is_url(const char *s, size_t n)
{
    return (n >= 7 && !strncmp(s, "http://", 7)) || (n >= 8 && !strncmp(s, "https://", 8));
}

static hd_err add_dir(struct hd_symtab *s, const char *p, size_t n)
{
    char **nd, *c;
    while (n && (*p == ' ' || *p == '\t')) { p++; n--; }
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r' || p[n - 1] == '\n')) n--;
    if (n == 0 || is_url(p, n)) return HD_OK;
    if (!(c = malloc(n + 1))) return HD_ENOMEM;
    memcpy(c, p, n);
    c[n] = 0;
    if (!(nd = realloc(s->dirs, (s->ndirs + 1) * sizeof *nd))) { free(c); return HD_ENOMEM; }
    s->dirs = nd;
    s->dirs[s->ndirs++] = c;
    return HD_OK;
}

static int prefix_ci(const char *s, size_t n, const char *pfx)
{
    size_t k = strlen(pfx), i;
    if (n < k) return 0;
    for (i = 0; i < k; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != pfx[i]) return 0;
    }
    return 1;
}

hd_err hd_sym_add_path(hd_dump *d, const char *path)
{
    struct hd_symtab *s;
    const char *p = path;
    if (!d) return HD_EINVAL;
    if (!path) return HD_OK;
    if (!(s = symtab(d))) return HD_ENOMEM;
    while (*p) {
        const char *end = strchr(p, ';');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        hd_err e = HD_OK;
        if (prefix_ci(p, n, "srv*") || prefix_ci(p, n, "symsrv*") || prefix_ci(p, n, "cache*")) {
            /* star-separated parts: the local ones are downstream stores / caches */
            const char *q = strchr(p, '*') + 1, *stop = p + n;
            int skip_dll = prefix_ci(p, n, "symsrv*");
            while (q <= stop) {
                const char *star = memchr(q, '*', (size_t)(stop - q));
                size_t m = star ? (size_t)(star - q) : (size_t)(stop - q);
                if (skip_dll) skip_dll = 0;
                else if ((e = add_dir(s, q, m)) != HD_OK) return e;
                if (!star) break;
                q = star + 1;
            }
        } else if ((e = add_dir(s, p, n)) != HD_OK) {
            return e;
        }
        if (!end) break;
        p = end + 1;
    }
    return HD_OK;
}

const char *hd_symstore_id(const uint8_t g[16], uint32_t age, char buf[48])
{
    snprintf(buf, 48, "%08X%04X%04X%02X%02X%02X%02X%02X%02X%02X%02X%X",
             (unsigned)(g[0] | g[1] << 8 | g[2] << 16 | (uint32_t)g[3] << 24), (unsigned)(g[4] | g[5] << 8),
             (unsigned)(g[6] | g[7] << 8), g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15], (unsigned)age);
    return buf;
}

/* ---- module names ---------------------------------------------------------------------------- */

static const char *module_stem(hd_dump *d, const hd_module *m)
{
    const char *name = m->name ? m->name : "", *dot = strrchr(name, '.');
    size_t n = dot && dot != name ? (size_t)(dot - name) : strlen(name);
    const char *s;
    if (n == 0) return arena_printf(&d->ar, "module_%llx", (unsigned long long)m->base);
    s = arena_strndup(&d->ar, name, n);
    return s ? s : "?";
}

static modsym *modsym_of(hd_dump *d, struct hd_symtab *s, const hd_module *m)
{
    const hd_module *lo = d->modules.data;
    modsym *ms;
    if (!lo || m < lo || m >= lo + s->nmods) return NULL;
    ms = &s->mods[m - lo];
    if (!ms->stem) ms->stem = module_stem(d, m);
    return ms;
}

/* ---- finding and loading a PDB -------------------------------------------------------------- */

static int file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Try one candidate file; 1 when it matched and was loaded. */
static int try_pdb(hd_dump *d, modsym *ms, const hd_module *m, const hd_pe *pe, const char *path,
                   const uint8_t guid[16], uint32_t age)
{
    const uint8_t *base;
    uint64_t size;
    void *cookie;
    pdb *p = NULL;
    char why[160];
    uint32_t rva[96], vsz[96], flg[96];
    size_t i, ns = pe ? HD_MIN(pe->section_count, (size_t)96) : 0;
    hd_err e;
    if (!file_exists(path)) return 0;
    if (file_map(path, &base, &size, &cookie) != HD_OK) {
        ms->info.note = arena_printf(&d->ar, "%s exists but cannot be read", path);
        return 0;
    }
    for (i = 0; i < ns; i++) {
        rva[i] = pe->sections[i].rva;
        vsz[i] = pe->sections[i].vsize;
        flg[i] = pe->sections[i].characteristics;
    }
    e = size > SIZE_MAX ? HD_ELIMIT : pdb_parse(base, (size_t)size, rva, vsz, flg, ns, &p, why, sizeof why);
    file_unmap(base, size, cookie);
    if (e != HD_OK) {
        HD_DIAG(d, HD_SEV_WARN, e, "pdb", m->base, "%s: %s", path, why[0] ? why : hd_strerror(e));
        ms->info.note = arena_printf(&d->ar, "%s is not a usable PDB (%s)", path, why[0] ? why : hd_strerror(e));
        return 0;
    }
    if (memcmp(p->guid, guid, 16) != 0 || (p->age != age && p->dbi_age != age)) {
        char want[48], got[48];
        ms->info.note = arena_printf(&d->ar, "%s does not match the module (PDB %s, module wants %s)", path,
                                     hd_symstore_id(p->guid, p->age, got), hd_symstore_id(guid, age, want));
        pdb_free(p);
        return 0;
    }
    ms->pdb = p;
    ms->info.pdb = 1;
    ms->info.pdb_path = arena_strndup(&d->ar, path, strlen(path));
    if (!ms->info.pdb_path) ms->info.pdb_path = "";
    ms->info.pdb_symbols = p->nsyms;
    ms->info.note = "";
    return 1;
}

static void search_module(hd_dump *d, struct hd_symtab *s, modsym *ms, const hd_module *m)
{
    const hd_pe *pe = hd_module_pe(d, m);
    const uint8_t *guid;
    uint32_t age;
    const char *pdbname, *p;
    char id[48], path[4096], lower[512];
    size_t i, k;
    ms->searched = 1;
    ms->info.pdb_path = "";
    ms->info.note = "";
    ms->info.exports = pe ? pe->export_count : 0;
    if (m->has_pdb) { guid = m->pdb_guid; age = m->pdb_age; pdbname = m->pdb_name; }
    else if (pe && pe->has_codeview) { guid = pe->cv_guid; age = pe->cv_age; pdbname = pe->cv_pdb_name; }
    else { ms->info.note = "no CodeView record (PDB identity unknown)"; return; }
    if (s->ndirs == 0) { ms->info.note = "no symbol path given"; return; }
    /* the file name part of the recorded path ("C:\build\x64\halcon.pdb" -> "halcon.pdb") */
    for (p = pdbname; *p; p++)
        if (*p == '\\' || *p == '/') pdbname = p + 1;
    if (!*pdbname || strlen(pdbname) >= sizeof lower) { ms->info.note = "CodeView record has no PDB name"; return; }
    for (k = 0; pdbname[k]; k++) lower[k] = (char)(pdbname[k] >= 'A' && pdbname[k] <= 'Z' ? pdbname[k] + 32 : pdbname[k]);
    lower[k] = 0;
    hd_symstore_id(guid, age, id);
    ms->info.note = arena_printf(&d->ar, "%s (%s) not found in the symbol path", pdbname, id);
    for (i = 0; i < s->ndirs; i++) {
        const char *names[2] = {pdbname, lower};
        int v;
        for (v = 0; v < 2; v++) {
            const char *n = names[v];
            if (v == 1 && !strcmp(lower, pdbname)) break;
            snprintf(path, sizeof path, "%s/%s/%s/%s", s->dirs[i], n, id, n);
            if (try_pdb(d, ms, m, pe, path, guid, age)) return;
            snprintf(path, sizeof path, "%s/%.2s/%s/%s/%s", s->dirs[i], n, n, id, n);
            if (try_pdb(d, ms, m, pe, path, guid, age)) return;
            snprintf(path, sizeof path, "%s/%s", s->dirs[i], n);
            if (try_pdb(d, ms, m, pe, path, guid, age)) return;
        }
    }
}

const hd_module_syms *hd_module_symbols(hd_dump *d, const hd_module *m)
{
    struct hd_symtab *s;
    modsym *ms;
    if (!d || !m || !(s = symtab(d)) || !(ms = modsym_of(d, s, m))) return NULL;
    if (!ms->searched) search_module(d, s, ms, m);
    return &ms->info;
}

/* ---- describing memory outside modules ---------------------------------------------------- */

static int executable(uint32_t protect)
{
    return (protect & 0xF0u) != 0;   /* PAGE_EXECUTE, _READ, _READWRITE, _WRITECOPY */
}

static const char *describe(hd_dump *d, uint64_t a, int *jit)
{
    const hd_region *r;
    size_t i;
    *jit = 0;
    for (i = 0; i < d->threads.len; i++) {
        const hd_thread *t = VEC_AT(&d->threads, hd_thread, i);
        if ((t->stack_limit < t->stack_base && a >= t->stack_limit && a < t->stack_base) ||
            (t->stack_limit32 < t->stack_base32 && a >= t->stack_limit32 && a < t->stack_base32) ||
            (t->stack_size && a >= t->stack_start && a - t->stack_start < t->stack_size))
            return arena_printf(&d->ar, "stack of thread %zu (id 0x%x)", i, t->id);
    }
    /* a DLL unloaded after the allocation: its code was there when the stack was recorded */
    for (i = 0; i < d->unloaded.len; i++) {
        const hd_module *m = VEC_AT(&d->unloaded, hd_module, i);
        if (a >= m->base && a - m->base < m->size)
            return arena_printf(&d->ar, "in unloaded module %s+0x%llx", m->name, (unsigned long long)(a - m->base));
    }
    r = hd_region_find(d, a);
    if (!r) return d->has_meminfo ? "not in any region" : "unknown memory (the dump has no MemoryInfoList)";
    if (!d->has_meminfo) return "captured memory of unknown kind (the dump has no MemoryInfoList)";
    if (r->state == HD_MEM_FREE) return "free memory";
    if (r->state == HD_MEM_RESERVE) return "reserved (uncommitted) memory";
    if (r->type == HD_MEM_IMAGE) return "image memory of a module not in the module list";
    if (r->type == HD_MEM_MAPPED) return executable(r->protect) ? "mapped executable memory" : "mapped memory";
    if (r->type == HD_MEM_PRIVATE && executable(r->protect)) {
        *jit = 1;
        return "JIT code? private executable memory in no module (.NET: !ip2md names it)";
    }
    return "private memory";
}

/* ---- naming ---------------------------------------------------------------------------------- */

static hd_frame *make_frame(hd_dump *d, struct hd_symtab *s, uint64_t a)
{
    hd_frame *f = arena_alloc(&d->ar, sizeof *f);
    const hd_module *m;
    if (!f) return NULL;
    f->address = a;
    f->region = "";
    m = hd_module_find(d, a);
    if (!m) {
        f->source = HD_SYM_NONE;
        f->module_name = "";
        f->text = arena_printf(&d->ar, "0x%llx", (unsigned long long)a);
        f->region = describe(d, a, &f->jit);
    } else {
        modsym *ms = modsym_of(d, s, m);
        uint32_t rva = (uint32_t)(a - m->base);
        const char *fn = NULL;
        uint64_t fn_rva = 0;
        f->module = m;
        f->module_name = ms ? ms->stem : module_stem(d, m);
        if (ms && !ms->searched) search_module(d, s, ms, m);
        if (ms && ms->pdb) {
            const pdb_sym *ps = pdb_lookup(ms->pdb, rva);
            if (ps) { fn = ps->name; fn_rva = ps->rva; f->source = HD_SYM_PDB; }
        }
        if (!fn) {
            const hd_pe *pe = hd_module_pe(d, m);
            const hd_pe_export *e = hd_pe_export_find(pe, rva);
            if (e) {
                fn = e->name ? e->name : arena_printf(&d->ar, "Ordinal%u", e->ordinal);
                fn_rva = e->rva;
                f->source = HD_SYM_EXPORT;
            }
        }
        if (fn) {
            f->function = fn;
            f->offset = rva - fn_rva;
            f->text = f->offset ? arena_printf(&d->ar, "%s!%s+0x%llx", f->module_name, fn, (unsigned long long)f->offset)
                                : arena_printf(&d->ar, "%s!%s", f->module_name, fn);
        } else {
            f->source = HD_SYM_MODULE;
            f->offset = rva;
            f->text = rva ? arena_printf(&d->ar, "%s+0x%x", f->module_name, rva) : arena_printf(&d->ar, "%s", f->module_name);
        }
    }
    if (!f->text || !f->module_name || !f->region) return NULL;
    return f;
}

static size_t hash64(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return (size_t)k;
}

static hd_err cache_grow(struct hd_symtab *s)
{
    size_t ncap = s->cap ? s->cap * 2 : 1024, i;
    uint64_t *nk = calloc(ncap, sizeof *nk);
    const hd_frame **nv = calloc(ncap, sizeof *nv);
    if (!nk || !nv) { free(nk); free(nv); return HD_ENOMEM; }
    for (i = 0; i < s->cap; i++) {
        size_t j;
        if (!s->vals[i]) continue;
        for (j = hash64(s->keys[i]) & (ncap - 1); nv[j]; j = (j + 1) & (ncap - 1)) {}
        nk[j] = s->keys[i];
        nv[j] = s->vals[i];
    }
    free(s->keys);
    free(s->vals);
    s->keys = nk;
    s->vals = nv;
    s->cap = ncap;
    return HD_OK;
}

hd_err hd_symbolize(hd_dump *d, uint64_t addr, const hd_frame **out)
{
    struct hd_symtab *s;
    size_t j;
    hd_frame *f;
    *out = NULL;
    if (!d) return HD_EINVAL;
    if (!(s = symtab(d))) return HD_ENOMEM;
    if (s->used * 2 >= s->cap && cache_grow(s) != HD_OK) return HD_ENOMEM;
    for (j = hash64(addr) & (s->cap - 1); s->vals[j]; j = (j + 1) & (s->cap - 1))
        if (s->keys[j] == addr) { *out = s->vals[j]; return HD_OK; }
    if (!(f = make_frame(d, s, addr))) return HD_ENOMEM;
    s->keys[j] = addr;
    s->vals[j] = f;
    s->used++;
    *out = f;
    return HD_OK;
}
