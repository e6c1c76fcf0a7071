/*
** test_mkdump.c - mkdump's tests.  Every check is made on the written files by the test-side
** validator (mdcheck.c: its own minidump reader and heap walker), never by the analyzer:
**   - every layout's dump parses and satisfies the §10 invariants, and the manifest agrees;
**   - same seed => byte-identical dump and manifest; different seed => different keys;
**   - the seed scenario reproduces the numbers of ../shared/seed/ (checked by hand there);
**   - injected damage is exactly where the manifest says, and the validator itself fails on
**     undeclared damage (a checker that cannot fail proves nothing).
*/
#define _XOPEN_SOURCE 700
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "../mkdump.h"
#include "tjson.h"
#include "mdcheck.h"

static char path_buf[8][1024];
static const char *out_path(int slot, const char *name)
{
    snprintf(path_buf[slot], sizeof path_buf[slot], "%s/%s", MK_TEST_DIR, name);
    return path_buf[slot];
}

/* Run mkdump; returns its exit status. */
static int mkdump(const char *fmt, ...)
{
    char args[2048], cmd[4096];
    va_list ap;
    int rc;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "'%s' %s", MKDUMP_EXE, args);
    rc = system(cmd);
    return rc == -1 ? -1 : (rc >> 8) & 0xFF;
}

static void check_ok(const char *dmp, const char *man, mdc_result *r)
{
    mdc_check(dmp, man, r);
    if (r->problems) print_message("%s:\n%s", dmp, r->msg);
    assert_int_equal(r->problems, 0);
}

static char *slurp(const char *p, size_t *n)
{
    FILE *f = fopen(p, "rb");
    char *b;
    long l;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    l = ftell(f);
    fseek(f, 0, SEEK_SET);
    b = malloc((size_t)l + 1);
    *n = fread(b, 1, (size_t)l, f);
    fclose(f);
    return b;
}

/* Every layout, default scenario (+ust, LFH, UCR gaps, VA blocks): valid dump, valid heaps. */
static void test_every_layout(void **state)
{
    size_t i;
    (void)state;
    for (i = 0; i < layout_count(); i++) {
        const layout *lo = layout_at(i);
        const char *d = out_path(0, "layout.dmp"), *j = out_path(1, "layout.json");
        mdc_result r;
        assert_int_equal(mkdump("--layout %s --scale 0.3 --seed %zu -o '%s' --truth '%s'", lo->name, i + 7, d, j), 0);
        check_ok(d, j, &r);
        assert_true(r.heaps >= 2);
        assert_true(r.blocks_walked > 100);
        assert_true(r.free_walked > 10);
        assert_true(r.va_walked >= 2);
        assert_true(r.ust_blocks > 100);           /* +ust prefixes with records checked */
        assert_true(r.stacks_checked == r.ust_blocks + r.classic_blocks);
        assert_true(r.segments >= 4);
        assert_true(r.lfh_blocks > 300);          /* LFH containers decoded and classified */
    }
}

/* Reference offsets checked directly (not through the layout tables). */
static void test_reference_spot_checks(void **state)
{
    const char *d = out_path(0, "spot.dmp"), *j = out_path(1, "spot.json");
    const tj *m;
    tj_doc *m_doc;
    (void)state;
    /* win7-x64: the seed's `dt nt!_HEAP` shows VirtualAllocdBlocks at +0x118 (§7.3) */
    assert_int_equal(mkdump("--layout win7-x64 --scenario seed --scale 0.02 -o '%s' --truth '%s'", d, j), 0);
    m = tj_root(m_doc = tj_parse_file(j));
    assert_non_null(m);
    {
        const tj *hs = tj_get(m, "heaps");
        size_t i, found = 0;
        for (i = 0; i < tj_len(hs); i++) {
            const tj *h = tj_at(hs, i), *bl = tj_get(h, "blocks");
            size_t k;
            if (strcmp(tj_str(tj_get(h, "name")), "halcon")) continue;
            /* the halcon heap is the seed's 0x29fb0000 with Flags 08001002 */
            assert_int_equal(tj_u64(tj_get(h, "address")), 0x29fb0000);
            assert_int_equal(tj_u64(tj_get(h, "flags")), 0x08001002);
            for (k = 0; k < tj_len(bl); k++) {
                const tj *b = tj_at(bl, k), *st;
                if (!tj_has(b, "va_entry") || tj_u64(tj_get(b, "user_size")) != 0x1000040) continue;
                /* !heap -p -a: HEAP_ENTRY = entry+0x30, UserPtr = entry+0x60, Size 100100 */
                assert_int_equal(tj_u64(tj_get(b, "address")), tj_u64(tj_get(b, "va_entry")) + 0x30);
                assert_int_equal(tj_u64(tj_get(b, "user_address")), tj_u64(tj_get(b, "va_entry")) + 0x60);
                assert_int_equal(tj_u64(tj_get(b, "size")) / 16, 0x100100);
                st = tj_get(b, "stack");
                assert_int_equal(tj_len(st), 7);
                assert_string_equal(tj_str(tj_at(st, 1)), "halcon!HXmalloc+0x8b");
                assert_string_equal(tj_str(tj_at(st, 2)), "halcon!HXAllocRLTmp+0x265d");
                assert_string_equal(tj_str(tj_at(st, 3)), "halcon!HXAllocTmp+0xa80");
                assert_string_equal(tj_str(tj_at(st, 4)), "halcon!HCancelWait+0x7a");
                assert_string_equal(tj_str(tj_at(st, 5)), "halcon!CCallHProc+0x73f");
                assert_string_equal(tj_str(tj_at(st, 6)), "0x7fe83e3bcf6");
                assert_string_equal(tj_str(tj_at(tj_get(b, "stack_raw"), 1)), "0x7fed230483b");
                assert_string_equal(tj_str(tj_at(tj_get(b, "stack_raw"), 0)), "0x775bc35b");
                found++;
            }
        }
        assert_true(found >= 1);
    }
    tj_free(m_doc);
    {
        mdc_result r;
        check_ok(d, j, &r);
    }
}

