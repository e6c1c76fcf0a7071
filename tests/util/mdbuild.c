/*
** mdbuild.c - see mdbuild.h: a collector of modules, memory, regions and threads that writes
** its dump through the low-level test builder (mdb.c), the one place where tests lay out
** minidump containers.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mdb.h"
#include "mdbuild.h"

typedef struct mem { uint64_t va; uint8_t *bytes; size_t len; } mem;
typedef struct mod { uint64_t base; uint32_t size; char *path; int has_cv; uint8_t guid[16]; uint32_t age; char *pdb; } mod;
typedef struct reg { uint64_t base, alloc_base, size; uint32_t state, protect, type; } reg;
typedef struct thr { uint32_t id; uint64_t teb, stack_start; uint32_t stack_size; } thr;

struct mdw {
    uint16_t arch;
    uint32_t major, minor, build;
    mem *mems; size_t nmem;
    mod *mods; size_t nmod;
    mod *unl; size_t nunl;
    reg *regs; size_t nreg;
    thr *thrs; size_t nthr;
};

#define GROW(arr, n) do { (arr) = realloc((arr), ((n) + 1) * sizeof *(arr)); if (!(arr)) abort(); } while (0)

mdw *mdw_new(uint16_t arch, uint32_t major, uint32_t minor, uint32_t build)
{
    mdw *b = calloc(1, sizeof *b);
    if (!b) abort();
    b->arch = arch; b->major = major; b->minor = minor; b->build = build;
    return b;
}

void mdw_free(mdw *b)
{
    size_t i;
    if (!b) return;
    for (i = 0; i < b->nmem; i++) free(b->mems[i].bytes);
    for (i = 0; i < b->nmod; i++) { free(b->mods[i].path); free(b->mods[i].pdb); }
    for (i = 0; i < b->nunl; i++) free(b->unl[i].path);
    free(b->mems); free(b->mods); free(b->unl); free(b->regs); free(b->thrs);
    free(b);
}

void mdw_memory(mdw *b, uint64_t va, const void *bytes, size_t len)
{
    mem *m;
    GROW(b->mems, b->nmem);
    m = &b->mems[b->nmem++];
    m->va = va;
    m->len = len;
    m->bytes = malloc(len ? len : 1);
    if (!m->bytes) abort();
    if (bytes) memcpy(m->bytes, bytes, len); else memset(m->bytes, 0, len);
}

static char *dupstr(const char *s) { char *p = malloc(strlen(s) + 1); if (!p) abort(); strcpy(p, s); return p; }

void mdw_module(mdw *b, uint64_t base, uint32_t size, const char *path, const uint8_t guid[16], uint32_t age,
                const char *pdb_name)
{
    mod *m;
    GROW(b->mods, b->nmod);
    m = &b->mods[b->nmod++];
    memset(m, 0, sizeof *m);
    m->base = base; m->size = size; m->path = dupstr(path);
    if (guid) { m->has_cv = 1; memcpy(m->guid, guid, 16); m->age = age; m->pdb = dupstr(pdb_name ? pdb_name : ""); }
}

void mdw_unloaded(mdw *b, uint64_t base, uint32_t size, const char *path)
{
    mod *m;
    GROW(b->unl, b->nunl);
    m = &b->unl[b->nunl++];
    memset(m, 0, sizeof *m);
    m->base = base; m->size = size; m->path = dupstr(path);
}

void mdw_region(mdw *b, uint64_t base, uint64_t alloc_base, uint64_t size, uint32_t state, uint32_t protect, uint32_t type)
{
    reg *r;
    GROW(b->regs, b->nreg);
    r = &b->regs[b->nreg++];
    r->base = base; r->alloc_base = alloc_base; r->size = size; r->state = state; r->protect = protect; r->type = type;
}

void mdw_thread(mdw *b, uint32_t id, uint64_t teb, uint64_t stack_start, uint32_t stack_size)
{
    thr *t;
    GROW(b->thrs, b->nthr);
    t = &b->thrs[b->nthr++];
    t->id = id; t->teb = teb; t->stack_start = stack_start; t->stack_size = stack_size;
}

/* The collected parts become streams through the low-level builder (mdb.c): SystemInfo,
** ModuleList (names and CodeView records first), Memory64List, MemoryInfoList, ThreadList and
** UnloadedModuleList.  MINIDUMP_MODULE is 108 bytes (BaseOfImage +0, SizeOfImage +8,
** ModuleNameRva +0x14, VS_FIXEDFILEINFO +0x18 left absent, CvRecord {size +0x4C, rva +0x50});
** MINIDUMP_THREAD 48 (ThreadId +0, Teb +0x10, Stack {start +0x18, size +0x20}); the unloaded list
** {SizeOfHeader 12, SizeOfEntry 24, NumberOfEntries} then {BaseOfImage, SizeOfImage, CheckSum,
** TimeDateStamp, ModuleNameRva}. */
uint8_t *mdw_finish(mdw *b, size_t *len)
{
    mdb o;
    uint8_t *list, *out;
    size_t i;
    mdb_init(&o);
    mdb_sysinfo(&o, b->arch, b->major, b->minor, b->build);

    list = calloc(1, 4 + 108 * b->nmod);
    if (!list) abort();
    put32(list, (uint32_t)b->nmod);
    for (i = 0; i < b->nmod; i++) {
        uint8_t *e = list + 4 + 108 * i;
        put64(e, b->mods[i].base);
        put32(e + 8, b->mods[i].size);
        put32(e + 0x14, mdb_string(&o, b->mods[i].path));
        if (b->mods[i].has_cv) {
            size_t n = 24 + strlen(b->mods[i].pdb) + 1;
            uint8_t *cv = calloc(1, n);
            if (!cv) abort();
            put32(cv, 0x53445352u);   /* "RSDS" */
            memcpy(cv + 4, b->mods[i].guid, 16);
            put32(cv + 20, b->mods[i].age);
            memcpy(cv + 24, b->mods[i].pdb, n - 24);
            put32(e + 0x4C, (uint32_t)n);
            put32(e + 0x50, mdb_append(&o, cv, n));
            free(cv);
        }
    }
    mdb_stream(&o, 4, list, 4 + 108 * b->nmod);
    free(list);

    for (i = 0; i < b->nmem; i++) mdb_mem(&o, b->mems[i].va, b->mems[i].bytes, b->mems[i].len);
    {
        mdb_region *r = calloc(b->nreg + 1, sizeof *r);
        if (!r) abort();
        for (i = 0; i < b->nreg; i++) {
            r[i].base = b->regs[i].base;
            r[i].alloc_base = b->regs[i].alloc_base;
            r[i].size = b->regs[i].size;
            r[i].state = b->regs[i].state;
            r[i].protect = b->regs[i].protect;
            r[i].type = b->regs[i].type;
        }
        mdb_meminfo(&o, r, b->nreg);
        free(r);
    }

    list = calloc(1, 4 + 48 * b->nthr);
    if (!list) abort();
    put32(list, (uint32_t)b->nthr);
    for (i = 0; i < b->nthr; i++) {
        uint8_t *e = list + 4 + 48 * i;
        put32(e, b->thrs[i].id);
        put64(e + 0x10, b->thrs[i].teb);
        put64(e + 0x18, b->thrs[i].stack_start);
        put32(e + 0x20, b->thrs[i].stack_size);
    }
    mdb_stream(&o, 3, list, 4 + 48 * b->nthr);
    free(list);

    list = calloc(1, 12 + 24 * b->nunl);
    if (!list) abort();
    put32(list, 12);
    put32(list + 4, 24);
    put32(list + 8, (uint32_t)b->nunl);
    for (i = 0; i < b->nunl; i++) {
        uint8_t *e = list + 12 + 24 * i;
        put64(e, b->unl[i].base);
        put32(e + 8, b->unl[i].size);
        put32(e + 0x14, mdb_string(&o, b->unl[i].path));
    }
    mdb_stream(&o, 14, list, 12 + 24 * b->nunl);
    free(list);

    mdb_finish(&o, 0x2 /* MiniDumpWithFullMemory */ | 0x800 /* FullMemoryInfo */);
    out = o.buf;
    *len = o.len;
    o.buf = NULL;
    mdb_free(&o);
    return out;
}

