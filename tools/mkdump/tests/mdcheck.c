/*
** mdcheck.c - validates a dump written by mkdump without the analyzer (see mdcheck.h).
**
** 1. The minidump container: header, directory, streams inside the file, Memory64List ranges
**    ascending and inside MEM_COMMIT regions, MemoryInfoList sorted and gap-free, every committed
**    accessible region captured (unless the manifest says otherwise), thread TEBs, PE images and
**    their export directories.
** 2. Every NT heap (§10): signatures, HeaderValidateLength, header decode + checksum,
**    PreviousSize chains, segments tile their committed ranges exactly (UCR-descriptor block at
**    each range end), UCR counts/pages, FreeLists == free blocks in size order with consistent
**    links, TotalFreeSize, Counters, VirtualAllocdBlocks, LFH (signature, back-pointers, bitmap
**    vs UnusedBytes vs Depth, header encoding), +ust prefixes and trace records, classic stack
**    trace database entries, page heap roots/nodes/stamps.
** 3. The manifest: every walked block is listed with the same size/state, user sizes follow
**    RtlSizeHeap (§3.5), totals are the sums over the blocks, symbolized frames are what the
**    export tables in the dump give, and damage is exactly where the manifest says.
*/
#define _XOPEN_SOURCE 700
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "../mkdump.h"
#include "tjson.h"
#include "mdcheck.h"

typedef struct mrange { u64 va, size, off; } mrange;
typedef struct minfo { u64 base, alloc, size; u32 state, protect, type; } minfo;
typedef struct mmod { u64 base, size; char name[128]; } mmod;
typedef struct mblk { u64 addr; const tj *b; int seen; } mblk;

typedef struct C {
    mdc_result *r;
    const u8 *f;
    size_t fsize;
    mrange *mem;
    size_t nmem;
    minfo *mi;
    size_t nmi;
    mmod mods[256];
    size_t nmods;
    const layout *lo;
    tj_doc *doc;
    const tj *man;
    /* per heap */
    mblk *blk;
    size_t nblk;
    const heap_layout *hl;
    int ptr, gran;
    u64 heap;
    int heap_va_broken;
    u32 key;
    u16 key_ps;
    const tj *hj;
} C;

static void bad(C *c, const char *fmt, ...)
{
    va_list ap;
    size_t l = strlen(c->r->msg);
    c->r->problems++;
    if (c->r->problems > 25 || l + 200 > sizeof c->r->msg) return;
    va_start(ap, fmt);
    vsnprintf(c->r->msg + l, sizeof c->r->msg - l - 1, fmt, ap);
    va_end(ap);
    strcat(c->r->msg, "\n");
}

static u16 g16(const u8 *p) { return (u16)(p[0] | p[1] << 8); }
static u32 g32(const u8 *p) { return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24; }
static u64 g64(const u8 *p) { return g32(p) | (u64)g32(p + 4) << 32; }

static const u8 *fspan(C *c, u64 off, u64 n) { return off + n <= c->fsize && off + n >= off ? c->f + off : NULL; }

/* Memory by virtual address: NULL unless [va, va+n) is captured in one range. */
static const u8 *mem(C *c, u64 va, u64 n)
{
    size_t lo = 0, hi = c->nmem;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c->mem[mid].va + c->mem[mid].size <= va) lo = mid + 1;
        else hi = mid;
    }
    if (lo < c->nmem && c->mem[lo].va <= va && va + n <= c->mem[lo].va + c->mem[lo].size) return c->f + c->mem[lo].off + (va - c->mem[lo].va);
    return NULL;
}
static int has(C *c, u64 va, u64 n) { return mem(c, va, n) != NULL; }
static u8 m8(C *c, u64 va) { const u8 *p = mem(c, va, 1); return p ? p[0] : 0; }
static u16 m16(C *c, u64 va) { const u8 *p = mem(c, va, 2); return p ? g16(p) : 0; }
static u32 m32(C *c, u64 va) { const u8 *p = mem(c, va, 4); return p ? g32(p) : 0; }
static u64 m64(C *c, u64 va) { const u8 *p = mem(c, va, 8); return p ? g64(p) : 0; }
static u64 mp(C *c, int ptr, u64 va) { return ptr == 8 ? m64(c, va) : m32(c, va); }

/* ---- the container ---------------------------------------------------------------------------- */

static const u8 *stream(C *c, u32 type, u32 *size)
{
    u32 n = g32(c->f + 8), dir = g32(c->f + 12), i;
    for (i = 0; i < n; i++) {
        const u8 *e = fspan(c, (u64)dir + 12 * i, 12);
        if (e && g32(e) == type) {
            *size = g32(e + 4);
            return fspan(c, g32(e + 8), *size);
        }
    }
    return NULL;
}

static const minfo *region_of(C *c, u64 va)
{
    size_t i;
    for (i = 0; i < c->nmi; i++)
        if (va >= c->mi[i].base && va < c->mi[i].base + c->mi[i].size) return &c->mi[i];
    return NULL;
}

static void check_pe(C *c, mmod *m)
{
    const u8 *h = mem(c, m->base, 0x400), *nt, *dd, *ed;
    u32 lfanew, magic, edr, eds, nf, nn, af, an, ao, i;
    int pe64;
    char prev[256] = "";
    if (!h) { bad(c, "module %s: headers at 0x%llx not captured", m->name, (unsigned long long)m->base); return; }
    if (h[0] != 'M' || h[1] != 'Z') bad(c, "module %s: no MZ", m->name);
    lfanew = g32(h + 0x3C);
    nt = mem(c, m->base + lfanew, 0x108);
    if (!nt || memcmp(nt, "PE\0\0", 4)) { bad(c, "module %s: no PE signature", m->name); return; }
    magic = g16(nt + 24);
    pe64 = magic == 0x20B;
    if (!pe64 && magic != 0x10B) bad(c, "module %s: optional header magic 0x%x", m->name, magic);
    if (g32(nt + 24 + 0x38) != m->size) bad(c, "module %s: SizeOfImage 0x%x != module size 0x%llx", m->name, g32(nt + 24 + 0x38), (unsigned long long)m->size);
    dd = nt + 24 + (pe64 ? 0x70 : 0x60);
    edr = g32(dd);
    eds = g32(dd + 4);
    ed = mem(c, m->base + edr, 40);
    if (!edr || !ed) { bad(c, "module %s: no export directory", m->name); return; }
    nf = g32(ed + 0x14);
    nn = g32(ed + 0x18);
    af = g32(ed + 0x1C);
    an = g32(ed + 0x20);
    ao = g32(ed + 0x24);
    if (!eds || nn != nf) bad(c, "module %s: export counts %u/%u", m->name, nf, nn);
    for (i = 0; i < nn; i++) {
        u32 nr = m32(c, m->base + an + 4 * i), ord = m16(c, m->base + ao + 2 * i), fr;
        const char *name = (const char *)mem(c, m->base + nr, 1);
        if (!name || ord >= nf) { bad(c, "module %s: export %u unreadable", m->name, i); continue; }
        fr = m32(c, m->base + af + 4 * ord);
        if (!fr || fr >= m->size) bad(c, "module %s: export %s rva 0x%x outside the image", m->name, name, fr);
        if (strcmp(prev, name) >= 0) bad(c, "module %s: export names not sorted (%s after %s)", m->name, name, prev);
        snprintf(prev, sizeof prev, "%s", name);
    }
}

/* Symbolize like a debugger without symbols: the nearest export at or below, in the module. */
static void symbolize(C *c, u64 a, char *out, size_t n)
{
    size_t k;
    for (k = 0; k < c->nmods; k++) {
        mmod *m = &c->mods[k];
        const u8 *h, *nt, *ed;
        u32 nf, nn, af, an, ao, i, best = 0, bestr = 0;
        const char *bn = NULL;
        if (a < m->base || a >= m->base + m->size) continue;
        h = mem(c, m->base, 0x40);
        if (!h) break;
        nt = mem(c, m->base + g32(h + 0x3C), 0x108);
        if (!nt) break;
        ed = mem(c, m->base + g32(nt + 24 + (g16(nt + 24) == 0x20B ? 0x70 : 0x60)), 40);
        if (!ed) break;
        nf = g32(ed + 0x14);
        nn = g32(ed + 0x18);
        af = g32(ed + 0x1C);
        an = g32(ed + 0x20);
        ao = g32(ed + 0x24);
        (void)nf;
        for (i = 0; i < nn; i++) {
            u32 fr = m32(c, m->base + af + 4 * m16(c, m->base + ao + 2 * i));
            if (fr <= a - m->base && fr >= bestr) {
                bestr = fr;
                best = i + 1;
                bn = (const char *)mem(c, m->base + m32(c, m->base + an + 4 * i), 1);
            }
        }
        if (best && bn) {
            char mod[128];
            char *dot;
            snprintf(mod, sizeof mod, "%s", strrchr(m->name, '\\') ? strrchr(m->name, '\\') + 1 : m->name);
            dot = strrchr(mod, '.');
            if (dot) *dot = 0;
            if (a - m->base == bestr) snprintf(out, n, "%s!%s", mod, bn);
            else snprintf(out, n, "%s!%s+0x%llx", mod, bn, (unsigned long long)(a - m->base - bestr));
            return;
        }
    }
    snprintf(out, n, "0x%llx", (unsigned long long)a);
}

