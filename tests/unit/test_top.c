/*
** test_top.c - grouping (hd_top_begin/add/end) and diff on a hand-made dump: a "halcon.dll" image
** with three exports built byte by byte below (PE32+ headers, one .text section, an export
** directory), an ntdll and an app.exe without captured images, and +ust trace records whose
** frames are chosen here.  Expected groups are computed by hand from the blocks fed in.
*/
#include "testutil.h"
#include <stdlib.h>
#include <string.h>
#include "heapdig.h"
#include "mdbuild.h"

static void w16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void w32(uint8_t *p, uint32_t v) { w16(p, (uint16_t)v); w16(p + 2, (uint16_t)(v >> 16)); }
static void w64(uint8_t *p, uint64_t v) { w32(p, (uint32_t)v); w32(p + 4, (uint32_t)(v >> 32)); }

#define HALCON 0x7fed2200000ull
#define NTDLL 0x77000000ull
#define APP 0x13f000000ull
#define JIT1 0x7fe83e3bcf6ull
#define JIT2 0x7fe83e3cc10ull
#define IMG_SIZE 0x8000u

/* A PE32+ image (as mapped) exporting HXmalloc 0x1000, HXAllocRLTmp 0x2000, HXAllocTmp 0x5000. */
static uint8_t *make_halcon(void)
{
    uint8_t *m = calloc(1, IMG_SIZE);
    const uint32_t nt = 0x80, opt = nt + 24, sec = opt + 0xF0, dir = 0x6000;
    static const char *names[3] = {"HXAllocRLTmp", "HXAllocTmp", "HXmalloc"};   /* sorted */
    static const uint32_t rvas[3] = {0x1000, 0x2000, 0x5000};                    /* by ordinal */
    static const uint16_t ords[3] = {1, 2, 0};                                    /* name -> index */
    uint32_t i, at = dir + 0x100;
    m[0] = 'M'; m[1] = 'Z';
    w32(m + 0x3C, nt);
    memcpy(m + nt, "PE\0\0", 4);
    w16(m + nt + 4, 0x8664);
    w16(m + nt + 6, 1);                 /* one section */
    w16(m + nt + 0x14, 0xF0);           /* SizeOfOptionalHeader */
    w16(m + opt, 0x20b);
    w64(m + opt + 0x18, HALCON);
    w32(m + opt + 0x38, IMG_SIZE);
    w32(m + opt + 0x3C, 0x400);
    w32(m + opt + 0x6C, 16);            /* NumberOfRvaAndSizes */
    w32(m + opt + 0x70, dir);           /* export directory */
    w32(m + opt + 0x74, 0x200);
    memcpy(m + sec, ".text", 5);
    w32(m + sec + 8, 0x5000);           /* VirtualSize */
    w32(m + sec + 0xC, 0x1000);         /* VirtualAddress */
    w32(m + sec + 0x24, 0x60000020);
    w32(m + dir + 0xC, at);
    memcpy(m + at, "halcon.dll", 11);
    at += 16;
    w32(m + dir + 0x10, 1);             /* Base */
    w32(m + dir + 0x14, 3);
    w32(m + dir + 0x18, 3);
    w32(m + dir + 0x1C, dir + 0x40);    /* AddressOfFunctions */
    w32(m + dir + 0x20, dir + 0x60);    /* AddressOfNames */
    w32(m + dir + 0x24, dir + 0x80);    /* AddressOfNameOrdinals */
    for (i = 0; i < 3; i++) {
        w32(m + dir + 0x40 + 4 * i, rvas[i]);
        w32(m + dir + 0x60 + 4 * i, at);
        w16(m + dir + 0x80 + 2 * i, ords[i]);
        memcpy(m + at, names[i], strlen(names[i]) + 1);
        at += 16;
    }
    return m;
}

/* record {Next, Hash, Depth, Frames[]} at P */
static void put_record(uint8_t *p, uint32_t depth, const uint64_t *frames)
{
    uint32_t i;
    w32(p + 0xC, depth);
    for (i = 0; i < depth; i++) w64(p + 0x10 + 8 * i, frames[i]);
}

#define REC 0x10000000ull
static const uint64_t R1[5] = {NTDLL + 0x5000, HALCON + 0x108b, HALCON + 0x2000 + 0x265d, HALCON + 0x5a80, JIT1};
static const uint64_t R2[4] = {NTDLL + 0x5000, HALCON + 0x108b, HALCON + 0x5a80, APP + 0x100};
static const uint64_t R4[5] = {NTDLL + 0x5000, HALCON + 0x108b, HALCON + 0x2000 + 0x265d, HALCON + 0x5a80, JIT2};