static void test_same_seed_same_bytes(void **state)
{
    const char *d1 = out_path(0, "a.dmp"), *j1 = out_path(1, "a.json"), *d2 = out_path(2, "b.dmp"), *j2 = out_path(3, "b.json");
    size_t n1, n2, m1, m2;
    char *a, *b, *x, *y;
    (void)state;
    assert_int_equal(mkdump("--layout win10-wow64 --seed 42 --scale 0.2 -o '%s' --truth '%s'", d1, j1), 0);
    assert_int_equal(mkdump("--layout win10-wow64 --seed 42 --scale 0.2 -o '%s' --truth '%s'", d2, j2), 0);
    a = slurp(d1, &n1);
    b = slurp(d2, &n2);
    x = slurp(j1, &m1);
    y = slurp(j2, &m2);
    assert_int_equal(n1, n2);
    assert_memory_equal(a, b, n1);
    assert_int_equal(m1, m2);
    assert_memory_equal(x, y, m1);
    free(a);
    free(b);
    free(x);
    free(y);
}

static void test_different_seed_different_keys(void **state)
{
    const char *j1 = out_path(1, "k1.json"), *j2 = out_path(3, "k2.json");
    const tj *a, *b;
    tj_doc *a_doc, *b_doc;
    size_t i;
    (void)state;
    assert_int_equal(mkdump("--layout win10-x64 --seed 1 --scale 0.1 -o '%s' --truth '%s'", out_path(0, "k1.dmp"), j1), 0);
    assert_int_equal(mkdump("--layout win10-x64 --seed 2 --scale 0.1 -o '%s' --truth '%s'", out_path(2, "k2.dmp"), j2), 0);
    a = tj_root(a_doc = tj_parse_file(j1));
    b = tj_root(b_doc = tj_parse_file(j2));
    assert_non_null(a);
    assert_non_null(b);
    for (i = 0; i < tj_len(tj_get(a, "heaps")); i++) {
        const tj *ha = tj_at(tj_get(a, "heaps"), i), *hb = tj_at(tj_get(b, "heaps"), i);
        assert_true(tj_u64(tj_get(ha, "encoding_key")) != tj_u64(tj_get(hb, "encoding_key")));
        if (tj_has(ha, "lfh_key")) assert_true(tj_u64(tj_get(ha, "lfh_key")) != tj_u64(tj_get(hb, "lfh_key")));
    }
    tj_free(a_doc);
    tj_free(b_doc);
}