static int check_container(C *c)
{
    const u8 *s;
    u32 n, i;
    u64 base, end, prev_end = 0;
    if (c->fsize < 32 || g32(c->f) != 0x504D444Du || (g32(c->f + 4) & 0xFFFF) != 0xA793) {
        bad(c, "not a minidump (signature/version)");
        return -1;
    }
    if (!fspan(c, g32(c->f + 12), (u64)g32(c->f + 8) * 12)) {
        bad(c, "stream directory outside the file");
        return -1;
    }
    for (i = 0; i < g32(c->f + 8); i++) {
        const u8 *e = c->f + g32(c->f + 12) + 12 * i;
        if (!fspan(c, g32(e + 8), g32(e + 4))) bad(c, "stream %u outside the file", g32(e));
    }
    /* SystemInfo */
    if (!(s = stream(c, 7, &n)) || n < 56) bad(c, "no SystemInfoStream");
    else {
        if (g16(s) != (c->lo->ptr == 8 ? 9 : 0)) bad(c, "SystemInfo architecture %u", g16(s));
        if (g32(s + 8) != c->lo->major || g32(s + 12) != c->lo->minor || g32(s + 16) != c->lo->build)
            bad(c, "SystemInfo version %u.%u.%u, layout says %u.%u.%u", g32(s + 8), g32(s + 12), g32(s + 16), c->lo->major, c->lo->minor, c->lo->build);
    }
    /* MemoryInfoList */
    if (!(s = stream(c, 16, &n)) || n < 16 || g32(s) != 16 || g32(s + 4) != 48 || 16 + 48 * g64(s + 8) > n) {
        bad(c, "no valid MemoryInfoListStream");
        return -1;
    }
    c->nmi = (size_t)g64(s + 8);
    c->mi = calloc(c->nmi + 1, sizeof(minfo));
    for (i = 0; i < c->nmi; i++) {
        const u8 *e = s + 16 + 48 * i;
        minfo *m = &c->mi[i];
        m->base = g64(e);
        m->alloc = g64(e + 8);
        m->size = g64(e + 0x18);
        m->state = g32(e + 0x20);
        m->protect = g32(e + 0x24);
        m->type = g32(e + 0x28);
        if (i && m->base != prev_end) bad(c, "MemoryInfoList: region 0x%llx does not start where the previous one ends", (unsigned long long)m->base);
        if (m->size == 0 || (m->base | m->size) & 0xFFF) bad(c, "MemoryInfoList: region 0x%llx not page aligned", (unsigned long long)m->base);
        if (m->state != MEM_FREE && (m->alloc > m->base || m->alloc & 0xFFF)) bad(c, "MemoryInfoList: region 0x%llx allocation base 0x%llx", (unsigned long long)m->base, (unsigned long long)m->alloc);
        prev_end = m->base + m->size;
    }
    /* Memory64List */
    if (!(s = stream(c, 9, &n)) || n < 16 || 16 + 16 * g64(s) > n) {
        bad(c, "no valid Memory64ListStream");
        return -1;
    }
    c->nmem = (size_t)g64(s);
    c->mem = calloc(c->nmem + 1, sizeof(mrange));
    base = g64(s + 8);
    end = 0;
    for (i = 0; i < c->nmem; i++) {
        mrange *r = &c->mem[i];
        const minfo *m;
        r->va = g64(s + 16 + 16 * i);
        r->size = g64(s + 24 + 16 * i);
        r->off = base;
        base += r->size;
        if (i && r->va < end) bad(c, "Memory64List not ascending at 0x%llx", (unsigned long long)r->va);
        end = r->va + r->size;
        m = region_of(c, r->va);
        if (!m || m->state != MEM_COMMIT || r->va + r->size > m->base + m->size)
            bad(c, "Memory64List range 0x%llx+0x%llx is not inside one committed region", (unsigned long long)r->va, (unsigned long long)r->size);
    }
    if (base != c->fsize) bad(c, "memory data ends at 0x%llx, file is 0x%zx bytes", (unsigned long long)base, c->fsize);
    /* modules */
    if ((s = stream(c, 4, &n)) && n >= 4) {
        u32 cnt = g32(s);
        for (i = 0; i < cnt && i < 256 && 4 + 108 * (i + 1) <= n; i++) {
            const u8 *e = s + 4 + 108 * i, *nm;
            mmod *m = &c->mods[c->nmods++];
            u32 len, k;
            m->base = g64(e);
            m->size = g32(e + 8);
            nm = fspan(c, g32(e + 0x14), 4);
            len = nm ? g32(nm) / 2 : 0;
            for (k = 0; k < len && k < 127 && fspan(c, g32(e + 0x14) + 4 + 2 * k, 2); k++) m->name[k] = (char)nm[4 + 2 * k];
            m->name[k] = 0;
            if (g32(e + 0x18) != 0xFEEF04BDu) bad(c, "module %s: no VS_FIXEDFILEINFO", m->name);
            check_pe(c, m);
        }
        c->r->modules = (unsigned)c->nmods;
    } else {
        bad(c, "no ModuleListStream");
    }
    /* threads: TEB self pointers, stack memory */
    if ((s = stream(c, 3, &n)) && n >= 4) {
        u32 cnt = g32(s);
        for (i = 0; i < cnt && 4 + 48 * (i + 1) <= n; i++) {
            const u8 *e = s + 4 + 48 * i;
            u64 teb = g64(e + 0x10);
            int ptr = c->lo->ptr;
            u64 self = mp(c, ptr, teb + (ptr == 8 ? 0x30 : 0x18));
            if (self != teb) bad(c, "thread %u: TEB 0x%llx Self is 0x%llx", g32(e), (unsigned long long)teb, (unsigned long long)self);
            if (g32(e + 0x20) && !fspan(c, g32(e + 0x24), g32(e + 0x20))) bad(c, "thread %u: stack memory outside the file", g32(e));
            if (g32(e + 0x20) && memcmp(c->f + g32(e + 0x24), mem(c, g64(e + 0x18), g32(e + 0x20)) ? mem(c, g64(e + 0x18), g32(e + 0x20)) : (const u8 *)"", 1) && !mem(c, g64(e + 0x18), g32(e + 0x20)))
                bad(c, "thread %u: stack descriptor not in Memory64List", g32(e));
            if (!fspan(c, g32(e + 0x2C), g32(e + 0x28)) || g32(e + 0x28) < 0x2CC) bad(c, "thread %u: context", g32(e));
        }
    } else {
        bad(c, "no ThreadListStream");
    }
    return 0;
}

/* Every committed region is captured except where the manifest says it left memory out. */
static void check_regions(C *c)
{
    const tj *regs = tj_get(c->man, "regions");
    size_t i, k = 0;
    if (!regs) { bad(c, "manifest: no regions"); return; }
    for (i = 0; i < tj_len(regs); i++) {
        const tj *r = tj_at(regs, i);
        u64 b = tj_u64(tj_get(r, "base")), sz = tj_u64(tj_get(r, "size")), cap = tj_u64(tj_get(r, "captured"));
        const char *st = tj_str(tj_get(r, "state")), *us = tj_str(tj_get(r, "usage"));
        u32 prot = (u32)tj_u64(tj_get(r, "protect"));
        const minfo *m;
        while (k < c->nmi && c->mi[k].base < b) k++;
        m = k < c->nmi ? &c->mi[k] : NULL;
        if (!m || m->base != b || m->size != sz || (!strcmp(st, "MEM_COMMIT") ? m->state != MEM_COMMIT : m->state != MEM_RESERVE) || m->protect != prot)
            bad(c, "manifest region 0x%llx+0x%llx does not match the MemoryInfoList", (unsigned long long)b, (unsigned long long)sz);
        if (!us || (strcmp(us, "Image") && strcmp(us, "Stack") && strcmp(us, "TEB") && strcmp(us, "PEB") && strcmp(us, "Heap") &&
                    strcmp(us, "Other") && strcmp(us, "<unknown>")))
            bad(c, "manifest region 0x%llx: usage %s", (unsigned long long)b, us ? us : "(none)");
        if (m && m->state == MEM_COMMIT && !(m->protect & (PAGE_GUARD | PAGE_NOACCESS))) {
            if (cap == sz && !has(c, b, sz)) bad(c, "region 0x%llx+0x%llx should be captured", (unsigned long long)b, (unsigned long long)sz);
            if (cap < sz && has(c, b + cap, 1)) bad(c, "region 0x%llx: byte 0x%llx should be missing", (unsigned long long)b, (unsigned long long)(b + cap));
        }
    }
}

