/*
** mdb.c - the test-only minidump builder (see mdb.h).  Layouts, from the published
** MINIDUMP_* definitions: header 32 bytes {Signature "MDMP", Version 0xA793, NumberOfStreams,
** StreamDirectoryRva, CheckSum, TimeDateStamp, Flags u64}; directory entries 12 bytes {type, size,
** rva}; Memory64List {count u64, BaseRva u64, {start u64, size u64}...} with the data contiguous
** from BaseRva.
*/
#include <stdlib.h>
#include <string.h>
#include "mdb.h"

void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

void mdb_init(mdb *b)
{
    memset(b, 0, sizeof *b);
    b->cap = 1 << 16;
    b->buf = calloc(1, b->cap);
    b->len = 32;
}

void mdb_init_dir_first(mdb *b, uint32_t nslots)
{
    mdb_init(b);
    b->dir_slots = nslots;
    mdb_append(b, NULL, 12 * (size_t)nslots);
}

void mdb_free(mdb *b)
{
    size_t i;
    for (i = 0; i < b->nowned; i++) free(b->owned[i]);
    free(b->buf);
    b->buf = NULL;
}

uint32_t mdb_append(mdb *b, const void *p, size_t n)
{
    uint32_t rva = (uint32_t)b->len;
    if (b->len + n > b->cap) {
        while (b->len + n > b->cap) b->cap *= 2;
        b->buf = realloc(b->buf, b->cap);
    }
    if (p) memcpy(b->buf + b->len, p, n); else memset(b->buf + b->len, 0, n);
    b->len += n;
    return rva;
}

void mdb_dir(mdb *b, uint32_t type, uint32_t size, uint32_t rva)
{
    if (b->ndir >= sizeof b->dir / sizeof b->dir[0]) abort();   /* a test asked for too many */
    b->dir[b->ndir].type = type;
    b->dir[b->ndir].size = size;
    b->dir[b->ndir].rva = rva;
    b->ndir++;
}

uint32_t mdb_stream(mdb *b, uint32_t type, const void *p, size_t n)
{
    uint32_t rva = mdb_append(b, p, n);
    mdb_dir(b, type, (uint32_t)n, rva);
    return rva;
}

uint32_t mdb_string(mdb *b, const char *s)
{
    size_t n = strlen(s), i;
    uint8_t *tmp = calloc(1, 4 + 2 * n + 2);
    uint32_t rva;
    put32(tmp, (uint32_t)(2 * n));
    for (i = 0; i < n; i++) put16(tmp + 4 + 2 * i, (uint8_t)s[i]);
    rva = mdb_append(b, tmp, 4 + 2 * n + 2);
    free(tmp);
    return rva;
}

void mdb_mem(mdb *b, uint64_t va, const void *data, size_t size)
{
    void *copy = calloc(1, size ? size : 1);
    if (!copy || b->nmem >= sizeof b->mem / sizeof b->mem[0]) abort();   /* a test asked for too many */
    if (data) memcpy(copy, data, size);
    b->owned[b->nowned++] = copy;
    b->mem[b->nmem].va = va;
    b->mem[b->nmem].data = copy;
    b->mem[b->nmem].size = size;
    b->nmem++;
}

void mdb_finish(mdb *b, uint64_t flags)
{
    size_t i;
    if (b->nmem) {
        uint8_t *l = calloc(1, 16 + 16 * b->nmem);
        put64(l, b->nmem);
        for (i = 0; i < b->nmem; i++) {
            put64(l + 16 + 16 * i, b->mem[i].va);
            put64(l + 16 + 16 * i + 8, b->mem[i].size);
        }
        b->mem64_rva = mdb_stream(b, 9, l, 16 + 16 * b->nmem);
        b->mem_data_rva = (uint32_t)b->len;
        put64(b->buf + b->mem64_rva + 8, b->mem_data_rva);
        for (i = 0; i < b->nmem; i++) mdb_append(b, b->mem[i].data, b->mem[i].size);
        free(l);
    }
    b->dir_rva = b->dir_slots ? 32 : (uint32_t)b->len;
    for (i = 0; i < b->ndir; i++) {
        uint8_t e[12];
        put32(e, b->dir[i].type);
        put32(e + 4, b->dir[i].size);
        put32(e + 8, b->dir[i].rva);
        if (b->dir_slots && i < b->dir_slots) memcpy(b->buf + 32 + 12 * i, e, 12);
        else mdb_append(b, e, 12);
    }
    put32(b->buf, 0x504D444Du);
    put32(b->buf + 4, 0xA793u);
    put32(b->buf + 8, b->dir_slots ? b->dir_slots : b->ndir);
    put32(b->buf + 12, b->dir_rva);
    put64(b->buf + 24, flags);
}

uint32_t mdb_sysinfo(mdb *b, uint16_t arch, uint32_t major, uint32_t minor, uint32_t build)
{
    uint8_t s[56] = {0};
    put16(s, arch);
    s[6] = 4;                 /* NumberOfProcessors */
    s[7] = 1;                 /* VER_NT_WORKSTATION */
    put32(s + 8, major);
    put32(s + 0xC, minor);
    put32(s + 0x10, build);
    put32(s + 0x14, 2);       /* VER_PLATFORM_WIN32_NT */
    return mdb_stream(b, 7, s, sizeof s);
}