static uint8_t *dump_bytes;

static hd_dump *make_dump(void)
{
    mdw *b = mdw_new(9, 6, 1, 7601);
    uint8_t *img = make_halcon(), recs[0x400] = {0};
    size_t n;
    hd_dump *d = NULL;
    put_record(recs + 0x000, 5, R1);
    put_record(recs + 0x100, 4, R2);
    put_record(recs + 0x200, 5, R1);     /* same frames as R1, another record */
    put_record(recs + 0x300, 5, R4);     /* R1 with the JIT frame elsewhere */
    mdw_memory(b, REC, recs, sizeof recs);
    mdw_memory(b, HALCON, img, IMG_SIZE);
    mdw_module(b, NTDLL, 0x100000, "C:\\Windows\\System32\\ntdll.dll", NULL, 0, NULL);
    mdw_module(b, HALCON, IMG_SIZE, "C:\\halcon\\bin\\halcon.dll", NULL, 0, NULL);
    mdw_module(b, APP, 0x10000, "C:\\app\\app.exe", NULL, 0, NULL);
    mdw_region(b, 0x7fe83e30000ull, 0x7fe83e30000ull, 0x10000, 0x1000, 0x20, 0x20000);
    free(dump_bytes);
    dump_bytes = mdw_finish(b, &n);
    mdw_free(b);
    free(img);
    assert_int_equal(hd_open_mem(dump_bytes, n, NULL, &d), HD_OK);
    return d;
}

#define MB88 0x5800040ull
#define MB16 0x1000040ull

/* 120 blocks of 88 MB on R1 and 69 on its twin, 1 of 16 MB on R2, 100 x 0x40 and 3 x 0x100
** without a stack, 2 blocks whose record is unreadable. */
static hd_summary *feed(hd_dump *d, hd_group_by by, uint64_t min_size, int twin_jit)
{
    hd_top_acc *a = NULL;
    hd_summary *s = NULL;
    hd_top_opts o;
    int i;
    memset(&o, 0, sizeof o);
    o.by = by;
    o.min_size = min_size;
    assert_int_equal(hd_top_begin(d, &o, &a), HD_OK);
    for (i = 0; i < 120; i++) assert_int_equal(hd_top_add(a, 0x43500060 + (uint64_t)i * 0x6000000, MB88, 0x29fb0000, 1, REC, 8), HD_OK);
    for (i = 0; i < 69; i++) assert_int_equal(hd_top_add(a, 0x93500060 + (uint64_t)i * 0x6000000, MB88, 0x29fb0000, 1, twin_jit ? REC + 0x300 : REC + 0x200, 8), HD_OK);
    assert_int_equal(hd_top_add(a, 0x32970060, MB16, 0x29fb0000, 1, REC + 0x100, 8), HD_OK);
    for (i = 0; i < 100; i++) assert_int_equal(hd_top_add(a, 0x60000 + (uint64_t)i * 0x50, 0x40, 0x60000, 0, 0, 8), HD_OK);
    for (i = 0; i < 3; i++) assert_int_equal(hd_top_add(a, 0x70000 + (uint64_t)i * 0x110, 0x100, 0x60000, 0, 0, 8), HD_OK);
    for (i = 0; i < 2; i++) assert_int_equal(hd_top_add(a, 0x80000 + (uint64_t)i * 0x110, 0x100, 0x60000, 1, 0x55550000, 8), HD_OK);
    assert_int_equal(hd_top_end(a, &s), HD_OK);
    return s;
}