/* ---- heaps ------------------------------------------------------------------------------------- */

typedef struct hdr { u16 size, prev; u8 flags, tag, segoff, ub; int ok; } hdr;

static hdr decode(C *c, u64 e)
{
    hdr h;
    u64 body = e + (c->ptr == 8 ? 8 : 0);
    u32 d = m32(c, body) ^ c->key;
    memset(&h, 0, sizeof h);
    h.size = (u16)d;
    h.flags = (u8)(d >> 16);
    h.tag = (u8)(d >> 24);
    h.prev = (u16)(m16(c, body + 4) ^ c->key_ps);
    h.segoff = m8(c, body + 6);
    h.ub = m8(c, body + 7);
    h.ok = h.tag == (u8)((h.size & 0xFF) ^ (h.size >> 8) ^ h.flags);
    return h;
}

static int cmp_mblk(const void *a, const void *b)
{
    const mblk *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static mblk *find_blk(C *c, u64 a)
{
    size_t lo = 0, hi = c->nblk;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c->blk[mid].addr < a) lo = mid + 1;
        else hi = mid;
    }
    return lo < c->nblk && c->blk[lo].addr == a ? &c->blk[lo] : NULL;
}

static int is_kind(const tj *b, const char *k) { const char *s = tj_str(tj_get(b, "kind")); return s && !strcmp(s, k); }
static int busy(const tj *b) { const char *s = tj_str(tj_get(b, "state")); return s && !strcmp(s, "busy"); }
static const char *corrupt(const tj *b) { return tj_str(tj_get(b, "corrupt")); }
static int uncaptured(const tj *b) { const tj *v = tj_get(b, "captured"); return v && tj_kind(v) == TJ_BOOL && !tj_bool(v); }

/* Frames in the manifest == what the export tables say; with a record pointer, == the record. */
static void check_stack(C *c, const tj *b, u64 record, int classic_entry)
{
    const tj *st = tj_get(b, "stack"), *raw = tj_get(b, "stack_raw");
    size_t i;
    int ptr = c->ptr;
    char sym[256];
    if (!st || !raw || tj_len(st) != tj_len(raw) || !tj_len(st)) {
        bad(c, "block 0x%llx: stack/stack_raw missing", (unsigned long long)tj_u64(tj_get(b, "address")));
        return;
    }
    for (i = 0; i < tj_len(raw); i++) {
        u64 a = strtoull(tj_str(tj_at(raw, i)), NULL, 0);
        symbolize(c, a, sym, sizeof sym);
        if (strcmp(sym, tj_str(tj_at(st, i)))) bad(c, "frame 0x%llx symbolizes to %s, manifest says %s", (unsigned long long)a, sym, tj_str(tj_at(st, i)));
    }
    c->r->stacks_checked++;
    if (record) {
        u32 depth = classic_entry ? m16(c, record + (ptr == 8 ? 0xE : 0xA)) : m32(c, record + (ptr == 8 ? 0xC : 8));
        u64 fo = ptr == 8 ? 0x10 : 0xC;
        if (depth != tj_len(raw) && !(classic_entry && depth == 32 && tj_len(raw) > 32)) {
            bad(c, "block 0x%llx: trace record 0x%llx depth %u, manifest %zu frames", (unsigned long long)tj_u64(tj_get(b, "address")), (unsigned long long)record, depth, tj_len(raw));
            return;
        }
        for (i = 0; i < depth; i++)
            if (mp(c, ptr, record + fo + i * (u64)ptr) != strtoull(tj_str(tj_at(raw, i)), NULL, 0))
                bad(c, "block 0x%llx: trace record frame %zu differs", (unsigned long long)tj_u64(tj_get(b, "address")), i);
    }
}

/* Classic database: index -> entry through the index array of the database header found from
** ntdll's RtlpStackTraceDataBase slot (the test knows mkdump's .data layout). */
static u64 std_entry(C *c, u32 idx)
{
    size_t k;
    for (k = 0; k < c->nmods; k++) {
        const char *nm = strrchr(c->mods[k].name, '\\');
        nm = nm ? nm + 1 : c->mods[k].name;
        if (strcasecmp(nm, "ntdll.dll")) continue;
        {
            const u8 *h = mem(c, c->mods[k].base, 0x40), *nt;
            u64 data, db, arr, e;
            int pe64;
            if (!h) continue;
            nt = mem(c, c->mods[k].base + g32(h + 0x3C), 0x200);
            pe64 = g16(nt + 24) == 0x20B;
            if ((pe64 ? 8 : 4) != c->ptr) continue;
            /* .data is the third section header */
            data = c->mods[k].base + g32(nt + 24 + g16(nt + 20) + 2 * 40 + 0xC);
            db = mp(c, c->ptr, data + NTD_STD);
            if (!db) return 0;
            arr = mp(c, c->ptr, db + (c->ptr == 8 ? 0xB8 : 0x64));
            e = mp(c, c->ptr, arr - (u64)idx * (u64)c->ptr);
            if (m16(c, e + (c->ptr == 8 ? 0xC : 8)) != (u16)idx) bad(c, "classic trace entry 0x%llx: Index != %u", (unsigned long long)e, idx);
            return e;
        }
    }
    return 0;
}

/* §3.5 user size of a busy back-end or LFH block, and its user pointer. */
static u64 user_size(C *c, u64 e, hdr h, u64 units, u64 *user)
{
    u64 unused;
    u8 ub = h.ub;
    *user = e + (u64)c->gran;
    if (ub & 0x40) {
        u64 ext = e + (u64)c->gran * (ub & 0x3F);
        unused = m16(c, ext + (c->ptr == 8 ? 0xC : 4));
        *user = ext + (u64)c->gran;
        if (m8(c, ext + (c->ptr == 8 ? 0xF : 7)) != 5 || m32(c, ext + (c->ptr == 8 ? 8 : 0)) != 1 || m8(c, ext + (c->ptr == 8 ? 0xE : 6)) != (ub & 0x3F))
            bad(c, "block 0x%llx: bad extended header", (unsigned long long)e);
    } else if ((ub & 0x3F) == 0x3F) {
        unused = c->ptr == 8 ? m64(c, e + 16 * units) : m32(c, e + 8 * units - 4);
    } else {
        unused = ub & 0x3F;
    }
    return units * (u64)c->gran - unused;
}

static void check_busy_user(C *c, u64 e, hdr h, u64 units, const tj *b, int lfh)
{
    u64 user, us = user_size(c, e, h, units, &user);
    if (us != tj_u64(tj_get(b, "user_size")) || user != tj_u64(tj_get(b, "user_address")))
        bad(c, "%s block 0x%llx: RtlSizeHeap gives 0x%llx at 0x%llx, manifest 0x%llx at 0x%llx", lfh ? "LFH" : "back-end", (unsigned long long)e,
            (unsigned long long)us, (unsigned long long)user, (unsigned long long)tj_u64(tj_get(b, "user_size")), (unsigned long long)tj_u64(tj_get(b, "user_address")));
    if (h.ub & 0x40) {
        c->r->ust_blocks++;
        check_stack(c, b, mp(c, c->ptr, e + (u64)c->gran), 0);
    } else if (!lfh && (h.flags & 2)) {
        u16 idx = m16(c, e + units * (u64)c->gran - (u64)c->gran);
        if (idx) {
            c->r->classic_blocks++;
            check_stack(c, b, std_entry(c, idx), 1);
        }
    }
}

typedef struct ucrd { u64 addr, size, desc; } ucrd;

