/*
** fuzz_stack.c - libFuzzer target for the allocation-stack layer and the grouping: stack
** references resolved against hostile memory (+ust records, the classic stack trace database
** found by scanning, page heap traces), then grouped and named by hd_top_* and hd_diff_*.
**
** Input: byte 0 = flags (bit 0: 32-bit process), then the memory placed at 0x10000000 as one
** committed private region (so the database scan looks at it) and, from offset 0x40, a list of
** little-endian u32 "references": each is tried as a record offset (scheme 1 and 3) and as an
** index (scheme 2).  Seeds: corpus/stack (records and a database laid out as test_stack.c does).
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "heapdig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BASE 0x10000000ull

static void w16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void w32(uint8_t *p, uint32_t v) { w16(p, (uint16_t)v); w16(p + 2, (uint16_t)(v >> 16)); }
static void w64(uint8_t *p, uint64_t v) { w32(p, (uint32_t)v); w32(p + 4, (uint32_t)(v >> 32)); }
static uint32_t r32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* header 32 | directory 3 x 12 | SystemInfo 56 | MemoryList 4+16 | MemoryInfoList 16+48 | memory */
    const size_t dir = 32, sys = dir + 36, ml = sys + 56, mi = ml + 20, mem = mi + 64;
    size_t n, i;
    uint8_t *f;
    unsigned ptr;
    hd_dump *d = NULL;
    if (size < 1 || size > (1u << 22)) return 0;
    ptr = (data[0] & 1) ? 4 : 8;
    n = size - 1;
    if (!(f = calloc(1, mem + n + 1))) return 0;
    w32(f, 0x504D444Du);
    w32(f + 4, 0xA793u);
    w32(f + 8, 3);
    w32(f + 12, (uint32_t)dir);
    w32(f + dir, 7); w32(f + dir + 4, 56); w32(f + dir + 8, (uint32_t)sys);
    w32(f + dir + 12, 5); w32(f + dir + 16, 20); w32(f + dir + 20, (uint32_t)ml);
    w32(f + dir + 24, 16); w32(f + dir + 28, 64); w32(f + dir + 32, (uint32_t)mi);
    w16(f + sys, ptr == 8 ? 9 : 0);
    w32(f + ml, 1); w64(f + ml + 4, BASE); w32(f + ml + 12, (uint32_t)n); w32(f + ml + 16, (uint32_t)mem);
    w32(f + mi, 16); w32(f + mi + 4, 48); w64(f + mi + 8, 1);
    w64(f + mi + 16, BASE); w64(f + mi + 24, BASE); w32(f + mi + 32, 4); w64(f + mi + 40, (n + 0xFFF) & ~(uint64_t)0xFFF);
    w32(f + mi + 48, 0x1000); w32(f + mi + 52, 4); w32(f + mi + 56, 0x20000);
    if (n) memcpy(f + mem, data + 1, n);
    if (hd_open_mem(f, mem + n, NULL, &d) == HD_OK) {
        hd_top_acc *a = NULL;
        hd_summary *s = NULL, *s2 = NULL;
        hd_diff *df = NULL;
        hd_top_opts o;
        memset(&o, 0, sizeof o);
        if (hd_top_begin(d, &o, &a) == HD_OK) {
            for (i = 0x40; i + 4 <= n && i < 0x40 + 4 * 64; i += 4) {
                uint32_t ref = r32(data + 1 + i);
                hd_top_add(a, BASE + i, ref & 0xFFF, 1, 1, BASE + (ref % (n + 16)), ptr);
                hd_top_add(a, BASE + i, 16, 1, 2, ref & 0xFFFF, ptr);
                hd_top_add(a, BASE + i, 32, 1, 3, BASE + ((ref >> 3) % (n + 16)), ptr);
                hd_top_add(a, BASE + i, 48, 1, 0, 0, ptr);
            }
            hd_top_end(a, &s);
        }
        o.by = HD_BY_FUNCTION;
        if (hd_top_begin(d, &o, &a) == HD_OK) {
            for (i = 0x40; i + 4 <= n && i < 0x40 + 4 * 16; i += 4) hd_top_add(a, BASE, 8, 1, 1, BASE + (r32(data + 1 + i) % (n + 16)), ptr);
            hd_top_end(a, &s2);
        }
        if (s && s2 && hd_diff_summaries(s, s, &df) == HD_OK) hd_diff_free(df);
        hd_summary_free(s);
        hd_summary_free(s2);
        hd_close(d);
    }
    free(f);
    return 0;
}
