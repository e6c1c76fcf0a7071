/*
** test_stack.c - resolving allocation-stack references (lib/stack) on small dumps whose trace
** records and stack trace databases are placed by hand (tests/util/mdbuild.c).  The ground truth
** is the bytes written here; the layouts are those of the reference (§7.1, §7.2, §8.5), written
** out again below rather than taken from the library.
*/
#include "testutil.h"
#include <stdlib.h>
#include <string.h>
#include "heapdig.h"
#include "mdbuild.h"

static void w16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void w32(uint8_t *p, uint32_t v) { w16(p, (uint16_t)v); w16(p + 2, (uint16_t)(v >> 16)); }
static void w64(uint8_t *p, uint64_t v) { w32(p, (uint32_t)v); w32(p + 4, (uint32_t)(v >> 32)); }
static void wptr(uint8_t *p, uint64_t v, unsigned ptr) { if (ptr == 8) w64(p, v); else w32(p, (uint32_t)v); }

/* A +ust trace record {Next, Hash u32, Depth u32, Frames[]} (§7.2). */
static void put_record(uint8_t *p, unsigned ptr, uint32_t depth, const uint64_t *frames)
{
    uint32_t i;
    wptr(p, 0, ptr);
    w32(p + ptr, 0xC0FFEE);
    w32(p + ptr + 4, depth);
    for (i = 0; i < depth; i++) wptr(p + ptr + 8 + i * ptr, frames[i], ptr);
}

/* A classic _RTL_STACK_TRACE_ENTRY (§7.1): Index u16 at +0xC/+0x8, Depth u16 at +0xE/+0xA. */
static void put_entry(uint8_t *p, unsigned ptr, uint16_t index, uint16_t depth, const uint64_t *frames)
{
    unsigned io = ptr == 8 ? 0xC : 0x8, fo = ptr == 8 ? 0x10 : 0xC;
    uint16_t i;
    w16(p + io, index);
    w16(p + io + 2, depth);
    for (i = 0; i < depth; i++) wptr(p + fo + i * ptr, frames[i], ptr);
}

/* A _STACK_TRACE_DATABASE at BASE (reservation SIZE) holding entries at ENTRY_OFF[i] for index i+1. */
static void put_db(uint8_t *r, uint64_t base, uint64_t size, unsigned ptr, size_t n, const uint64_t *entry_off)
{
    /* x86 / x64 offsets of §7.1 */
    unsigned cb = ptr == 8 ? 0x88 : 0x48, lc = ptr == 8 ? 0x90 : 0x4C, uc = ptr == 8 ? 0x98 : 0x50;
    unsigned nl = ptr == 8 ? 0xA0 : 0x54, nu = ptr == 8 ? 0xA8 : 0x58, lu = ptr == 8 ? 0xB0 : 0x5C;
    unsigned ad = ptr == 8 ? 0xB4 : 0x60, ia = ptr == 8 ? 0xB8 : 0x64, nb = ptr == 8 ? 0x2D0 : 0x178;
    unsigned bk = ptr == 8 ? 0x2D8 : 0x17C;
    uint64_t top = base + size;
    size_t i;
    wptr(r + cb, base, ptr);
    wptr(r + nl, base + 0x4000, ptr);
    wptr(r + lc, base + 0x8000, ptr);
    wptr(r + uc, top - 0x1000, ptr);
    wptr(r + nu, top - 0x100, ptr);
    w32(r + lu, 100);
    w32(r + ad, (uint32_t)n);
    wptr(r + ia, top, ptr);
    w32(r + nb, 137);
    wptr(r + bk, base + 0x400, ptr);
    for (i = 0; i < n; i++) wptr(r + size - (i + 1) * ptr, base + entry_off[i], ptr);
}

static const uint64_t F1[3] = {0x7fed230483bull, 0x7fed22dd81dull, 0x7fe83e3bcf6ull};
static const uint64_t F2[2] = {0x775bc35bull, 0x7fed2386b8full};
static const uint64_t F3[4] = {0x401010, 0x402020, 0x403030, 0x404040};