/* Does the manifest declare memory of this heap left out of the dump? */
static int heap_missing(C *c)
{
    const tj *cs = tj_get(c->man, "corruptions");
    size_t i;
    for (i = 0; cs && i < tj_len(cs); i++) {
        const char *k = tj_str(tj_get(tj_at(cs, i), "kind"));
        if (tj_u64(tj_get(tj_at(cs, i), "heap")) == c->heap && k && (!strcmp(k, "truncated-range") || !strcmp(k, "missing-memory"))) return 1;
    }
    return 0;
}

static const tj *manifest_segment(C *c, u64 base)
{
    const tj *segs = tj_get(c->hj, "segments");
    size_t i;
    for (i = 0; segs && i < tj_len(segs); i++)
        if (tj_u64(tj_get(tj_at(segs, i), "base")) == base) return tj_at(segs, i);
    return NULL;
}

static void walk_lfh_container(C *c, u64 ub, u64 units);

static void check_heap(C *c, const tj *hj)
{
    const heap_layout *hl = c->hl;
    u64 h = c->heap, head, link, free_units = 0, committed = 0, reserved = 0, nseg = 0, nucr = 0, va_commit = 0;
    int ptr = c->ptr, guard, missing = heap_missing(c);
    u64 *fa = NULL;
    size_t nfree = 0, capf = 0, i;
    if (m32(c, h + (ptr == 8 ? 0x10 : 8)) != 0xFFEEFFEEu) { bad(c, "heap 0x%llx: no 0xFFEEFFEE", (unsigned long long)h); return; }
    if (m32(c, h + hl->signature) != 0xEEFFEEFFu) bad(c, "heap 0x%llx: Signature", (unsigned long long)h);
    if (m16(c, h + hl->validate_len) != hl->heap_size) bad(c, "heap 0x%llx: HeaderValidateLength", (unsigned long long)h);
    if (mp(c, ptr, h + hl->seg_heap) != h || mp(c, ptr, h + hl->seg_base) != h) bad(c, "heap 0x%llx: Heap/BaseAddress", (unsigned long long)h);
    if (m32(c, h + hl->encode_flag_mask) != 0x00100000u) bad(c, "heap 0x%llx: EncodeFlagMask", (unsigned long long)h);
    if (m32(c, h + hl->flags) != (u32)tj_u64(tj_get(hj, "flags"))) bad(c, "heap 0x%llx: Flags 0x%x, manifest 0x%llx", (unsigned long long)h, m32(c, h + hl->flags), (unsigned long long)tj_u64(tj_get(hj, "flags")));
    c->key = m32(c, h + hl->key);
    c->key_ps = m16(c, h + hl->key + 4);
    if (tj_u64(tj_get(hj, "encoding_key")) != ((u64)c->key | (u64)c->key_ps << 32)) bad(c, "heap 0x%llx: encoding key differs from the manifest", (unsigned long long)h);
    {
        hdr e = decode(c, h);
        if (!e.ok || e.flags != 1 || e.ub != 1 || (u64)e.size * (u64)c->gran < hl->heap_size) bad(c, "heap 0x%llx: header entry does not decode", (unsigned long long)h);
    }
    /* segments */
    head = h + hl->segment_list;
    link = mp(c, ptr, head);
    for (guard = 0; link != head && guard < 4096; guard++) {
        u64 s = link - hl->seg_list_entry, lve = mp(c, ptr, s + hl->seg_last_valid), base = mp(c, ptr, s + hl->seg_base);
        u64 pages = m32(c, s + hl->seg_pages), uhead = s + hl->seg_ucr_list, ul, e, seg_comm = 0, ucpages = 0;
        u32 nr = m32(c, s + hl->seg_uc_ranges), cnt = 0;
        ucrd u[4096];
        size_t nu = 0, k;
        u32 prev = 0;
        int prevok = 0;
        int ucr_incomplete = 0;
        nseg++;
        c->r->segments++;
        if (!has(c, s, hl->seg_size)) {
            const tj *ms = manifest_segment(c, s);
            mblk *mb = find_blk(c, s);
            if (!missing || !ms || !mb || !uncaptured(mb->b)) { bad(c, "segment 0x%llx not captured", (unsigned long long)s); break; }
            /* declared missing: account it from the manifest; its list links are gone */
            reserved += tj_u64(tj_get(ms, "reserved"));
            committed += tj_u64(tj_get(ms, "committed"));
            nucr += tj_get(ms, "ucrs") ? tj_len(tj_get(ms, "ucrs")) : 0;
            for (k = 0; k < c->nblk; k++)
                if (tj_u64(tj_get(c->blk[k].b, "segment")) == s) {
                    c->blk[k].seen = 1;
                    if (!busy(c->blk[k].b) && is_kind(c->blk[k].b, "backend")) free_units += tj_u64(tj_get(c->blk[k].b, "size")) / (u64)c->gran;
                }
            break;
        }
        if (m32(c, s + hl->seg_signature) != 0xFFEEFFEEu || base != s || mp(c, ptr, s + hl->seg_heap) != h || lve != s + pages * 0x1000 || s & 0xFFFF)
            bad(c, "segment 0x%llx: header fields", (unsigned long long)s);
        if (mp(c, ptr, link + (u64)ptr) == 0 || mp(c, ptr, mp(c, ptr, link + (u64)ptr)) != link) bad(c, "segment 0x%llx: SegmentListEntry.Blink", (unsigned long long)s);
        reserved += lve - s;
        /* UCRs of the segment */
        ul = mp(c, ptr, uhead);
        while (ul != uhead && nu < 4096) {
            u64 d = ul - 2 * (u64)ptr;
            if (!has(c, d, 6 * (u64)ptr)) {
                if (!missing) bad(c, "UCR descriptor 0x%llx not captured", (unsigned long long)d);
                ucr_incomplete = 1;
                break;
            }
            u[nu].desc = d;
            u[nu].addr = mp(c, ptr, d + 4 * (u64)ptr);
            u[nu].size = mp(c, ptr, d + 5 * (u64)ptr);
            if (mp(c, ptr, mp(c, ptr, ul + (u64)ptr)) != ul) bad(c, "UCR descriptor 0x%llx: SegmentEntry.Blink", (unsigned long long)d);
            ucpages += u[nu].size / 0x1000;
            nu++;
            ul = mp(c, ptr, ul);
            if (!ul) break;
        }
        if (!ucr_incomplete && nu != nr) bad(c, "segment 0x%llx: %zu UCRs on the list, NumberOfUnCommittedRanges %u", (unsigned long long)s, nu, nr);
        if (!ucr_incomplete && ucpages != m32(c, s + hl->seg_uc_pages)) bad(c, "segment 0x%llx: UCR pages", (unsigned long long)s);
        if (ucr_incomplete) ucpages = m32(c, s + hl->seg_uc_pages);
        nucr += ucr_incomplete ? nr : nu;
        /* walk */
        e = s;
        while (e < lve) {
            hdr b;
            mblk *mb;
            int in_ucr = 0;
            for (k = 0; k < nu; k++)
                if (u[k].addr == e) {
                    e += u[k].size;
                    prevok = 0;
                    in_ucr = 1;
                    if (!u[k].size) e = lve;
                    break;
                }
            if (in_ucr) continue;
            for (k = 0; k < nu; k++)
                if (u[k].size && e > u[k].addr && e < u[k].addr + u[k].size) bad(c, "block 0x%llx inside an uncommitted range", (unsigned long long)e);
            mb = find_blk(c, e);
            if (!has(c, e, 2 * (u64)c->gran)) {
                const minfo *ri = region_of(c, e);
                /* memory the manifest says is missing: skip by its sizes */
                if (mb && uncaptured(mb->b)) {
                    mb->seen = 1;
                    seg_comm += tj_u64(tj_get(mb->b, "size"));
                    if (!busy(mb->b) && is_kind(mb->b, "backend")) free_units += tj_u64(tj_get(mb->b, "size")) / (u64)c->gran;
                    e += tj_u64(tj_get(mb->b, "size"));
                    prevok = 0;
                    continue;
                }
                /* an uncommitted range whose descriptor was in the missing part */
                if (missing && ucr_incomplete && ri && ri->state == MEM_RESERVE) {
                    e = ri->base + ri->size;
                    prevok = 0;
                    continue;
                }
                bad(c, "block 0x%llx not captured and not declared missing", (unsigned long long)e);
                break;
            }
            b = decode(c, e);
            if (!mb) { bad(c, "walked block 0x%llx (size 0x%x) is not in the manifest", (unsigned long long)e, b.size); break; }
            mb->seen = 1;
            if (!b.ok) {
                if (!corrupt(mb->b) || strcmp(corrupt(mb->b), "bad-checksum")) bad(c, "block 0x%llx: checksum fails", (unsigned long long)e);
                e += tj_u64(tj_get(mb->b, "size"));
                seg_comm += tj_u64(tj_get(mb->b, "size"));
                prevok = 0;
                continue;
            }
            if (corrupt(mb->b) && !strcmp(corrupt(mb->b), "bad-checksum")) bad(c, "block 0x%llx: declared bad-checksum but decodes", (unsigned long long)e);
            if (prevok && b.prev != prev) bad(c, "block 0x%llx: PreviousSize 0x%x, previous block 0x%x", (unsigned long long)e, b.prev, prev);
            if (!b.size) { bad(c, "block 0x%llx: size 0", (unsigned long long)e); break; }
            if ((u64)b.size * (u64)c->gran != tj_u64(tj_get(mb->b, "size"))) bad(c, "block 0x%llx: size 0x%x granules, manifest %llu bytes", (unsigned long long)e, b.size, (unsigned long long)tj_u64(tj_get(mb->b, "size")));
            if (!!(b.flags & 1) != busy(mb->b)) bad(c, "block 0x%llx: busy flag vs manifest state", (unsigned long long)e);
            if (b.segoff != (s == h ? 0 : (u8)(((e - s) >> 16) + 1))) bad(c, "block 0x%llx: SegmentOffset %u", (unsigned long long)e, b.segoff);
            if (b.flags & 1) {
                if (!(b.ub & 0x3F)) bad(c, "busy block 0x%llx: UnusedBytes 0x%x", (unsigned long long)e, b.ub);
                if (is_kind(mb->b, "backend")) check_busy_user(c, e, b, b.size, mb->b, 0);
                else if (!is_kind(mb->b, "internal")) bad(c, "block 0x%llx: kind %s in a segment", (unsigned long long)e, tj_str(tj_get(mb->b, "kind")));
                if (is_kind(mb->b, "internal") && (b.flags & 8) && has(c, e + (u64)c->gran, 0x20)) walk_lfh_container(c, e + (u64)c->gran, b.size);
            } else {
                if (b.ub) bad(c, "free block 0x%llx: UnusedBytes 0x%x", (unsigned long long)e, b.ub);
                if (!is_kind(mb->b, "backend")) bad(c, "free block 0x%llx: kind", (unsigned long long)e);
                free_units += b.size;
                if (nfree == capf) fa = realloc(fa, (capf = capf * 2 + 64) * sizeof(u64));
                fa[nfree++] = e;
                c->r->free_walked++;
            }
            c->r->blocks_walked++;
            /* the last block of a committed range holds the next UCR's descriptor */
            for (k = 0; k < nu; k++)
                if (u[k].addr == e + (u64)b.size * (u64)c->gran) {
                    if (!(b.flags & 1) || b.ub != 3 || b.size != 4 || e + (u64)c->gran != u[k].desc)
                        bad(c, "block 0x%llx before UCR 0x%llx is not its descriptor block", (unsigned long long)e, (unsigned long long)u[k].addr);
                }
            prev = b.size;
            prevok = 1;
            seg_comm += (u64)b.size * (u64)c->gran;
            e += (u64)b.size * (u64)c->gran;
        }
        if (e != lve && !(missing && ucr_incomplete && e > lve)) bad(c, "segment 0x%llx: walk ends at 0x%llx, LastValidEntry 0x%llx", (unsigned long long)s, (unsigned long long)e, (unsigned long long)lve);
        if (seg_comm != (pages - ucpages) * 0x1000) bad(c, "segment 0x%llx: blocks cover 0x%llx bytes, committed pages say 0x%llx", (unsigned long long)s, (unsigned long long)seg_comm, (unsigned long long)((pages - ucpages) * 0x1000));
        committed += seg_comm;
        (void)cnt;
        link = mp(c, ptr, link);
    }
    /* free lists: the same set, sorted by size, links consistent */
    {
        u64 fh = h + hl->free_lists, l = mp(c, ptr, fh), prevl = fh;
        size_t seen = 0;
        u32 last = 0;
        int stop = 0;
        for (guard = 0; l != fh && guard < 10000000 && !stop; guard++) {
            u64 blk = l - (u64)c->gran;
            hdr b;
            mblk *mb = find_blk(c, blk);
            if (!has(c, l, 2 * (u64)ptr)) {
                if (!missing) bad(c, "free list entry 0x%llx not readable", (unsigned long long)l);
                stop = 1;
                break;
            }
            if (mp(c, ptr, l + (u64)ptr) != prevl) bad(c, "free list entry 0x%llx: Blink", (unsigned long long)l);
            b = decode(c, blk);
            if (!mb || busy(mb->b)) { bad(c, "free list entry 0x%llx is not a free block", (unsigned long long)l); break; }
            if (b.size < last) bad(c, "free list not sorted at 0x%llx", (unsigned long long)l);
            last = b.size;
            seen++;
            if (corrupt(mb->b)) {   /* declared damage: the walk must stop here */
                stop = 1;
                break;
            }
            prevl = l;
            l = mp(c, ptr, l);
        }
        if (!stop && seen != nfree) bad(c, "heap 0x%llx: %zu blocks on FreeLists, %zu free blocks walked", (unsigned long long)h, seen, nfree);
        if (!stop && mp(c, ptr, fh + (u64)ptr) != prevl) bad(c, "heap 0x%llx: FreeLists.Blink", (unsigned long long)h);
    }
    if (mp(c, ptr, h + hl->total_free_size) != free_units) bad(c, "heap 0x%llx: TotalFreeSize 0x%llx, free blocks 0x%llx", (unsigned long long)h, (unsigned long long)mp(c, ptr, h + hl->total_free_size), (unsigned long long)free_units);
    /* VirtualAllocdBlocks */
    {
        u64 vh = h + hl->va_blocks, l = mp(c, ptr, vh), prevl = vh;
        u64 vahdr = ptr == 8 ? 0x40 : 0x20;
        for (guard = 0; l != vh && guard < 1000000; guard++) {
            mblk *mb = find_blk(c, l + vahdr - (u64)c->gran);
            u64 cs, rsz, us;
            hdr b;
            if (!mb) { bad(c, "VA entry 0x%llx is not in the manifest", (unsigned long long)l); break; }
            mb->seen = 1;
            c->r->va_walked++;
            if (uncaptured(mb->b)) {   /* declared missing: the list cannot go on */
                va_commit = UINT64_MAX;
                break;
            }
            if (mp(c, ptr, l + (u64)ptr) != prevl) bad(c, "VA entry 0x%llx: Blink", (unsigned long long)l);
            cs = mp(c, ptr, l + (ptr == 8 ? 0x20 : 0x10));
            rsz = mp(c, ptr, l + (ptr == 8 ? 0x28 : 0x14));
            b = decode(c, l + vahdr - (u64)c->gran);
            if (!b.ok || b.ub != 4 || !(b.flags & 1) || cs > rsz || cs & 0xFFF || l & 0xFFF) bad(c, "VA entry 0x%llx: BusyBlock/CommitSize", (unsigned long long)l);
            us = cs - b.size;
            if (us != tj_u64(tj_get(mb->b, "user_size")) || cs != tj_u64(tj_get(mb->b, "size"))) bad(c, "VA entry 0x%llx: user size 0x%llx / commit 0x%llx vs manifest", (unsigned long long)l, (unsigned long long)us, (unsigned long long)cs);
            {
                u64 user = l + vahdr + (b.segoff ? (u64)b.segoff * (u64)c->gran : 0);
                if (user != tj_u64(tj_get(mb->b, "user_address"))) bad(c, "VA entry 0x%llx: user pointer", (unsigned long long)l);
                if (b.segoff) {
                    c->r->ust_blocks++;
                    check_stack(c, mb->b, mp(c, ptr, l + vahdr), 0);
                }
            }
            {   /* ExtraStuff.AllocatorBackTraceIndex: classic database index (§5.2, §7.1) */
                u16 idx = m16(c, l + (ptr == 8 ? 0x10 : 0x08));
                if (idx) {
                    c->r->classic_blocks++;
                    check_stack(c, mb->b, std_entry(c, idx), 1);
                }
            }
            va_commit += cs;
            if (corrupt(mb->b)) {
                va_commit = UINT64_MAX;
                break;
            }
            prevl = l;
            l = mp(c, ptr, l);
        }
    }
    /* counters (§2.5) */
    {
        u64 cn = h + hl->counters;
        if (mp(c, ptr, cn + hl->c_reserved) != reserved || mp(c, ptr, cn + hl->c_committed) != committed)
            bad(c, "heap 0x%llx: Counters reserved/committed 0x%llx/0x%llx, segments 0x%llx/0x%llx", (unsigned long long)h,
                (unsigned long long)mp(c, ptr, cn + hl->c_reserved), (unsigned long long)mp(c, ptr, cn + hl->c_committed), (unsigned long long)reserved, (unsigned long long)committed);
        if (m32(c, cn + hl->c_segments) != nseg || m32(c, cn + hl->c_ucrs) != nucr) bad(c, "heap 0x%llx: Counters segments/UCRs", (unsigned long long)h);
        if (va_commit != UINT64_MAX && mp(c, ptr, cn + hl->c_virtual) != va_commit) bad(c, "heap 0x%llx: TotalSizeInVirtualBlocks", (unsigned long long)h);
    }
    free(fa);
    c->heap_va_broken = va_commit == UINT64_MAX;
    for (i = 0; i < c->nblk; i++) {
        const tj *b = c->blk[i].b;
        if (!c->blk[i].seen && !uncaptured(b) && !(is_kind(b, "virtual") && c->heap_va_broken) && !(missing && !busy(b)))
            bad(c, "manifest block 0x%llx (%s) was not found by the walk", (unsigned long long)c->blk[i].addr, tj_str(tj_get(b, "kind")));
    }
}

