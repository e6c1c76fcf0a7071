/*
** bench_address.c - writes the benchmark dump for `heapdig address --summary`: an x64 process with
** N captured memory ranges (Memory64List, 256 bytes each) in N committed regions of 8 KB,
** separated by free regions (MemoryInfoList: 2N + 1 regions), one thread whose TEB and PEB are
** captured, and a PEB listing 64 heaps (so the usage map has claims to look up).
**   bench_address OUT.dmp [N]        (N defaults to 100000)
** It writes the file as a stream, from its own encoding of the minidump layout (no library code).
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put32(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

#define BASE     0x10000000ull     /* first region */
#define STEP     0x4000ull         /* 8 KB committed + 8 KB free */
#define TEB      0x7FFFFF00000ull   /* above every region, for any N */
#define PEB      0x7FFFFF10000ull
#define NHEAPS   64

static int w(FILE *f, const void *p, size_t n) { return fwrite(p, 1, n, f) == n ? 0 : -1; }

int main(int argc, char **argv)
{
    uint64_t n = argc > 2 ? strtoull(argv[2], NULL, 10) : 100000, i;
    uint64_t nreg = 2 * n + 5, nrng = n + 2;           /* + [0, BASE), TEB, PEB and two gaps */
    uint8_t hdr[32] = {0}, dir[4 * 12] = {0}, sys[56] = {0}, thr[4 + 48] = {0}, e[48], d16[16];
    uint64_t off_sys, off_thr, off_mi, off_m64, off_data, mi_size, m64_size;
    uint8_t page[0x1000], range[256];
    FILE *f;
    if (argc < 2 || n == 0 || n > 50000000) {
        fprintf(stderr, "usage: bench_address OUT.dmp [N]\n");
        return 2;
    }
    if (!(f = fopen(argv[1], "wb"))) { perror(argv[1]); return 1; }
    off_sys = 32 + sizeof dir;
    off_thr = off_sys + sizeof sys;
    off_mi = off_thr + sizeof thr;
    mi_size = 16 + 48 * nreg;
    off_m64 = off_mi + mi_size;
    m64_size = 16 + 16 * nrng;
    off_data = off_m64 + m64_size;
    put32(hdr, 0x504D444Du);
    put32(hdr + 4, 0xA793u);
    put32(hdr + 8, 4);
    put32(hdr + 12, 32);
    put64(hdr + 24, 0x1806);   /* full memory, full memory info, thread info */
    put32(dir + 0, 7);  put32(dir + 4, sizeof sys);          put32(dir + 8, (uint32_t)off_sys);
    put32(dir + 12, 3); put32(dir + 16, sizeof thr);         put32(dir + 20, (uint32_t)off_thr);
    put32(dir + 24, 16); put32(dir + 28, (uint32_t)mi_size); put32(dir + 32, (uint32_t)off_mi);
    put32(dir + 36, 9); put32(dir + 40, (uint32_t)m64_size); put32(dir + 44, (uint32_t)off_m64);
    if (off_data > UINT32_MAX) { fprintf(stderr, "bench_address: N too large for 32-bit RVAs\n"); return 2; }
    put32(sys, 9);
    put32(sys + 8, 10);
    put32(sys + 0x10, 19041);
    put32(thr, 1);
    put32(thr + 4, 1);
    put64(thr + 4 + 0x10, TEB);
    if (w(f, hdr, 32) || w(f, dir, sizeof dir) || w(f, sys, sizeof sys) || w(f, thr, sizeof thr)) goto fail;
    /* MemoryInfoList: [0, BASE) free, then N x (8 KB commit + 8 KB free), TEB, PEB, free to top */
    memset(d16, 0, sizeof d16);
    put32(d16, 16);
    put32(d16 + 4, 48);
    put64(d16 + 8, nreg);
    if (w(f, d16, 16)) goto fail;
#define REGION(b, ab, sz, st, pr, ty)                                                  \
    do {                                                                               \
        memset(e, 0, sizeof e);                                                        \
        put64(e, (b)); put64(e + 8, (ab)); put32(e + 0x10, (st) == 0x10000 ? 0 : 4);   \
        put64(e + 0x18, (sz)); put32(e + 0x20, (st)); put32(e + 0x24, (pr));          \
        put32(e + 0x28, (ty));                                                         \
        if (w(f, e, 48)) goto fail;                                                    \
    } while (0)
    REGION(0, 0, BASE, 0x10000, 1, 0);
    for (i = 0; i < n; i++) {
        uint64_t b = BASE + i * STEP;
        REGION(b, b, 0x2000, 0x1000, 4, 0x20000);
        REGION(b + 0x2000, 0, 0x2000, 0x10000, 1, 0);
    }
    REGION(TEB, TEB, 0x2000, 0x1000, 4, 0x20000);
    REGION(PEB, PEB, 0x1000, 0x1000, 4, 0x20000);
    /* between the last region and the TEB, and after the PEB: free */
    REGION(BASE + n * STEP, 0, TEB - (BASE + n * STEP), 0x10000, 1, 0);
    REGION(PEB + 0x1000, 0, 0x7FFFFFF0000ull - (PEB + 0x1000), 0x10000, 1, 0);
    /* Memory64List: TEB page, PEB page, then the first 256 bytes of each committed region */
    put64(d16, nrng);
    put64(d16 + 8, off_data);
    if (w(f, d16, 16)) goto fail;
    put64(d16, TEB); put64(d16 + 8, 0x1000); if (w(f, d16, 16)) goto fail;
    put64(d16, PEB); put64(d16 + 8, 0x1000); if (w(f, d16, 16)) goto fail;
    for (i = 0; i < n; i++) {
        put64(d16, BASE + i * STEP);
        put64(d16 + 8, sizeof range);
        if (w(f, d16, 16)) goto fail;
    }
    memset(page, 0, sizeof page);          /* TEB: Self +0x30, PEB +0x60, stack in region 1 */
    put64(page + 0x08, BASE + STEP + 0x2000);
    put64(page + 0x10, BASE + STEP);
    put64(page + 0x30, TEB);
    put64(page + 0x60, PEB);
    if (w(f, page, sizeof page)) goto fail;
    memset(page, 0, sizeof page);          /* PEB: NumberOfHeaps 64, ProcessHeaps at PEB + 0x800 */
    put64(page + 0x30, BASE);
    put32(page + 0xE8, NHEAPS);
    put32(page + 0xEC, NHEAPS);
    put64(page + 0xF0, PEB + 0x800);
    for (i = 0; i < NHEAPS && i < n; i++) put64(page + 0x800 + 8 * i, BASE + (i * 64 % n) * STEP);
    if (w(f, page, sizeof page)) goto fail;
    memset(range, 0xAB, sizeof range);
    for (i = 0; i < n; i++)
        if (w(f, range, sizeof range)) goto fail;
    if (fclose(f) != 0) { perror(argv[1]); return 1; }
    printf("%s: %llu memory ranges, %llu regions\n", argv[1], (unsigned long long)nrng, (unsigned long long)nreg);
    return 0;
fail:
    perror(argv[1]);
    fclose(f);
    return 1;
}