int mdw_write(mdw *b, const char *path)
{
    size_t n;
    uint8_t *p = mdw_finish(b, &n);
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(p, 1, n, f) == n;
    if (f && fclose(f) != 0) ok = 0;
    free(p);
    return ok ? 0 : -1;
}

static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

uint8_t *mdw_map_pe(const uint8_t *file, size_t len, uint32_t *size_of_image)
{
    uint32_t lfanew, nsec, optsz, soi, soh, i;
    uint8_t *img;
    if (len < 0x40 || file[0] != 'M' || file[1] != 'Z') return NULL;
    lfanew = le32(file + 0x3C);
    if (lfanew + 24 > len || le32(file + lfanew) != 0x4550) return NULL;
    nsec = le16(file + lfanew + 6);
    optsz = le16(file + lfanew + 0x14);
    if (lfanew + 24 + optsz + 40 * nsec > len) return NULL;
    soi = le32(file + lfanew + 24 + 0x38);
    soh = le32(file + lfanew + 24 + 0x3C);
    if (soi == 0 || soi > (1u << 28) || soh > len || soh > soi) return NULL;
    img = calloc(1, soi);
    if (!img) return NULL;
    memcpy(img, file, soh);
    for (i = 0; i < nsec; i++) {
        const uint8_t *s = file + lfanew + 24 + optsz + 40 * i;
        uint32_t va = le32(s + 0xC), raw = le32(s + 0x10), ptr = le32(s + 0x14), vs = le32(s + 8);
        uint32_t n = raw < vs || vs == 0 ? raw : vs;
        if (ptr > len || n > len - ptr || va > soi || n > soi - va) { free(img); return NULL; }
        memcpy(img + va, file + ptr, n);
    }
    *size_of_image = soi;
    return img;
}