/* §6.5/§10 invariant 16: a UserBlocks container, its subsegment, and every LFH block in it. */
static void walk_lfh_container(C *c, u64 ub, u64 units)
{
    const lfh_layout *L = c->hl->lfh;
    int ptr = c->ptr, win7 = c->hl->hv == HV_WIN7;
    u64 ss, li, ld, lfh = mp(c, ptr, c->heap + c->hl->front_end_heap), key = tj_u64(tj_get(c->hj, "lfh_key")), fao, stride, H;
    u32 bs, n, i, nfree = 0, nbusy_bits = 0;
    u16 depth;
    if (m32(c, ub + L->ub_signature) != 0xF0E0D0C0u) return;   /* another internal block */
    ss = mp(c, ptr, ub + L->ub_subseg);
    if (m8(c, c->heap + c->hl->front_end_type) != 2 || !lfh) { bad(c, "UserBlocks 0x%llx in a heap without LFH", (unsigned long long)ub); return; }
    if (mp(c, ptr, ss + L->ss_user_blocks) != ub) bad(c, "UserBlocks 0x%llx: SubSegment.UserBlocks", (unsigned long long)ub);
    li = mp(c, ptr, ss + L->ss_local_info);
    ld = mp(c, ptr, li + L->si_local_data);
    if (mp(c, ptr, ld + L->ld_low_frag_heap) != lfh) bad(c, "UserBlocks 0x%llx: LocalInfo->LocalData->LowFragHeap != FrontEndHeap", (unsigned long long)ub);
    if (mp(c, ptr, lfh + L->heap) != c->heap) bad(c, "LFH 0x%llx: Heap back-pointer", (unsigned long long)lfh);
    if (!win7 && mp(c, ptr, lfh + L->seg_info_arrays + (u64)m8(c, ss + L->ss_size_index) * (u64)ptr) != li) bad(c, "LFH: SegmentInfoArrays[SizeIndex] != LocalInfo");
    bs = m16(c, ss + L->ss_block_size);
    n = m16(c, ss + L->ss_block_count);
    depth = m16(c, ss + L->ss_aggr);
    stride = (u64)bs * (u64)c->gran;
    if (win7) {
        fao = L->ub_header;
    } else {
        u32 eo = m32(c, ub + L->ub_encoded_offsets) ^ (u32)key ^ (u32)ub ^ (u32)lfh;
        fao = eo & 0xFFFF;
        if ((eo >> 16) != stride) bad(c, "UserBlocks 0x%llx: EncodedOffsets stride 0x%x, BlockSize says 0x%llx", (unsigned long long)ub, eo >> 16, (unsigned long long)stride);
        if (mp(c, ptr, ub + L->ub_bitmap) != n || mp(c, ptr, ub + L->ub_bitmap + (u64)ptr) != ub + L->ub_bitmap_data)
            bad(c, "UserBlocks 0x%llx: BusyBitmap header", (unsigned long long)ub);
    }
    if (fao + (u64)n * stride > units * (u64)c->gran - (u64)c->gran) bad(c, "UserBlocks 0x%llx: blocks overflow the container", (unsigned long long)ub);
    for (i = 0; i < n; i++) {
        u64 body;
        u32 d;
        u8 ubt;
        int bz;
        mblk *mb;
        H = ub + fao + (u64)i * stride;
        body = H + (ptr == 8 ? 8 : 0);
        d = m32(c, body);
        if (win7) {
            if ((d ^ (u32)ss ^ (u32)c->heap ^ (u32)(H >> (ptr == 8 ? 4 : 3))) != (u32)key) bad(c, "LFH block 0x%llx: Win7 header does not decode with the key", (unsigned long long)H);
        } else {
            u32 D = (u32)key ^ (u32)c->heap ^ d ^ (u32)(H >> (ptr == 8 ? 4 : 3));
            if ((D & 0xFFFF) || H - (D >> (ptr == 8 ? 12 : 13)) != ub) bad(c, "LFH block 0x%llx: header does not decode to its UserBlocks", (unsigned long long)H);
        }
        ubt = m8(c, body + 7);
        if (!(ubt & 0x80)) bad(c, "LFH block 0x%llx: UnusedBytes 0x%x without 0x80", (unsigned long long)H, ubt);
        bz = (ubt & 0x3F) != 0;
        if (!win7) {
            int bit = (m8(c, ub + L->ub_bitmap_data + i / 8) >> (i % 8)) & 1;
            if (bit != bz) bad(c, "LFH block 0x%llx: bitmap %d, UnusedBytes 0x%x", (unsigned long long)H, bit, ubt);
            nbusy_bits += (u32)bit;
        }
        if (!bz) nfree++;
        mb = find_blk(c, H);
        if (!mb || !is_kind(mb->b, "lfh") || tj_u64(tj_get(mb->b, "size")) != stride || busy(mb->b) != bz) {
            bad(c, "LFH block 0x%llx: not in the manifest as an lfh block of 0x%llx bytes, %s", (unsigned long long)H, (unsigned long long)stride, bz ? "busy" : "free");
            continue;
        }
        mb->seen = 1;
        c->r->lfh_blocks++;
        if (bz) {
            hdr hh;
            memset(&hh, 0, sizeof hh);
            hh.ub = ubt;
            check_busy_user(c, H, hh, bs, mb->b, 1);
        }
    }
    if (nfree != depth) bad(c, "subsegment 0x%llx: %u free blocks, Depth %u", (unsigned long long)ss, nfree, depth);
    if (win7) {   /* the free chain from FreeEntryOffset */
        u16 off = m16(c, ss + L->ss_aggr + 2);
        u32 k = 0;
        while (off != 0xFFFF && k <= n) {
            u64 fh = ub + (u64)off * (u64)c->gran;
            if ((m8(c, fh + (ptr == 8 ? 0xF : 7)) & 0x3F) != 0) bad(c, "LFH free chain reaches busy block 0x%llx", (unsigned long long)fh);
            off = m16(c, fh + (u64)c->gran);
            k++;
        }
        if (k != depth) bad(c, "subsegment 0x%llx: free chain of %u, Depth %u", (unsigned long long)ss, k, depth);
    } else {
        if (n - nbusy_bits != depth) bad(c, "subsegment 0x%llx: zero bits != Depth", (unsigned long long)ss);
    }
}

