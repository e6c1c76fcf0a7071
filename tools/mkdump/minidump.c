/*
** minidump.c - the minidump container (Microsoft's minidumpapiset.h layouts; all little-endian,
** packed):
**   MINIDUMP_HEADER (32 bytes) | directory (12 bytes per stream) | streams | memory (Memory64List
**   data: the captured bytes of every range, back to back, in address order, from BaseRva).
** Streams written: ThreadList (3), ModuleList (4), Memory64List (9), SystemInfo (7),
** MiscInfo (15), MemoryInfoList (16, including the MEM_FREE gaps, like a full-memory dump),
** CommentStreamA (10, provenance).  Everything but the memory lives below 4 GB in the file (RVAs
** are 32-bit there); the memory data may be larger (Memory64List uses 64-bit offsets).
*/
#include <stdlib.h>
#include <string.h>
#include "mkdump.h"

typedef struct buf { u8 *p; size_t n, cap; } buf;

static size_t b_reserve(buf *b, size_t n)
{
    size_t at = b->n;
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 4096;
        b->p = xrealloc(b->p, b->cap);
    }
    memset(b->p + b->n, 0, n);
    b->n += n;
    return at;
}
static void b_align(buf *b, size_t a) { while (b->n % a) b_reserve(b, 1); }
static size_t b_u32(buf *b, u32 v) { size_t at = b_reserve(b, 4); put32(b->p + at, v); return at; }

/* MINIDUMP_STRING: Length (bytes, without the terminator), UTF-16LE, NUL. */
static u32 b_mdstring(buf *b, const char *s)
{
    size_t n = strlen(s), i, at;
    b_align(b, 4);
    at = b_reserve(b, 4 + 2 * n + 2);
    put32(b->p + at, (u32)(2 * n));
    for (i = 0; i < n; i++) put16(b->p + at + 4 + 2 * i, (u8)s[i]);
    return (u32)at;
}

static u64 stack_rva(gen *g, u64 addr)
{
    size_t i;
    for (i = 0; i < vm_region_count(g->m); i++) {
        region *r = vm_region_at(g->m, i);
        if (addr >= r->base && addr < r->base + r->cap_size) return r->file_off + (addr - r->base);
    }
    return 0;
}

