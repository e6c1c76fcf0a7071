/*
** fuzz_heap.c - libFuzzer target for the heap layer (lib/heap): discovery, classification, the
** segment / VirtualAlloc / LFH walks, reconciliation, block lookup and dt.
**
** The fuzzer input becomes the heap memory of a small synthetic minidump (written here, by hand,
** from the published MINIDUMP_* formats; nothing shared with lib/dump or tools/mkdump):
**
**   input:  [0]      flags: bit 0 = 64-bit process (x64 dump), else x86
**           [1..8]   heap base (rounded to 64 KB, kept in the user range)
**           [9..12]  page mask: bit i set = page i of the heap region is captured (pages >= 32
**                    always are), so missing-memory paths are exercised
**           [13..]   the heap region's bytes (at most 1 MB)
**   dump:   SystemInfo, one thread whose TEB -> PEB lists the heap at the base (ProcessHeaps[0]
**           and ProcessHeap), Memory64List with the TEB/PEB pages and the captured heap pages.
**
** Seeds (fuzz/corpus/heap/) are real heaps cut out of fizzbuzz_wow64.dmp (see the README there).
** Without libFuzzer, replay.c runs the corpus on every build; in that build HD_FUZZ_WRITE=FILE
** keeps the synthetic dump of the (last) input for `heapdig check FILE`.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "heapdig.h"

#define TEB_VA 0x7FFDE000u
#define PEB_VA 0x7FFDF000u
#define MAX_REGION (1u << 20)

typedef struct buf { uint8_t *p; size_t len, cap; int oom; } buf;

static void put(buf *b, const void *src, size_t n)
{
    if (b->oom) return;
    if (b->len + n > b->cap) {
        size_t nc = (b->len + n) * 2 + 4096;
        uint8_t *np = realloc(b->p, nc);
        if (!np) { b->oom = 1; return; }
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}
static void put16(buf *b, uint16_t v) { uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)}; put(b, x, 2); }
static void put32(buf *b, uint32_t v) { put16(b, (uint16_t)v); put16(b, (uint16_t)(v >> 16)); }
static void put64(buf *b, uint64_t v) { put32(b, (uint32_t)v); put32(b, (uint32_t)(v >> 32)); }
static void st32(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24); }
static void st64(uint8_t *p, uint64_t v) { st32(p, (uint32_t)v); st32(p + 4, (uint32_t)(v >> 32)); }
static void stptr(uint8_t *p, uint64_t v, int x64) { if (x64) st64(p, v); else st32(p, (uint32_t)v); }

typedef struct range { uint64_t va; const uint8_t *data; uint64_t size; } range;

/* Write the whole minidump into B. */
static void build(buf *b, int x64, uint64_t base, uint32_t mask, const uint8_t *region, size_t rlen)
{
    uint8_t teb[4096], peb[4096];
    range r[2 + 32 + 1];
    size_t nr = 0, i;
    uint32_t sys_rva, thr_rva, mem_rva, dir_rva;
    uint64_t data_rva;
    memset(teb, 0, sizeof teb);
    memset(peb, 0, sizeof peb);
    if (x64) {   /* reference §1.1/§1.2 x64 offsets */
        stptr(teb + 0x30, TEB_VA, 1);
        stptr(teb + 0x60, PEB_VA, 1);
        stptr(peb + 0x30, base, 1);
        st32(peb + 0xE8, 1);
        st32(peb + 0xEC, 16);
        stptr(peb + 0xF0, PEB_VA + 0x800, 1);
        st32(peb + 0x118, 10);
        peb[0x120] = 0x63; peb[0x121] = 0x45;   /* build 17763 */
        stptr(peb + 0x800, base, 1);
    } else {
        stptr(teb + 0x18, TEB_VA, 0);
        stptr(teb + 0x30, PEB_VA, 0);
        stptr(peb + 0x18, base, 0);
        st32(peb + 0x88, 1);
        st32(peb + 0x8C, 16);
        stptr(peb + 0x90, PEB_VA + 0x800, 0);
        st32(peb + 0xA4, 10);
        peb[0xAC] = 0x63; peb[0xAD] = 0x45;
        stptr(peb + 0x800, base, 0);
    }
    r[nr].va = TEB_VA; r[nr].data = teb; r[nr++].size = sizeof teb;
    r[nr].va = PEB_VA; r[nr].data = peb; r[nr++].size = sizeof peb;
    /* heap pages: runs of captured pages below 32, then the rest in one range */
    for (i = 0; i < 32 && i * 4096 < rlen; i++) {
        size_t n = rlen - i * 4096 < 4096 ? rlen - i * 4096 : 4096;
        if (!(mask & (1u << i))) continue;
        r[nr].va = base + i * 4096;
        r[nr].data = region + i * 4096;
        r[nr++].size = n;
    }
    if (rlen > 32 * 4096) {
        r[nr].va = base + 32 * 4096;
        r[nr].data = region + 32 * 4096;
        r[nr++].size = rlen - 32 * 4096;
    }
    /* header placeholder */
    b->len = 0;
    {
        uint8_t hdr[32];
        memset(hdr, 0, sizeof hdr);
        put(b, hdr, sizeof hdr);
    }
    /* SystemInfo (56 bytes) */
    sys_rva = (uint32_t)b->len;
    put16(b, x64 ? 9 : 0); put16(b, 6); put16(b, 0); put16(b, 0x0401);   /* arch, level, revision, #cpu/product */
    put32(b, 10); put32(b, 0); put32(b, 17763); put32(b, 2);            /* 10.0.17763, VER_PLATFORM_WIN32_NT */
    put32(b, 0); put16(b, 0); put16(b, 0);                               /* CSDVersionRva, SuiteMask, Reserved2 */
    { uint8_t cpu[24]; memset(cpu, 0, sizeof cpu); put(b, cpu, sizeof cpu); }
    /* ThreadList: one thread, no stack, no context */
    thr_rva = (uint32_t)b->len;
    put32(b, 1);
    put32(b, 1); put32(b, 0); put32(b, 0); put32(b, 0);
    put64(b, TEB_VA);
    put64(b, 0); put32(b, 0); put32(b, 0);
    put32(b, 0); put32(b, 0);
    /* Memory64List */
    mem_rva = (uint32_t)b->len;
    data_rva = mem_rva + 16 + 16 * (uint64_t)nr;
    put64(b, nr);
    put64(b, data_rva);
    for (i = 0; i < nr; i++) { put64(b, r[i].va); put64(b, r[i].size); }
    for (i = 0; i < nr; i++) put(b, r[i].data, (size_t)r[i].size);
    /* directory */
    dir_rva = (uint32_t)b->len;
    put32(b, 7); put32(b, 56); put32(b, sys_rva);
    put32(b, 3); put32(b, 4 + 48); put32(b, thr_rva);
    put32(b, 9); put32(b, (uint32_t)(16 + 16 * nr)); put32(b, mem_rva);
    if (b->oom) return;
    st32(b->p, 0x504D444D);        /* "MDMP" */
    st32(b->p + 4, 0xA793);        /* MINIDUMP_VERSION */
    st32(b->p + 8, 3);
    st32(b->p + 12, dir_rva);
    st64(b->p + 24, 0x2);          /* MiniDumpWithFullMemory */
}