/* §8: DPH root at handle + 0x1000, busy nodes in the AVL table, block information stamps. */
static int dph_walk(C *c, u64 node, u64 parent, int level, unsigned *count)
{
    int p = c->ptr, hl, hr;
    u64 user, vb, req, info, st;
    mblk *mb;
    if (!node) return 0;
    if (level > 64 || *count > 1000000) { bad(c, "DPH tree too deep"); return 0; }
    if (mp(c, p, node) != parent) bad(c, "DPH node 0x%llx: Parent", (unsigned long long)node);
    hl = dph_walk(c, mp(c, p, node + (u64)p), node, level + 1, count);
    user = mp(c, p, node + (p == 8 ? 0x20 : 0x10));
    vb = mp(c, p, node + (p == 8 ? 0x28 : 0x14));
    req = mp(c, p, node + (p == 8 ? 0x40 : 0x20));
    st = mp(c, p, node + (p == 8 ? 0x60 : 0x30));
    info = user - (p == 8 ? 0x40 : 0x20);
    (*count)++;
    c->r->pageheap_blocks++;
    if (user < vb || user >= vb + mp(c, p, node + (p == 8 ? 0x30 : 0x18)) || req > mp(c, p, node + (p == 8 ? 0x48 : 0x24)) ||
        mp(c, p, node + (p == 8 ? 0x48 : 0x24)) > mp(c, p, node + (p == 8 ? 0x38 : 0x1C)))
        bad(c, "DPH node 0x%llx: sizes", (unsigned long long)node);
    if (m32(c, info) != 0xABCDBBBBu || m32(c, info + (p == 8 ? 0x3C : 0x1C)) != 0xDCBABBBBu) bad(c, "DPH block 0x%llx: stamps", (unsigned long long)user);
    if (mp(c, p, info + (p == 8 ? 0x10 : 8)) != req || mp(c, p, info + (p == 8 ? 0x30 : 0x18)) != st) bad(c, "DPH block 0x%llx: block information differs from its node", (unsigned long long)user);
    if (!has(c, vb + mp(c, p, node + (p == 8 ? 0x38 : 0x1C)) - 1, 1) || has(c, vb + mp(c, p, node + (p == 8 ? 0x38 : 0x1C)), 1))
        bad(c, "DPH block 0x%llx: the guard page is not right after the accessible part", (unsigned long long)user);
    mb = find_blk(c, info);
    if (!mb || !is_kind(mb->b, "pageheap") || tj_u64(tj_get(mb->b, "user_address")) != user || tj_u64(tj_get(mb->b, "user_size")) != req)
        bad(c, "DPH block 0x%llx: not in the manifest as such", (unsigned long long)user);
    else {
        mb->seen = 1;
        if (st) check_stack(c, mb->b, st, 1);
    }
    hr = dph_walk(c, mp(c, p, node + 2 * (u64)p), node, level + 1, count);
    if ((int)(signed char)m8(c, node + 3 * (u64)p) != hr - hl || hr - hl > 1 || hl - hr > 1) bad(c, "DPH node 0x%llx: Balance", (unsigned long long)node);
    return 1 + (hl > hr ? hl : hr);
}