/* The validator must fail on damage that the manifest does not declare. */
static void test_checker_can_fail(void **state)
{
    const char *d = out_path(0, "neg.dmp"), *j = out_path(1, "neg.json");
    size_t n;
    char *buf;
    const tj *m;
    tj_doc *m_doc;
    u64 target = 0, off = 0;
    FILE *f;
    mdc_result r;
    (void)state;
    assert_int_equal(mkdump("--layout win7-x86 --scale 0.1 -o '%s' --truth '%s'", d, j), 0);
    check_ok(d, j, &r);
    /* find the file offset of a busy back-end block's header through the dump's Memory64List */
    m = tj_root(m_doc = tj_parse_file(j));
    {
        const tj *bl = tj_get(tj_at(tj_get(m, "heaps"), 0), "blocks");
        size_t k;
        for (k = 0; k < tj_len(bl) && !target; k++)
            if (!strcmp(tj_str(tj_get(tj_at(bl, k), "kind")), "backend") && !strcmp(tj_str(tj_get(tj_at(bl, k), "state")), "busy"))
                target = tj_u64(tj_get(tj_at(bl, k), "address"));
    }
    tj_free(m_doc);
    buf = slurp(d, &n);
    {
        u32 ns = *(u32 *)(buf + 8), dir = *(u32 *)(buf + 12), i;
        for (i = 0; i < ns; i++)
            if (*(u32 *)(buf + dir + 12 * i) == 9) {
                char *s = buf + *(u32 *)(buf + dir + 12 * i + 8);
                u64 cnt = *(u64 *)s, base = *(u64 *)(s + 8), k;
                for (k = 0; k < cnt; k++) {
                    u64 va = *(u64 *)(s + 16 + 16 * k), sz = *(u64 *)(s + 24 + 16 * k);
                    if (target >= va && target < va + sz) off = base + (target - va);
                    base += sz;
                }
            }
    }
    assert_true(off != 0);
    buf[off + 3] ^= 0x21;   /* x86: SmallTagIndex */
    f = fopen(d, "wb");
    fwrite(buf, 1, n, f);
    fclose(f);
    free(buf);
    mdc_check(d, j, &r);
    assert_true(r.problems > 0);
    assert_non_null(strstr(r.msg, "checksum"));
}