static hd_dump *open_built(mdw *b)
{
    size_t n;
    uint8_t *bytes = mdw_finish(b, &n);
    hd_dump *d = NULL;
    static uint8_t *keep[16];
    static int k;
    free(keep[k % 16]);
    keep[k++ % 16] = bytes;   /* hd_open_mem keeps a pointer: free it a few dumps later */
    assert_int_equal(hd_open_mem(bytes, n, NULL, &d), HD_OK);
    return d;
}

/* Frames as written with pointer size PTR (4: truncated to 32 bits). */
static void assert_frames_p(const hd_stack *s, const uint64_t *want, uint32_t n, unsigned ptr)
{
    uint32_t i;
    assert_non_null(s);
    assert_int_equal(s->depth, n);
    for (i = 0; i < n; i++) assert_int_equal(s->frames[i], ptr == 8 ? want[i] : (want[i] & 0xFFFFFFFFu));
}
#define assert_frames(s, w, n) assert_frames_p((s), (w), (n), 8)

static void test_ust_records_x64(void **state)
{
    mdw *b = mdw_new(9, 10, 0, 19041);
    uint8_t page[0x1000] = {0};
    hd_dump *d;
    const hd_stack *s = NULL, *s2 = NULL, *s3 = NULL;
    size_t diags;
    (void)state;
    put_record(page, 8, 3, F1);
    put_record(page + 0x100, 8, 2, F2);
    w32(page + 0x200 + 0xC, 0);          /* depth 0: not a record */
    w32(page + 0x300 + 0xC, 5000);       /* depth beyond the limit (256) */
    mdw_memory(b, 0x10000000, page, sizeof page);
    mdw_region(b, 0x10000000, 0x10000000, 0x1000, 0x1000, 0x04, 0x20000);
    d = open_built(b);
    assert_int_equal(hd_stack_resolve(d, 1, 0x10000000, 8, &s), HD_OK);
    assert_frames(s, F1, 3);
    assert_int_equal(s->id, 0);
    assert_int_equal(s->record, 0x10000000);
    assert_int_equal(hd_stack_resolve(d, 1, 0x10000100, 8, &s2), HD_OK);
    assert_frames(s2, F2, 2);
    assert_int_equal(s2->id, 1);
    /* the same reference again: the same object, nothing re-read */
    assert_int_equal(hd_stack_resolve(d, 1, 0x10000000, 8, &s3), HD_OK);
    assert_ptr_equal(s3, s);
    assert_int_equal(hd_stack_count(d), 2);
    assert_ptr_equal(hd_stack_at(d, 1), s2);
    /* broken references: an error, one diagnostic each however often they are asked for */
    diags = hd_diag_count(d);
    assert_int_equal(hd_stack_resolve(d, 1, 0x10000200, 8, &s), HD_ECORRUPT);
    assert_null(s);
    assert_int_equal(hd_stack_resolve(d, 1, 0x10000300, 8, &s), HD_ECORRUPT);
    assert_int_equal(hd_stack_resolve(d, 1, 0x50000000, 8, &s), HD_EUNMAPPED);
    assert_int_equal(hd_diag_count(d), diags + 3);
    assert_int_equal(hd_stack_resolve(d, 1, 0x10000200, 8, &s), HD_ECORRUPT);
    assert_int_equal(hd_stack_resolve(d, 1, 0x50000000, 8, &s), HD_ECORRUPT);
    assert_int_equal(hd_diag_count(d), diags + 3);
    assert_int_equal(hd_stack_resolve(d, 0, 0, 8, &s), HD_ENOTFOUND);
    assert_int_equal(hd_stack_resolve(d, 1, 0x10000000, 5, &s), HD_EINVAL);
    hd_close(d);
    mdw_free(b);
}