static void check_dph(C *c, const tj *hj)
{
    int p = c->ptr;
    u64 root = c->heap + 0x1000, table = root + (p == 8 ? 0x38 : 0x20);
    unsigned count = 0;
    const tj *hs = tj_get(c->man, "heaps");
    size_t i;
    int found = 0;
    if (tj_u64(tj_get(hj, "dph_root")) != root || m32(c, root) != 0xFFEEDDCCu) { bad(c, "page heap 0x%llx: no DPH root at +0x1000", (unsigned long long)c->heap); return; }
    if (!(m32(c, c->heap + c->hl->flags) & 0x01000000u) || !(m32(c, c->heap + c->hl->force_flags) & 0x01000000u)) bad(c, "page heap 0x%llx: HEAP_FLAG_PAGE_ALLOCS", (unsigned long long)c->heap);
    for (i = 0; i < tj_len(hs); i++) {
        const char *of = tj_str(tj_get(tj_at(hs, i), "normal_heap_of"));
        if (of && !strcmp(of, tj_str(tj_get(hj, "name")))) {
            found = 1;
            if (mp(c, p, root + (p == 8 ? 0x150 : 0xB4)) != tj_u64(tj_get(tj_at(hs, i), "address"))) bad(c, "page heap 0x%llx: NormalHeap", (unsigned long long)c->heap);
        }
    }
    if (!found) bad(c, "page heap 0x%llx: no NormalHeap in the manifest", (unsigned long long)c->heap);
    if (mp(c, p, table) != table) bad(c, "page heap: BalancedRoot.Parent");
    dph_walk(c, mp(c, p, table + 2 * (u64)p), table, 0, &count);
    if (count != m32(c, table + (p == 8 ? 0x2C : 0x18)) || count != m32(c, root + (p == 8 ? 0xA8 : 0x5C)))
        bad(c, "page heap 0x%llx: %u nodes in the tree, NumberGenericTableElements %u, nBusyAllocations %u", (unsigned long long)c->heap, count,
            m32(c, table + (p == 8 ? 0x2C : 0x18)), m32(c, root + (p == 8 ? 0xA8 : 0x5C)));
}

static void check_totals(C *c, const tj *hj)
{
    const tj *bl = tj_get(hj, "blocks"), *t = tj_get(hj, "totals");
    u64 bb = 0, bu = 0, bby = 0, fb = 0, fby = 0, lb = 0, lf = 0, vb = 0, vby = 0, ib = 0;
    size_t i;
    for (i = 0; bl && i < tj_len(bl); i++) {
        const tj *b = tj_at(bl, i);
        int bz = busy(b);
        u64 sz = tj_u64(tj_get(b, "size"));
        if (is_kind(b, "internal")) ib++;
        else if (bz) { bb++; bu += tj_u64(tj_get(b, "user_size")); bby += sz; }
        if (is_kind(b, "backend") && !bz) { fb++; fby += sz; }
        if (is_kind(b, "lfh")) { lb++; if (!bz) lf++; }
        if (tj_has(b, "va_entry")) { vb++; vby += tj_u64(tj_get(b, "commit_size")); }
    }
    if (!t || tj_u64(tj_get(t, "busy_blocks")) != bb || tj_u64(tj_get(t, "busy_user_bytes")) != bu || tj_u64(tj_get(t, "busy_block_bytes")) != bby ||
        tj_u64(tj_get(t, "free_blocks")) != fb || tj_u64(tj_get(t, "free_bytes")) != fby || tj_u64(tj_get(t, "lfh_blocks")) != lb || tj_u64(tj_get(t, "lfh_free_blocks")) != lf ||
        tj_u64(tj_get(t, "virtual_blocks")) != vb || tj_u64(tj_get(t, "virtual_bytes")) != vby || tj_u64(tj_get(t, "internal_blocks")) != ib)
        bad(c, "heap %s: totals differ from the sums over its blocks", tj_str(tj_get(hj, "address")));
    {
        const tj *segs = tj_get(hj, "segments");
        u64 r = 0, cm = 0;
        for (i = 0; segs && i < tj_len(segs); i++) {
            r += tj_u64(tj_get(tj_at(segs, i), "reserved"));
            cm += tj_u64(tj_get(tj_at(segs, i), "committed"));
        }
        if (r != tj_u64(tj_get(t, "reserved")) || cm != tj_u64(tj_get(t, "committed"))) bad(c, "heap %s: segment sums differ from totals", tj_str(tj_get(hj, "address")));
    }
}

static void check_heaps(C *c)
{
    const tj *hs = tj_get(c->man, "heaps");
    size_t i, k;
    if (!hs) { bad(c, "manifest: no heaps"); return; }
    for (i = 0; i < tj_len(hs); i++) {
        const tj *hj = tj_at(hs, i), *bl = tj_get(hj, "blocks");
        const char *arch = tj_str(tj_get(hj, "arch"));
        c->r->heaps++;
        c->hj = hj;
        c->heap = tj_u64(tj_get(hj, "address"));
        c->ptr = arch && !strcmp(arch, "x64") ? 8 : 4;
        c->gran = c->ptr == 8 ? 16 : 8;
        c->hl = c->ptr == 8 || !c->lo->wow64 ? c->lo->native : c->lo->wow;
        if (c->hl->ptr != c->ptr) { bad(c, "heap %s: arch does not match the layout", tj_str(tj_get(hj, "address"))); continue; }
        check_totals(c, hj);
        c->nblk = bl ? tj_len(bl) : 0;
        c->blk = calloc(c->nblk + 1, sizeof(mblk));
        for (k = 0; k < c->nblk; k++) {
            c->blk[k].addr = tj_u64(tj_get(tj_at(bl, k), "address"));
            c->blk[k].b = tj_at(bl, k);
        }
        qsort(c->blk, c->nblk, sizeof(mblk), cmp_mblk);
        for (k = 1; k < c->nblk; k++)
            if (c->blk[k].addr == c->blk[k - 1].addr) bad(c, "manifest lists block 0x%llx twice", (unsigned long long)c->blk[k].addr);
        if (tj_str(tj_get(hj, "kind")) && !strcmp(tj_str(tj_get(hj, "kind")), "pageheap")) check_dph(c, hj);
        check_heap(c, hj);
        free(c->blk);
        c->blk = NULL;
    }
}