static void test_by_stack(void **state)
{
    hd_dump *d = make_dump();
    hd_summary *s = feed(d, HD_BY_STACK, 0, 0);
    const hd_group *g;
    (void)state;
    assert_int_equal(s->busy_blocks, 189 + 1 + 100 + 3 + 2);
    assert_int_equal(s->busy_bytes, 189 * MB88 + MB16 + 100 * 0x40 + 5 * 0x100);
    assert_int_equal(s->traced_blocks, 190);
    assert_int_equal(s->traced_bytes, 189 * MB88 + MB16);
    assert_int_equal(s->unresolved_blocks, 2);
    assert_int_equal(s->stack_count, 3);
    assert_int_equal(s->group_count, 4);   /* R1+twin, R2, size 0x40, size 0x100 */
    g = &s->groups[0];
    assert_int_equal(g->count, 189);
    assert_int_equal(g->bytes, 189 * MB88);
    assert_int_equal(g->stacks, 2);
    assert_true(g->has_stack);
    assert_int_equal(g->depth, 5);
    assert_string_equal(g->frames[0]->text, "ntdll+0x5000");
    assert_string_equal(g->frames[1]->text, "halcon!HXmalloc+0x8b");
    assert_string_equal(g->frames[2]->text, "halcon!HXAllocRLTmp+0x265d");
    assert_string_equal(g->frames[3]->text, "halcon!HXAllocTmp+0xa80");
    assert_string_equal(g->frames[4]->text, "0x7fe83e3bcf6");
    assert_true(g->frames[4]->jit);
    assert_int_equal(g->site_index, 1);
    assert_string_equal(g->site, "halcon!HXmalloc+0x8b");
    assert_string_equal(g->key, "ntdll+0x5000\nhalcon!HXmalloc+0x8b\nhalcon!HXAllocRLTmp+0x265d\nhalcon!HXAllocTmp+0xa80\n0x7fe83e3bcf6");
    assert_int_equal(g->min_size, MB88);
    assert_int_equal(g->max_size, MB88);
    assert_int_equal(g->example, 0x43500060);
    assert_int_equal(g->example_heap, 0x29fb0000);
    g = &s->groups[1];
    assert_int_equal(g->count, 1);
    assert_int_equal(g->bytes, MB16);
    assert_string_equal(g->frames[3]->text, "app+0x100");
    g = &s->groups[2];   /* 100 x 0x40 = 0x1900 bytes */
    assert_false(g->has_stack);
    assert_int_equal(g->size, 0x40);
    assert_int_equal(g->bytes, 100 * 0x40);
    assert_string_equal(g->key, "size 0x40");
    g = &s->groups[3];   /* 0x500 bytes: 3 + 2 blocks of 0x100 (the unreadable ones count as no stack) */
    assert_false(g->has_stack);
    assert_int_equal(g->size, 0x100);
    assert_int_equal(g->count, 5);
    assert_string_equal(g->key, "size 0x100");
    hd_summary_free(s);
    hd_close(d);
}

static void test_by_module_function_size(void **state)
{
    hd_dump *d = make_dump();
    hd_summary *s;
    (void)state;
    s = feed(d, HD_BY_MODULE, 0, 0);
    assert_int_equal(s->group_count, 3);
    assert_string_equal(s->groups[0].key, "halcon");
    assert_int_equal(s->groups[0].count, 190);
    assert_int_equal(s->groups[0].stacks, 3);
    assert_int_equal(s->groups[0].bytes, 189 * MB88 + MB16);
    hd_summary_free(s);
    s = feed(d, HD_BY_FUNCTION, 0, 0);
    assert_int_equal(s->group_count, 3);
    assert_string_equal(s->groups[0].key, "halcon!HXmalloc");
    assert_int_equal(s->groups[0].count, 190);
    hd_summary_free(s);
    s = feed(d, HD_BY_SIZE, 0, 0);
    assert_int_equal(s->group_count, 4);
    assert_int_equal(s->groups[0].size, MB88);
    assert_int_equal(s->groups[0].count, 189);
    assert_true(s->groups[0].has_stack);          /* a stack seen at that size */
    assert_string_equal(s->groups[0].site, "halcon!HXmalloc+0x8b");
    assert_int_equal(s->groups[1].size, MB16);
    assert_int_equal(s->groups[2].size, 0x40);
    assert_int_equal(s->groups[3].size, 0x100);
    assert_int_equal(s->groups[3].count, 5);
    assert_true(s->groups[3].has_stack == 0);   /* only untraced / unreadable blocks at 0x100 */
    hd_summary_free(s);
    /* --min-size drops the small blocks before anything is counted */
    s = feed(d, HD_BY_STACK, 0x101, 0);
    assert_int_equal(s->busy_blocks, 190);
    assert_int_equal(s->group_count, 2);
    hd_summary_free(s);
    hd_close(d);
}

static void test_alloc_site_rules(void **state)
{
    hd_dump *d = make_dump();
    const hd_frame *f[3];
    (void)state;
    assert_int_equal(hd_symbolize(d, NTDLL + 0x10, &f[0]), HD_OK);
    assert_int_equal(hd_symbolize(d, NTDLL + 0x20, &f[1]), HD_OK);
    assert_int_equal(hd_symbolize(d, APP + 0x30, &f[2]), HD_OK);
    assert_int_equal(hd_alloc_site(f, 3), 2);
    assert_int_equal(hd_alloc_site(f, 2), 1);    /* all allocator frames: the outermost */
    assert_int_equal(hd_alloc_site(f, 0), 0);
    hd_close(d);
}