static void build(gen *g, buf *b, u64 data_off)
{
    const layout *lo = g->lo;
    enum { NSTREAMS = 7 };
    size_t dir, i, k, nreg = vm_region_count(g->m);
    u32 types[NSTREAMS] = {3, 4, 9, 7, 15, 16, 10};
    u32 rva[NSTREAMS], size[NSTREAMS];
    size_t s = 0, at;
    u64 nmem = 0, prev_end;
    b->n = 0;
    /* header */
    at = b_reserve(b, 32);
    put32(b->p + at, 0x504D444Du);
    put32(b->p + at + 4, 0xA793u);
    put32(b->p + at + 8, NSTREAMS);
    put32(b->p + at + 12, 32);
    put32(b->p + at + 20, g->timestamp);
    put64(b->p + at + 24, 0x2u | 0x800u);   /* MiniDumpWithFullMemory | MiniDumpWithFullMemoryInfo */
    dir = b_reserve(b, 12 * NSTREAMS);

    /* ThreadListStream: MINIDUMP_THREAD (48 bytes) + contexts */
    {
        size_t list, ctx_size = lo->ptr == 8 ? 0x4D0 : 0x2CC;
        b_align(b, 8);
        list = b->n;
        b_u32(b, (u32)g->thr.n);
        at = b_reserve(b, 48 * g->thr.n);
        rva[s] = (u32)list;
        size[s++] = (u32)(4 + 48 * g->thr.n);
        for (i = 0; i < g->thr.n; i++) {
            thread *t = &g->thr.v[i];
            u8 *e;
            size_t c;
            u64 srva = stack_rva(g, t->sp);
            b_align(b, 16);
            c = b_reserve(b, ctx_size);
            e = b->p + at + 48 * i;
            put32(e, t->id);
            put32(e + 8, 0x20);
            put64(e + 0x10, t->teb);
            if (srva && srva + (t->stack_base - t->sp) < 0x100000000ull) {
                put64(e + 0x18, t->sp);
                put32(e + 0x20, (u32)(t->stack_base - t->sp));
                put32(e + 0x24, (u32)(data_off ? srva : 0));
            }
            put32(e + 0x28, (u32)ctx_size);
            put32(e + 0x2C, (u32)c);
            if (lo->ptr == 8) {
                u8 *x = b->p + c;
                put32(x + 0x30, 0x100007u);
                put32(x + 0x34, 0x1F80);
                put16(x + 0x38, 0x33);
                put16(x + 0x3A, 0x2B);
                put16(x + 0x3C, 0x2B);
                put16(x + 0x3E, 0x53);
                put16(x + 0x40, 0x2B);
                put16(x + 0x42, 0x2B);
                put32(x + 0x44, 0x246);
                put64(x + 0x98, t->sp);
                put64(x + 0xA0, t->sp + 0x40);
                put64(x + 0xF8, t->ip);
            } else {
                u8 *x = b->p + c;
                put32(x, 0x10007u);
                put32(x + 0x90, 0x3B);
                put32(x + 0x94, 0x23);
                put32(x + 0x98, 0x23);
                put32(x + 0xB4, (u32)(t->sp + 0x40));
                put32(x + 0xB8, (u32)t->ip);
                put32(x + 0xBC, 0x1B);
                put32(x + 0xC0, 0x246);
                put32(x + 0xC4, (u32)t->sp);
                put32(x + 0xC8, 0x23);
            }
        }
    }
    /* ModuleListStream: MINIDUMP_MODULE (108 bytes, packed) */
    {
        size_t list;
        b_align(b, 8);
        list = b->n;
        b_u32(b, (u32)g->mods.n);
        at = b_reserve(b, 108 * g->mods.n);
        rva[s] = (u32)list;
        size[s++] = (u32)(4 + 108 * g->mods.n);
        for (i = 0; i < g->mods.n; i++) {
            module *md = &g->mods.v[i];
            u32 name = b_mdstring(b, md->path), cv, pdbl;
            char *pdb = xsprintf("%s.pdb", md->name);
            u8 *e;
            size_t c;
            pdbl = (u32)strlen(pdb) + 1;
            b_align(b, 4);
            c = b_reserve(b, 24 + pdbl);
            memcpy(b->p + c, "RSDS", 4);
            memcpy(b->p + c + 4, md->guid, 16);
            put32(b->p + c + 20, 1);
            memcpy(b->p + c + 24, pdb, pdbl);
            cv = (u32)c;
            free(pdb);
            e = b->p + at + 108 * i;
            put64(e, md->base);
            put32(e + 8, (u32)md->size);
            put32(e + 0xC, md->checksum);
            put32(e + 0x10, md->timestamp);
            put32(e + 0x14, name);
            /* VS_FIXEDFILEINFO */
            put32(e + 0x18, 0xFEEF04BDu);
            put32(e + 0x1C, 0x10000);
            put32(e + 0x20, lo->major << 16 | lo->minor);
            put32(e + 0x24, lo->build << 16 | (lo->revision & 0xFFFF));
            put32(e + 0x28, lo->major << 16 | lo->minor);
            put32(e + 0x2C, lo->build << 16 | (lo->revision & 0xFFFF));
            put32(e + 0x30, 0x3F);
            put32(e + 0x38, 0x40004);
            put32(e + 0x3C, strstr(md->file, ".exe") ? 1 : 2);
            put32(e + 0x4C, 24 + pdbl);
            put32(e + 0x50, cv);
        }
    }
    /* Memory64ListStream */
    {
        size_t list;
        for (i = 0; i < nreg; i++)
            if (vm_region_at(g->m, i)->cap_size) nmem++;
        b_align(b, 8);
        list = b_reserve(b, 16 + 16 * (size_t)nmem);
        rva[s] = (u32)list;
        size[s++] = (u32)(16 + 16 * nmem);
        put64(b->p + list, nmem);
        put64(b->p + list + 8, data_off);
        for (i = 0, k = 0; i < nreg; i++) {
            region *r = vm_region_at(g->m, i);
            if (!r->cap_size) continue;
            put64(b->p + list + 16 + 16 * k, r->base);
            put64(b->p + list + 24 + 16 * k, r->cap_size);
            k++;
        }
    }
    /* SystemInfoStream */
    {
        u32 csd = b_mdstring(b, lo->csd);
        b_align(b, 8);
        at = b_reserve(b, 56);
        rva[s] = (u32)at;
        size[s++] = 56;
        put16(b->p + at, lo->ptr == 8 ? 9 : 0);
        put16(b->p + at + 2, 6);
        put16(b->p + at + 4, 0x3A09);
        b->p[at + 6] = 4;
        b->p[at + 7] = 1;
        put32(b->p + at + 8, lo->major);
        put32(b->p + at + 0xC, lo->minor);
        put32(b->p + at + 0x10, lo->build);
        put32(b->p + at + 0x14, 2);
        put32(b->p + at + 0x18, csd);
        put16(b->p + at + 0x1C, 0x100);
        if (lo->ptr == 4) {
            memcpy(b->p + at + 0x20, "GenuineIntel", 12);
            put32(b->p + at + 0x2C, 0x306A9);
            put32(b->p + at + 0x30, 0xBFEBFBFFu);
        } else {
            put64(b->p + at + 0x20, 0x0000000000FFFFFFull);
        }
    }
    /* MiscInfoStream: MINIDUMP_MISC_INFO */
    at = b_reserve(b, 24);
    rva[s] = (u32)at;
    size[s++] = 24;
    put32(b->p + at, 24);
    put32(b->p + at + 4, 1 | 2);
    put32(b->p + at + 8, g->sc->pid);
    put32(b->p + at + 0xC, g->timestamp - 3600);
    put32(b->p + at + 0x10, 42);
    put32(b->p + at + 0x14, 7);
    /* MemoryInfoListStream: header 16, MINIDUMP_MEMORY_INFO 48 bytes; free gaps included */
    {
        size_t list, cnt = 0;
        /* user space ends at 8 TB on Win7 x64 (the seed's !address shows ~7.99 TB free), 128 TB
        ** from Windows 8.1 on */
        u64 top = lo->ptr == 8 ? (lo->win7 ? 0x7FFFFFF0000ull : 0x7FFFFFFF0000ull) : 0x7FFF0000ull;
        b_align(b, 8);
        list = b_reserve(b, 16);
        prev_end = ALLOC_GRAN;
        for (i = 0; i <= nreg; i++) {
            region *r = i < nreg ? vm_region_at(g->m, i) : NULL;
            u64 start = r ? r->base : top;
            u8 *e;
            if (start > prev_end) {
                at = b_reserve(b, 48);
                e = b->p + at;
                put64(e, prev_end);
                put64(e + 0x18, start - prev_end);
                put32(e + 0x20, MEM_FREE);
                put32(e + 0x24, PAGE_NOACCESS);
                cnt++;
            }
            if (!r) break;
            at = b_reserve(b, 48);
            e = b->p + at;
            put64(e, r->base);
            put64(e + 8, r->alloc_base);
            put32(e + 0x10, r->alloc_protect);
            put64(e + 0x18, r->size);
            put32(e + 0x20, r->state);
            put32(e + 0x24, r->protect);
            put32(e + 0x28, r->type);
            cnt++;
            if (r->base + r->size > prev_end) prev_end = r->base + r->size;
        }
        put32(b->p + list, 16);
        put32(b->p + list + 4, 48);
        put64(b->p + list + 8, cnt);
        rva[s] = (u32)list;
        size[s++] = (u32)(16 + 48 * cnt);
    }
    /* CommentStreamA */
    {
        char *c = xsprintf("mkdump %s: layout %s, scenario %s, seed %llu, scale %g. Synthetic dump; "
                           "the truth is in the manifest written with it.",
                           MKDUMP_VERSION, lo->name, g->scenario_name, (unsigned long long)g->seed, g->scale);
        size_t n = strlen(c) + 1;
        at = b_reserve(b, n);
        memcpy(b->p + at, c, n);
        rva[s] = (u32)at;
        size[s++] = (u32)n;
        free(c);
    }
    for (i = 0; i < NSTREAMS; i++) {
        put32(b->p + dir + 12 * i, types[i]);
        put32(b->p + dir + 12 * i + 4, size[i]);
        put32(b->p + dir + 12 * i + 8, rva[i]);
    }
    if (b->n >= 0xFFFFFFFFu) die("minidump metadata exceeds 4 GB");
}

u64 md_meta_size(gen *g)
{
    buf b = {0};
    u64 n;
    build(g, &b, 0);
    n = b.n;
    free(b.p);
    return n;
}

void md_write_meta(gen *g, u64 data_off)
{
    buf b = {0};
    build(g, &b, data_off);
    if (b.n > data_off) die("internal: metadata grew between the passes");
    vm_file_write(g->m, 0, b.p, b.n);
    free(b.p);
}
