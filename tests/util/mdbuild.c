/*
** mdbuild.c - see mdbuild.h.  Structures written (sizes in bytes): MINIDUMP_HEADER 32,
** MINIDUMP_DIRECTORY 12, MINIDUMP_SYSTEM_INFO 56, MINIDUMP_MODULE 108, MINIDUMP_MEMORY_DESCRIPTOR
** 16, MINIDUMP_MEMORY_INFO 48 (after a 16-byte list header), MINIDUMP_THREAD 48.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mdbuild.h"

typedef struct buf { uint8_t *p; size_t len, cap; } buf;

static void put(buf *b, const void *src, size_t n)
{
    if (b->len + n > b->cap) {
        size_t c = b->cap ? b->cap : 4096;
        while (c < b->len + n) c *= 2;
        b->p = realloc(b->p, c);
        if (!b->p) abort();
        b->cap = c;
    }
    if (src) memcpy(b->p + b->len, src, n); else memset(b->p + b->len, 0, n);
    b->len += n;
}
static void put16(buf *b, uint16_t v) { uint8_t t[2] = {(uint8_t)v, (uint8_t)(v >> 8)}; put(b, t, 2); }
static void put32(buf *b, uint32_t v) { put16(b, (uint16_t)v); put16(b, (uint16_t)(v >> 16)); }
static void put64(buf *b, uint64_t v) { put32(b, (uint32_t)v); put32(b, (uint32_t)(v >> 32)); }
static void set32(buf *b, size_t at, uint32_t v)
{
    b->p[at] = (uint8_t)v; b->p[at + 1] = (uint8_t)(v >> 8);
    b->p[at + 2] = (uint8_t)(v >> 16); b->p[at + 3] = (uint8_t)(v >> 24);
}
static void align4(buf *b) { while (b->len & 3) put(b, NULL, 1); }

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

/* A MINIDUMP_STRING (UTF-16LE, ASCII input); returns its RVA. */
static uint32_t put_string(buf *o, const char *s)
{
    uint32_t rva;
    size_t i, n = strlen(s);
    align4(o);
    rva = (uint32_t)o->len;
    put32(o, (uint32_t)(n * 2));
    for (i = 0; i < n; i++) put16(o, (uint8_t)s[i]);
    put16(o, 0);
    return rva;
}