/* §1.2 PEB heap lists (offsets hard-coded from the reference), §2 ProcessHeapsListIndex, §1.4 the
** 24H2 descriptor chain from the process heap's UserContext (+0x188). */
static void check_pebs(C *c)
{
    const tj *pebs = tj_get(tj_get(c->man, "process"), "pebs"), *hs = tj_get(c->man, "heaps");
    size_t i, k;
    for (i = 0; pebs && i < tj_len(pebs); i++) {
        const tj *pb = tj_at(pebs, i), *list = tj_get(pb, "heaps");
        int p = !strcmp(tj_str(tj_get(pb, "arch")), "x64") ? 8 : 4;
        u64 peb = tj_u64(tj_get(pb, "address")), arr;
        u32 n = m32(c, peb + (p == 8 ? 0xE8 : 0x88));
        if (!has(c, peb, 0x100)) { bad(c, "PEB 0x%llx not captured", (unsigned long long)peb); continue; }
        if (mp(c, p, peb + (p == 8 ? 0x30 : 0x18)) != tj_u64(tj_get(pb, "process_heap"))) bad(c, "PEB 0x%llx: ProcessHeap", (unsigned long long)peb);
        if (m32(c, peb + (p == 8 ? 0xBC : 0x68)) != tj_u64(tj_get(pb, "nt_global_flag"))) bad(c, "PEB 0x%llx: NtGlobalFlag", (unsigned long long)peb);
        if (m16(c, peb + (p == 8 ? 0x120 : 0xAC)) != c->lo->build) bad(c, "PEB 0x%llx: OSBuildNumber", (unsigned long long)peb);
        if (n != tj_len(list) || n > m32(c, peb + (p == 8 ? 0xEC : 0x8C))) bad(c, "PEB 0x%llx: NumberOfHeaps %u, manifest %zu", (unsigned long long)peb, n, tj_len(list));
        arr = mp(c, p, peb + (p == 8 ? 0xF0 : 0x90));
        for (k = 0; k < tj_len(list) && k < n; k++) {
            u64 hp = strtoull(tj_str(tj_at(list, k)), NULL, 0);
            const heap_layout *hl = p == 8 || !c->lo->wow64 ? c->lo->native : c->lo->wow;
            if (mp(c, p, arr + k * (u64)p) != hp) bad(c, "PEB 0x%llx: ProcessHeaps[%zu]", (unsigned long long)peb, k);
            if (m16(c, hp + hl->heaps_index) != (c->lo->h24h2 ? 0 : k + 1)) bad(c, "heap 0x%llx: ProcessHeapsListIndex", (unsigned long long)hp);
        }
        if (c->lo->h24h2 && p == 8) {
            u64 d = mp(c, 8, tj_u64(tj_get(pb, "process_heap")) + c->lo->native->user_context);
            size_t seen = 0, want = 0;
            int guard = 0;
            for (k = 0; k < tj_len(hs); k++)
                if (!strcmp(tj_str(tj_get(tj_at(hs, k), "arch")), "x64") && (tj_str(tj_get(tj_at(hs, k), "found_via")) || !strcmp(tj_str(tj_get(tj_at(hs, k), "found_in")), "peb64"))) want++;
            while (d && guard++ < 1000) {
                u64 heap = m64(c, d + 16);
                int ok = 0;
                for (k = 0; k < tj_len(hs); k++)
                    if (tj_u64(tj_get(tj_at(hs, k), "address")) == heap) ok = 1;
                if (!ok) bad(c, "24H2 descriptor 0x%llx: Heap 0x%llx is not a heap", (unsigned long long)d, (unsigned long long)heap);
                seen++;
                d = m64(c, d);
            }
            if (seen != want || want < 2) bad(c, "24H2 descriptor chain: %zu heaps, manifest %zu", seen, want);
        }
    }
}

/* Each declared corruption is where the manifest says (docs/manifest.md, "Corruptions"). */
static void check_corruptions(C *c)
{
    const tj *cs = tj_get(c->man, "corruptions"), *hs = tj_get(c->man, "heaps");
    size_t i, k;
    for (i = 0; cs && i < tj_len(cs); i++) {
        const tj *x = tj_at(cs, i), *hj = NULL;
        const char *kind = tj_str(tj_get(x, "kind"));
        u64 a = tj_u64(tj_get(x, "address")), heap = tj_u64(tj_get(x, "heap"));
        int ok = 0, ptr;
        for (k = 0; hs && k < tj_len(hs); k++)
            if (tj_u64(tj_get(tj_at(hs, k), "address")) == heap) hj = tj_at(hs, k);
        if (!hj || !kind) { bad(c, "corruption at 0x%llx: unknown heap", (unsigned long long)a); continue; }
        ptr = !strcmp(tj_str(tj_get(hj, "arch")), "x64") ? 8 : 4;
        c->ptr = ptr;
        c->gran = ptr == 8 ? 16 : 8;
        c->hl = ptr == 8 || !c->lo->wow64 ? c->lo->native : c->lo->wow;
        c->key = m32(c, heap + c->hl->key);
        c->key_ps = m16(c, heap + c->hl->key + 4);
        if (!strcmp(kind, "bad-checksum")) ok = has(c, a, (u64)c->gran) && !decode(c, a).ok;
        else if (!strcmp(kind, "broken-link")) ok = has(c, a, 2 * (u64)ptr) && !has(c, mp(c, ptr, a), 1);
        else if (!strcmp(kind, "cyclic-list")) {
            u64 va_head = heap + c->hl->va_blocks, fl_head = heap + c->hl->free_lists, t = mp(c, ptr, a);
            ok = t && (t == mp(c, ptr, va_head) || t == mp(c, ptr, fl_head)) && t != va_head && t != fl_head;
        } else if (!strcmp(kind, "truncated-range")) ok = has(c, a - 1, 1) && !has(c, a, 1) && region_of(c, a) && region_of(c, a)->state == MEM_COMMIT;
        else if (!strcmp(kind, "missing-memory")) ok = !has(c, a, 1) && region_of(c, a) && region_of(c, a)->base == a && region_of(c, a)->state == MEM_COMMIT;
        if (ok) c->r->corruptions_seen++;
        else bad(c, "declared %s at 0x%llx is not there", kind, (unsigned long long)a);
    }
}

int mdc_check(const char *dump, const char *manifest, mdc_result *r)
{
    C c;
    int fd;
    struct stat st;
    void *map;
    memset(r, 0, sizeof *r);
    memset(&c, 0, sizeof c);
    c.r = r;
    c.doc = tj_parse_file(manifest);
    c.man = tj_root(c.doc);
    if (!c.man) { bad(&c, "%s: not JSON", manifest); return r->problems; }
    c.lo = layout_find(tj_str(tj_get(tj_get(c.man, "generator"), "layout")) ? tj_str(tj_get(tj_get(c.man, "generator"), "layout")) : "");
    if (!c.lo) { bad(&c, "manifest: unknown layout"); tj_free(c.doc); return r->problems; }
    fd = open(dump, O_RDONLY);
    if (fd < 0 || fstat(fd, &st)) { bad(&c, "%s: cannot open", dump); tj_free(c.doc); return r->problems; }
    c.fsize = (size_t)st.st_size;
    map = mmap(NULL, c.fsize, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) { bad(&c, "%s: cannot map", dump); tj_free(c.doc); return r->problems; }
    c.f = map;
    if (!check_container(&c)) {
        check_regions(&c);
        check_heaps(&c);
        check_pebs(&c);
        check_corruptions(&c);
    }
    munmap(map, c.fsize);
    free(c.mem);
    free(c.mi);
    tj_free(c.doc);
    return r->problems;
}

#ifdef MDCHECK_MAIN
int main(int argc, char **argv)
{
    mdc_result r;
    if (argc != 3) {
        fprintf(stderr, "usage: mdcheck DUMP MANIFEST\n");
        return 2;
    }
    mdc_check(argv[1], argv[2], &r);
    printf("%s%d problem(s); %u heaps, %u segments, %u blocks walked (%u free), %u VA, %u LFH, %u +ust, %u classic, %u page heap, %u stacks, %u modules, %u corruptions seen\n",
           r.msg, r.problems, r.heaps, r.segments, r.blocks_walked, r.free_walked, r.va_walked, r.lfh_blocks, r.ust_blocks, r.classic_blocks,
           r.pageheap_blocks, r.stacks_checked, r.modules, r.corruptions_seen);
    return r.problems ? 1 : 0;
}
#endif