static int count_cb(void *user, const hd_block *blk)
{
    uint64_t *n = user;
    (*n) += blk->user_size & 1;    /* touch the fields */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hd_limits lim;
    hd_dump *d = NULL;
    buf b = {NULL, 0, 0, 0};
    uint64_t base = 0, n = 0;
    uint32_t mask;
    size_t i, rlen;
    int x64;
    if (size < 13) return 0;
    x64 = data[0] & 1;
    for (i = 0; i < 8; i++) base |= (uint64_t)data[1 + i] << (8 * i);
    base &= x64 ? 0x00007FFFFFFF0000ull : 0x7FFF0000ull;
    if (base < 0x10000) base = 0x10000;
    if (base >= TEB_VA - MAX_REGION && base < PEB_VA + 0x1000) base = 0x10000;
    mask = (uint32_t)data[9] | (uint32_t)data[10] << 8 | (uint32_t)data[11] << 16 | (uint32_t)data[12] << 24;
    rlen = size - 13;
    if (rlen > MAX_REGION) rlen = MAX_REGION;
    build(&b, x64, base, mask, data + 13, rlen);
    if (b.oom) { free(b.p); return 0; }
#ifdef HD_FUZZ_REPLAY
    {   /* debugging a finding: HD_FUZZ_WRITE=FILE keeps the synthetic dump for `heapdig check` */
        const char *w = getenv("HD_FUZZ_WRITE");
        FILE *f = w ? fopen(w, "wb") : NULL;
        if (f) { fwrite(b.p, 1, b.len, f); fclose(f); }
    }
#endif
    hd_limits_default(&lim);
    lim.max_list = 4096;
    lim.max_segments = 64;
    lim.max_heaps = 16;
    lim.max_diags = 256;
    if (hd_open_mem(b.p, b.len, &lim, &d) == HD_OK) {
        size_t k, nh = hd_heap_count(d);
        for (k = 0; k < nh; k++) {
            const hd_heap *h = hd_heap_at(d, k);
            const hd_dt_row *rows;
            size_t nrows;
            const char *layout;
            hd_heap_walk(d, h, count_cb, &n);
            hd_heap_analyze(d, h);
            hd_heap_walk(d, h, count_cb, &n);   /* second walk: no double diagnostics, same blocks */
            hd_dt(d, "_HEAP", h->address, 0, &rows, &nrows, &layout);
            hd_dt(d, "_HEAP_ENTRY", h->address + 0x600, 0, &rows, &nrows, &layout);
        }
        {
            hd_block blk;
            hd_heap_block_at(d, base + 0x800, &blk);
        }
        hd_addrmap_mark_heaps(d);
        hd_close(d);
    }
    free(b.p);
    return 0;
}