uint8_t *mdw_finish(mdw *b, size_t *len)
{
    buf o = {0};
    size_t i, dir_at, n_streams = 6;
    uint32_t *name_rva, *cv_rva, *cv_len, *mem_rva, sys_rva, mod_rva, mem_list_rva, info_rva, thr_rva;
    uint32_t mod_len, mem_len, info_len, thr_len, unl_rva, unl_len;

    name_rva = calloc(b->nmod + 1, 4); cv_rva = calloc(b->nmod + 1, 4); cv_len = calloc(b->nmod + 1, 4);
    mem_rva = calloc(b->nmem + 1, 4);
    if (!name_rva || !cv_rva || !cv_len || !mem_rva) abort();

    /* header + directory */
    put32(&o, 0x504D444Du);
    put32(&o, 0xA793u);
    put32(&o, (uint32_t)n_streams);
    put32(&o, 32);
    put32(&o, 0); put32(&o, 0);
    put64(&o, 0x2 /* MiniDumpWithFullMemory */ | 0x800 /* FullMemoryInfo */);
    dir_at = o.len;
    put(&o, NULL, 12 * n_streams);

    /* system info */
    sys_rva = (uint32_t)o.len;
    put16(&o, b->arch); put16(&o, 6); put16(&o, 0); { uint8_t t[2] = {2, 1}; put(&o, t, 2); }
    put32(&o, b->major); put32(&o, b->minor); put32(&o, b->build); put32(&o, 2);
    {
        size_t csd_at = o.len;
        put32(&o, 0); put16(&o, 0); put16(&o, 0); put(&o, NULL, 24);
        set32(&o, csd_at, put_string(&o, ""));
    }

    /* strings and CodeView records first, then the lists that point at them */
    for (i = 0; i < b->nmod; i++) {
        name_rva[i] = put_string(&o, b->mods[i].path);
        if (b->mods[i].has_cv) {
            align4(&o);
            cv_rva[i] = (uint32_t)o.len;
            put32(&o, 0x53445352u);
            put(&o, b->mods[i].guid, 16);
            put32(&o, b->mods[i].age);
            put(&o, b->mods[i].pdb, strlen(b->mods[i].pdb) + 1);
            cv_len[i] = (uint32_t)(o.len - cv_rva[i]);
        }
    }
    align4(&o);
    mod_rva = (uint32_t)o.len;
    put32(&o, (uint32_t)b->nmod);
    for (i = 0; i < b->nmod; i++) {
        put64(&o, b->mods[i].base); put32(&o, b->mods[i].size); put32(&o, 0); put32(&o, 0);
        put32(&o, name_rva[i]);
        put(&o, NULL, 52);                           /* VS_FIXEDFILEINFO (absent) */
        put32(&o, cv_len[i]); put32(&o, cv_rva[i]);  /* CvRecord */
        put32(&o, 0); put32(&o, 0);                  /* MiscRecord */
        put64(&o, 0); put64(&o, 0);
    }
    mod_len = (uint32_t)(o.len - mod_rva);

    for (i = 0; i < b->nmem; i++) {
        align4(&o);
        mem_rva[i] = (uint32_t)o.len;
        put(&o, b->mems[i].bytes, b->mems[i].len);
    }
    align4(&o);
    mem_list_rva = (uint32_t)o.len;
    put32(&o, (uint32_t)b->nmem);
    for (i = 0; i < b->nmem; i++) {
        put64(&o, b->mems[i].va); put32(&o, (uint32_t)b->mems[i].len); put32(&o, mem_rva[i]);
    }
    mem_len = (uint32_t)(o.len - mem_list_rva);

    info_rva = (uint32_t)o.len;
    put32(&o, 16); put32(&o, 48); put64(&o, b->nreg);
    for (i = 0; i < b->nreg; i++) {
        const reg *r = &b->regs[i];
        put64(&o, r->base); put64(&o, r->alloc_base); put32(&o, r->protect); put32(&o, 0);
        put64(&o, r->size); put32(&o, r->state); put32(&o, r->protect); put32(&o, r->type); put32(&o, 0);
    }
    info_len = (uint32_t)(o.len - info_rva);

    thr_rva = (uint32_t)o.len;
    put32(&o, (uint32_t)b->nthr);
    for (i = 0; i < b->nthr; i++) {
        const thr *t = &b->thrs[i];
        put32(&o, t->id); put32(&o, 0); put32(&o, 0); put32(&o, 0);
        put64(&o, t->teb);
        put64(&o, t->stack_start); put32(&o, t->stack_size); put32(&o, 0);
        put32(&o, 0); put32(&o, 0);
    }
    thr_len = (uint32_t)(o.len - thr_rva);

    /* UnloadedModuleList: {SizeOfHeader 12, SizeOfEntry 24, NumberOfEntries}, entries of
    ** BaseOfImage u64, SizeOfImage, CheckSum, TimeDateStamp, ModuleNameRva */
    {
        uint32_t *nrva = calloc(b->nunl + 1, 4);
        if (!nrva) abort();
        for (i = 0; i < b->nunl; i++) nrva[i] = put_string(&o, b->unl[i].path);
        align4(&o);
        unl_rva = (uint32_t)o.len;
        put32(&o, 12); put32(&o, 24); put32(&o, (uint32_t)b->nunl);
        for (i = 0; i < b->nunl; i++) {
            put64(&o, b->unl[i].base); put32(&o, b->unl[i].size); put32(&o, 0); put32(&o, 0); put32(&o, nrva[i]);
        }
        unl_len = (uint32_t)(o.len - unl_rva);
        free(nrva);
    }

    {
        uint32_t types[6] = {7, 4, 5, 16, 3, 14};
        uint32_t sizes[6] = {56, mod_len, mem_len, info_len, thr_len, unl_len};
        uint32_t rvas[6] = {sys_rva, mod_rva, mem_list_rva, info_rva, thr_rva, unl_rva};
        for (i = 0; i < 6; i++) {
            set32(&o, dir_at + 12 * i, types[i]);
            set32(&o, dir_at + 12 * i + 4, sizes[i]);
            set32(&o, dir_at + 12 * i + 8, rvas[i]);
        }
    }
    free(name_rva); free(cv_rva); free(cv_len); free(mem_rva);
    *len = o.len;
    return o.p;
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