static void classic_db(unsigned ptr)
{
    /* a decoy allocation first (header-like but its index array is garbage), then the real one */
    const uint64_t decoy = 0x20000000, base = 0x20100000, size = 0x40000;
    uint8_t *r = calloc(1, size), *dr = calloc(1, 0x10000);
    uint64_t offs[3] = {0x5000, 0x5200, 0x5400};
    mdw *b = mdw_new(ptr == 8 ? 9 : 0, 6, 1, 7601);
    hd_dump *d;
    const hd_stack *s1 = NULL, *s2 = NULL, *s3 = NULL, *su = NULL, *sp = NULL;
    assert_non_null(r);
    assert_non_null(dr);
    put_db(r, base, size, ptr, 3, offs);
    put_entry(r + 0x5000, ptr, 1, 3, F1);
    put_entry(r + 0x5200, ptr, 2, 2, F2);
    put_entry(r + 0x5400, ptr, 3, 4, F3);
    {
        uint64_t doffs[1] = {0x5000};
        put_db(dr, decoy, 0x10000, ptr, 1, doffs);
        put_entry(dr + 0x5000, ptr, 7, 1, F1);   /* index 7 where 1 is expected: rejected */
    }
    mdw_memory(b, decoy, dr, 0x10000);
    mdw_region(b, decoy, decoy, 0x10000, 0x1000, 0x04, 0x20000);
    mdw_memory(b, base, r, size);
    mdw_region(b, base, base, size, 0x1000, 0x04, 0x20000);
    d = open_built(b);
    assert_int_equal(hd_stack_resolve(d, 2, 1, ptr, &s1), HD_OK);
    assert_frames_p(s1, F1, 3, ptr);
    assert_int_equal(s1->record, base + 0x5000);
    assert_int_equal(hd_stack_resolve(d, 2, 2, ptr, &s2), HD_OK);
    assert_frames_p(s2, F2, 2, ptr);
    assert_int_equal(hd_stack_resolve(d, 2, 3, ptr, &s3), HD_OK);
    assert_frames_p(s3, F3, 4, ptr);
    assert_int_equal(hd_stack_resolve(d, 2, 4, ptr, &su), HD_ECORRUPT);   /* beyond the entries */
    assert_int_equal(hd_stack_resolve(d, 2, 0, ptr, &su), HD_ECORRUPT);
    /* a prefix record pointer or a page heap pointer at a classic entry: same stack object */
    assert_int_equal(hd_stack_resolve(d, 1, base + 0x5200, ptr, &su), HD_OK);
    assert_ptr_equal(su, s2);
    assert_int_equal(hd_stack_resolve(d, 3, base + 0x5400, ptr, &sp), HD_OK);
    assert_ptr_equal(sp, s3);
    assert_int_equal(hd_stack_count(d), 3);
    hd_close(d);
    mdw_free(b);
    free(r);
    free(dr);
}

static void test_classic_db_x64(void **state) { (void)state; classic_db(8); }
static void test_classic_db_x86(void **state) { (void)state; classic_db(4); }

static void test_no_db(void **state)
{
    mdw *b = mdw_new(9, 6, 1, 7601);
    uint8_t page[0x1000] = {0};
    hd_dump *d;
    const hd_stack *s = NULL;
    (void)state;
    mdw_memory(b, 0x10000000, page, sizeof page);
    mdw_region(b, 0x10000000, 0x10000000, 0x1000, 0x1000, 0x04, 0x20000);
    d = open_built(b);
    assert_int_equal(hd_stack_resolve(d, 2, 5, 8, &s), HD_ENOTFOUND);
    assert_true(hd_diag_count(d) >= 1);
    assert_non_null(strstr(hd_diag_get(d, hd_diag_count(d) - 1)->msg, "no 64-bit stack trace database"));
    hd_close(d);
    mdw_free(b);
}

static void test_x86_record(void **state)
{
    mdw *b = mdw_new(0, 10, 0, 19041);
    uint8_t page[0x100] = {0};
    hd_dump *d;
    const hd_stack *s = NULL;
    (void)state;
    put_record(page + 0x10, 4, 4, F3);   /* Hash +4, Depth +8, frames +0xC */
    mdw_memory(b, 0x00400000, page, sizeof page);
    d = open_built(b);
    assert_int_equal(hd_stack_resolve(d, 1, 0x00400010, 4, &s), HD_OK);
    assert_frames(s, F3, 4);
    hd_close(d);
    mdw_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ust_records_x64),
        cmocka_unit_test(test_classic_db_x64),
        cmocka_unit_test(test_classic_db_x86),
        cmocka_unit_test(test_no_db),
        cmocka_unit_test(test_x86_record),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