uint32_t mdb_misc(mdb *b, uint32_t pid)
{
    uint8_t m[24] = {0};
    put32(m, 24);
    put32(m + 4, 1);          /* MINIDUMP_MISC1_PROCESS_ID */
    put32(m + 8, pid);
    return mdb_stream(b, 15, m, sizeof m);
}

uint32_t mdb_meminfo(mdb *b, const mdb_region *r, size_t n)
{
    uint8_t *l = calloc(1, 16 + 48 * n);
    size_t i;
    uint32_t rva;
    put32(l, 16);
    put32(l + 4, 48);
    put64(l + 8, n);
    for (i = 0; i < n; i++) {
        uint8_t *e = l + 16 + 48 * i;
        put64(e, r[i].base);
        put64(e + 8, r[i].alloc_base);
        put32(e + 0x10, r[i].state == 0x10000 ? 0 : 4);
        put64(e + 0x18, r[i].size);
        put32(e + 0x20, r[i].state);
        put32(e + 0x24, r[i].protect);
        put32(e + 0x28, r[i].type);
    }
    rva = mdb_stream(b, 16, l, 16 + 48 * n);
    free(l);
    return rva;
}

/* ---- a whole small process ------------------------------------------------------------- */

#define COMMIT 0x1000u
#define RESERVE 0x2000u
#define FREE 0x10000u
#define PRIVATE 0x20000u
#define MAPPED 0x40000u
#define IMAGE 0x1000000u

static void region(mdb_region *r, size_t *n, uint64_t base, uint64_t alloc, uint64_t size, uint32_t state, uint32_t prot, uint32_t type)
{
    r[*n].base = base;
    r[*n].alloc_base = alloc;
    r[*n].size = size;
    r[*n].state = state;
    r[*n].protect = prot;
    r[*n].type = type;
    (*n)++;
}

static int cmp_reg(const void *a, const void *b)
{
    const mdb_region *x = a, *y = b;
    return x->base < y->base ? -1 : x->base > y->base;
}

/* A stack allocation of 1 MB: reserved, one guard page, 3 committed pages at the top. */
static void stack_regions(mdb_region *r, size_t *n, uint64_t base)
{
    region(r, n, base, base, 0xFC000, RESERVE, 0, PRIVATE);
    region(r, n, base + 0xFC000, base, 0x1000, COMMIT, 0x104, PRIVATE);
    region(r, n, base + 0xFD000, base, 0x3000, COMMIT, 0x04, PRIVATE);
}

static void heap_regions(mdb *b, mdb_region *r, size_t *n, uint64_t h)
{
    uint8_t page[0x1000] = {0};
    region(r, n, h, h, 0x10000, COMMIT, 0x04, PRIVATE);
    region(r, n, h + 0x10000, h, 0xF0000, RESERVE, 0, PRIVATE);
    mdb_mem(b, h, page, sizeof page);   /* the first page only: a partial heap */
}

static void peb_bytes(uint8_t *pg, int is64, const uint64_t *heaps, uint32_t nheaps, uint64_t peb, uint32_t gflag)
{
    uint32_t i;
    if (is64) {
        put64(pg + 0x30, nheaps ? heaps[0] : 0);
        put32(pg + 0xBC, gflag);
        put32(pg + 0xE8, nheaps);
        put32(pg + 0xEC, 16);
        put64(pg + 0xF0, peb + 0x800);
        put32(pg + 0x118, 10);
        put32(pg + 0x11C, 0);
        put16(pg + 0x120, 19041);
        for (i = 0; i < nheaps; i++) put64(pg + 0x800 + 8 * i, heaps[i]);
    } else {
        put32(pg + 0x18, nheaps ? (uint32_t)heaps[0] : 0);
        put32(pg + 0x68, gflag);
        put32(pg + 0x88, nheaps);
        put32(pg + 0x8C, 16);
        put32(pg + 0x90, (uint32_t)(peb + 0x800));
        put32(pg + 0xA4, 10);
        put32(pg + 0xA8, 0);
        put16(pg + 0xAC, 19041);
        for (i = 0; i < nheaps; i++) put32(pg + 0x800 + 4 * i, (uint32_t)heaps[i]);
    }
}