static void test_diff(void **state)
{
    hd_dump *d = make_dump();
    hd_summary *o = NULL, *n = NULL;
    hd_top_acc *a = NULL;
    hd_diff *df = NULL;
    int i;
    (void)state;
    /* old: 10 blocks of 88 MB on R1, 1 of 16 MB on R2, 50 of 0x40 */
    assert_int_equal(hd_top_begin(d, NULL, &a), HD_OK);
    for (i = 0; i < 10; i++) hd_top_add(a, 0x43500060 + (uint64_t)i * 0x6000000, MB88, 0x29fb0000, 1, REC, 8);
    hd_top_add(a, 0x32970060, MB16, 0x29fb0000, 1, REC + 0x100, 8);
    for (i = 0; i < 50; i++) hd_top_add(a, 0x60000 + (uint64_t)i * 0x50, 0x40, 0x60000, 0, 0, 8);
    assert_int_equal(hd_top_end(a, &o), HD_OK);
    n = feed(d, HD_BY_STACK, 0, 0);
    assert_int_equal(hd_diff_summaries(o, n, &df), HD_OK);
    assert_int_equal(df->bytes_delta, (int64_t)(179 * MB88 + 50 * 0x40 + 5 * 0x100));
    assert_int_equal(df->count_delta, 179 + 50 + 5);
    assert_int_equal(df->row_count, 4);
    assert_int_equal(df->rows[0].bytes_delta, (int64_t)(179 * MB88));
    assert_int_equal(df->rows[0].count_delta, 179);
    assert_non_null(df->rows[0].old_group);
    assert_non_null(df->rows[0].new_group);
    assert_int_equal(df->rows[1].bytes_delta, 50 * 0x40);
    assert_int_equal(df->rows[2].bytes_delta, 5 * 0x100);
    assert_null(df->rows[2].old_group);          /* new in the second dump */
    assert_int_equal(df->rows[3].bytes_delta, 0);   /* the 16 MB block did not grow */
    hd_diff_free(df);
    /* JIT code moved: the twin record's stack differs only outside modules and still matches */
    hd_summary_free(n);
    n = feed(d, HD_BY_STACK, 0, 1);
    assert_int_equal(n->group_count, 5);         /* exact keys now differ for the twin */
    assert_int_equal(hd_diff_summaries(o, n, &df), HD_OK);
    assert_int_equal(df->rows[0].count_delta, 110);   /* 120 on R1 - 10 */
    assert_non_null(df->rows[0].old_group);
    assert_int_equal(df->rows[1].count_delta, 69);    /* twin: new */
    assert_null(df->rows[1].old_group);
    hd_diff_free(df);
    hd_summary_free(o);
    hd_summary_free(n);
    /* mismatched modes are refused */
    o = feed(d, HD_BY_SIZE, 0, 0);
    n = feed(d, HD_BY_STACK, 0, 0);
    assert_int_equal(hd_diff_summaries(o, n, &df), HD_EINVAL);
    hd_summary_free(o);
    hd_summary_free(n);
    hd_close(d);
}

static void test_relaxed_match(void **state)
{
    hd_dump *d = make_dump();
    hd_summary *o = NULL, *n = NULL;
    hd_top_acc *a = NULL;
    hd_diff *df = NULL;
    int i;
    (void)state;
    /* old: only the JIT1 stack; new: only the JIT2 stack (same frames otherwise) */
    assert_int_equal(hd_top_begin(d, NULL, &a), HD_OK);
    for (i = 0; i < 3; i++) hd_top_add(a, 0x1000 + (uint64_t)i, MB88, 1, 1, REC, 8);
    assert_int_equal(hd_top_end(a, &o), HD_OK);
    assert_int_equal(hd_top_begin(d, NULL, &a), HD_OK);
    for (i = 0; i < 5; i++) hd_top_add(a, 0x1000 + (uint64_t)i, MB88, 1, 1, REC + 0x300, 8);
    assert_int_equal(hd_top_end(a, &n), HD_OK);
    assert_int_equal(hd_diff_summaries(o, n, &df), HD_OK);
    assert_int_equal(df->row_count, 1);
    assert_int_equal(df->rows[0].count_delta, 2);
    assert_string_equal(df->rows[0].old_group->frames[4]->text, "0x7fe83e3bcf6");
    assert_string_equal(df->rows[0].new_group->frames[4]->text, "0x7fe83e3cc10");
    hd_diff_free(df);
    hd_summary_free(o);
    hd_summary_free(n);
    hd_close(d);
}

static int teardown(void **state)
{
    (void)state;
    free(dump_bytes);
    dump_bytes = NULL;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_by_stack),
        cmocka_unit_test(test_by_module_function_size),
        cmocka_unit_test(test_alloc_site_rules),
        cmocka_unit_test(test_diff),
        cmocka_unit_test(test_relaxed_match),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