static const char *write_scenario(int slot, const char *name, const char *text)
{
    const char *p = out_path(slot, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return p;
}

/* +ust recorded the classic way (§7.1): EXTRA_PRESENT + AllocatorBackTraceIndex, no LFH. */
static void test_ust_classic(void **state)
{
    static const char *layouts[] = {"win7-x64", "win10-x86", "win7-wow64"};
    const char *sc = write_scenario(2, "classic.txt",
        "process classic.exe\n"
        "gflags +ust\n"
        "ust-mode classic\n"
        "stack a ntdll!RtlAllocateHeap+0x1a4 classic!Work+0x10 kernel32!BaseThreadInitThunk+0xd\n"
        "stack b ntdll!RtlAllocateHeap+0x1a4 classic!Other+0x22 jit+0x300\n"
        "heap process process\n"
        "heap second flags=0x1002 ucr-gaps=2\n"
        "alloc process 300 16-900 stack=a free=20\n"
        "alloc process 50 100-300 stack=b extra\n"
        "alloc second 200 16-5000 stack=b free=30\n"
        "alloc second 3 600K-2M stack=a\n");
    size_t i;
    (void)state;
    for (i = 0; i < ARRAY_LEN(layouts); i++) {
        const char *d = out_path(0, "classic.dmp"), *j = out_path(1, "classic.json");
        mdc_result r;
        assert_int_equal(mkdump("--layout %s --scenario '%s' -o '%s' --truth '%s'", layouts[i], sc, d, j), 0);
        check_ok(d, j, &r);
        assert_true(r.classic_blocks > 300);       /* every traced block resolved through the database */
        assert_int_equal(r.ust_blocks, 0);
        assert_int_equal(r.lfh_blocks, 0);
    }
}

static void test_page_heap(void **state)
{
    static const char *layouts[] = {"win7-x64", "win10-x86", "win10-wow64", "win11-x64"};
    const char *sc = write_scenario(2, "ph.txt",
        "process ph.exe\n"
        "gflags +ust +hpa\n"
        "stack a ntdll!RtlAllocateHeap+0x1a4 ph!Work+0x10 kernel32!BaseThreadInitThunk+0xd\n"
        "heap process process\n"
        "heap paged flags=0x1002\n"
        "alloc process 100 16-900 stack=a free=20\n"
        "alloc paged 40 1-9000 stack=a\n");
    size_t i;
    (void)state;
    for (i = 0; i < ARRAY_LEN(layouts); i++) {
        const char *d = out_path(0, "ph.dmp"), *j = out_path(1, "ph.json");
        mdc_result r;
        assert_int_equal(mkdump("--layout %s --scenario '%s' -o '%s' --truth '%s'", layouts[i], sc, d, j), 0);
        check_ok(d, j, &r);
        assert_int_equal(r.pageheap_blocks, 40);   /* every node in the AVL tree, stamps, guard pages */
    }
}

/* Injected damage is exactly where the manifest says, and everything else still checks out. */
static void test_corruptions(void **state)
{
    static const char *layouts[] = {"win7-x64", "win10-x86", "win7-wow64", "win11-24h2-x64"};
    const char *sc = write_scenario(2, "corr.txt",
        "process corr.exe\n"
        "gflags +ust\n"
        "stack a ntdll!RtlAllocateHeap+0x1a4 corr!Work+0x10 kernel32!BaseThreadInitThunk+0xd\n"
        "heap process process\n"
        "heap h1 flags=0x1002 lfh=off\n"
        "heap h2 flags=0x1002 lfh=off\n"
        "heap h3 flags=0x1002 lfh=off\n"
        "heap h4 flags=0x1002 lfh=off\n"
        "heap h5 flags=0x1002 lfh=off\n"
        "heap h6 flags=0x1002 lfh=off\n"
        "alloc process 300 16-900 stack=a free=20\n"
        "alloc h1 300 16-3000 stack=a free=30\n"
        "alloc h2 300 16-3000 stack=a free=30\n"
        "alloc h3 300 16-3000 stack=a free=30\n"
        "alloc h3 3 2M stack=a\n"
        "alloc h4 300 16-3000 stack=a free=30\n"
        "alloc h5 300 16-3000 stack=a free=30\n"
        "alloc h5 2 2M stack=a\n"
        "alloc h6 2000 16-3000 stack=a free=30\n"
        "corrupt bad-checksum h1 nth=10\n"
        "corrupt broken-link h2 nth=5\n"
        "corrupt cyclic-list h3\n"
        "corrupt truncated-range h4\n"
        "corrupt missing-memory h5\n"
        "corrupt missing-memory h6\n");
    size_t i;
    (void)state;
    for (i = 0; i < ARRAY_LEN(layouts); i++) {
        const char *d = out_path(0, "corr.dmp"), *j = out_path(1, "corr.json");
        mdc_result r;
        const tj *m;
        tj_doc *m_doc;
        assert_int_equal(mkdump("--layout %s --scenario '%s' -o '%s' --truth '%s'", layouts[i], sc, d, j), 0);
        check_ok(d, j, &r);
        assert_int_equal(r.corruptions_seen, 6);
        m = tj_root(m_doc = tj_parse_file(j));
        assert_int_equal(tj_len(tj_get(m, "corruptions")), 6);
        tj_free(m_doc);
    }
}

/* A bad scenario is refused with exit status 2 and a message naming the line. */
static void test_scenario_errors(void **state)
{
    static const struct { const char *text, *msg; } cases[] = {
        {"heap a\nalloc b 10 16\n", "line 2: unknown heap: b"},
        {"heap a\nalloc a 10 16 stack=nope\n", "line 2: unknown stack: nope"},
        {"# c\n\nstack s foo\n", "line 3: a frame is module!function"},
        {"heap a\nsegment a base=0x10000 reserve=0x1000000 commit=0x2000\n", "SegmentOffset"},
        {"heap a\ncorrupt melt a\n", "unknown corruption"},
        {"frobnicate\n", "line 1: unknown statement"},
    };
    size_t i;
    (void)state;
    for (i = 0; i < ARRAY_LEN(cases); i++) {
        const char *sc = write_scenario(2, "bad.txt", cases[i].text), *errf = out_path(3, "err.txt");
        size_t n;
        char *e;
        assert_int_equal(mkdump("--layout win10-x64 --scenario '%s' -o '%s' 2> '%s'", sc, out_path(0, "bad.dmp"), errf), 2);
        e = slurp(errf, &n);
        assert_non_null(e);
        e[n] = 0;
        if (!strstr(e, cases[i].msg)) print_message("stderr: %s\n", e);
        assert_non_null(strstr(e, cases[i].msg));
        free(e);
    }
}

static void test_list_layouts(void **state)
{
    const char *o = out_path(0, "layouts.txt");
    size_t n;
    char *t;
    static const char *names[] = {"win7-x86", "win7-x64", "win81-x86", "win81-x64", "win10-1607-x64", "win10-x86",
                                  "win10-x64", "win11-x64", "win11-24h2-x64", "win7-wow64", "win10-wow64"};
    size_t i;
    (void)state;
    assert_int_equal(mkdump("--list-layouts > '%s'", o), 0);
    t = slurp(o, &n);
    assert_non_null(t);
    t[n] = 0;
    for (i = 0; i < ARRAY_LEN(names); i++) {
        char line[64];
        snprintf(line, sizeof line, "%s ", names[i]);
        assert_non_null(strstr(t, line));
    }
    free(t);
    assert_int_equal(mkdump("--layout win99 -o '%s' 2>/dev/null", out_path(1, "x.dmp")), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_layouts),
        cmocka_unit_test(test_every_layout),
        cmocka_unit_test(test_reference_spot_checks),
        cmocka_unit_test(test_same_seed_same_bytes),
        cmocka_unit_test(test_different_seed_different_keys),
        cmocka_unit_test(test_checker_can_fail),
        cmocka_unit_test(test_ust_classic),
        cmocka_unit_test(test_page_heap),
        cmocka_unit_test(test_corruptions),
        cmocka_unit_test(test_scenario_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