void mdb_process(mdb *b, const mdb_proc *p)
{
    static mdb_region r[256];
    size_t n = 0, i, k;
    uint8_t threads[4 + 48 * 8] = {0}, mods[4 + 108] = {0};
    uint64_t heaps[8], heaps64[2] = {MDB_HEAP64(0), MDB_HEAP64(1)};
    uint64_t peb = p->x86 ? MDB_PEB32 : MDB_PEB64;
    uint8_t pg[0x1000];
    mdb_sysinfo(b, p->x86 ? 0 : 9, 10, 0, 19041);
    mdb_misc(b, 0x1234);
    for (i = 0; i < p->nheaps; i++) heaps[i] = MDB_HEAP(i);
    /* threads, TEBs, stacks */
    put32(threads, p->nthreads);
    for (i = 0; i < p->nthreads; i++) {
        uint8_t *t = threads + 4 + 48 * i;
        uint64_t teb = MDB_TEB(i), st = MDB_STACK(i);
        uint8_t tb[0x3000] = {0};
        size_t tsize = p->x86 ? 0x1000 : p->wow64 ? 0x3000 : 0x2000;
        put32(t, 0x100 + (uint32_t)i);
        put64(t + 0x10, teb);
        put64(t + 0x18, st + 0xFD000);
        put32(t + 0x20, 0x3000);
        if (p->x86) {
            put32(tb + 0x04, (uint32_t)(st + 0x100000));
            put32(tb + 0x08, (uint32_t)(st + 0xFD000));
            put32(tb + 0x18, (uint32_t)teb);
            put32(tb + 0x30, (uint32_t)peb);
        } else {
            put64(tb + 0x08, st + 0x100000);
            put64(tb + 0x10, st + 0xFD000);
            put64(tb + 0x30, teb);
            put64(tb + 0x60, peb);
            if (p->wow64) {
                uint64_t st32 = MDB_STACK32(i);
                put64(tb, teb + 0x2000);
                put32(tb + 0x2000 + 0x04, (uint32_t)(st32 + 0x100000));
                put32(tb + 0x2000 + 0x08, (uint32_t)(st32 + 0xFD000));
                put32(tb + 0x2000 + 0x18, (uint32_t)(teb + 0x2000));
                put32(tb + 0x2000 + 0x30, MDB_PEB32);
                stack_regions(r, &n, st32);
            }
        }
        region(r, &n, teb, teb, tsize, COMMIT, 0x04, PRIVATE);
        mdb_mem(b, teb, tb, tsize);
        stack_regions(r, &n, st);
        mdb_mem(b, st + 0xFD000, NULL, 0x3000);
    }
    mdb_stream(b, 3, threads, 4 + 48 * (size_t)p->nthreads);
    /* PEB(s) */
    memset(pg, 0, sizeof pg);
    if (p->wow64) {
        peb_bytes(pg, 1, heaps64, 2, MDB_PEB64, p->nt_global_flag);
        region(r, &n, MDB_PEB64, MDB_PEB64, 0x1000, COMMIT, 0x04, PRIVATE);
        mdb_mem(b, MDB_PEB64, pg, sizeof pg);
        for (k = 0; k < 2; k++) heap_regions(b, r, &n, heaps64[k]);
        memset(pg, 0, sizeof pg);
        peb_bytes(pg, 0, heaps, p->nheaps, MDB_PEB32, p->nt_global_flag);
        region(r, &n, MDB_PEB32, MDB_PEB32, 0x1000, COMMIT, 0x04, PRIVATE);
        mdb_mem(b, MDB_PEB32, pg, sizeof pg);
    } else {
        peb_bytes(pg, !p->x86, heaps, p->nheaps, peb, p->nt_global_flag);
        region(r, &n, peb, peb, 0x1000, COMMIT, 0x04, PRIVATE);
        mdb_mem(b, peb, pg, sizeof pg);
    }
    for (k = 0; k < p->nheaps; k++) heap_regions(b, r, &n, heaps[k]);
    /* one module */
    put32(mods, 1);
    put64(mods + 4, MDB_MODULE);
    put32(mods + 4 + 8, 0x10000);
    put32(mods + 4 + 0x14, mdb_string(b, "C:\\test\\app.exe"));
    put32(mods + 4 + 0x18, 0xFEEF04BDu);
    put32(mods + 4 + 0x18 + 8, 0x00010002u);
    put32(mods + 4 + 0x18 + 12, 0x00030004u);
    mdb_stream(b, 4, mods, sizeof mods);
    region(r, &n, MDB_MODULE, MDB_MODULE, 0x1000, COMMIT, 0x02, IMAGE);
    region(r, &n, MDB_MODULE + 0x1000, MDB_MODULE, 0xF000, COMMIT, 0x20, IMAGE);
    mdb_mem(b, MDB_MODULE, NULL, 0x1000);
    /* KUSER_SHARED_DATA */
    region(r, &n, 0x7FFE0000u, 0x7FFE0000u, 0x1000, COMMIT, 0x02, PRIVATE);
    region(r, &n, 0x7FFE1000u, 0x7FFE0000u, 0xF000, RESERVE, 0, PRIVATE);
    mdb_mem(b, 0x7FFE0000u, NULL, 0x1000);
    /* free space between, from 0 to MDB_TOP */
    qsort(r, n, sizeof r[0], cmp_reg);
    {
        size_t m = n;
        uint64_t at = 0;
        for (i = 0; i < m; i++) {
            if (r[i].base > at) region(r, &n, at, 0, r[i].base - at, FREE, 0x01, 0);
            at = r[i].base + r[i].size;
        }
        if (at < MDB_TOP) region(r, &n, at, 0, MDB_TOP - at, FREE, 0x01, 0);
        qsort(r, n, sizeof r[0], cmp_reg);
    }
    if (!p->no_meminfo) mdb_meminfo(b, r, n);
}
