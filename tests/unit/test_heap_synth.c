/*
** test_heap_synth.c - heap discovery on small hand-built dumps (tests/util/mdb): cases neither
** the real corpus nor mkdump produce.
**
** Ground truth: the bytes placed here by hand after the reference (§1.5: 0xDDEEDDEE at +0x10 x64 /
** +0x08 x86 marks a segment heap; 0xFFEEFFEE alone does not make an NT heap, §10).
*/
#include "testutil.h"
#include <stdlib.h>
#include <string.h>
#include "heapdig.h"
#include "mdb.h"

static hd_dump *open_built(mdb *b)
{
    hd_dump *d = NULL;
    assert_int_equal(hd_open_mem(b->buf, b->len, NULL, &d), HD_OK);
    return d;
}

/* A segment heap is recognised by its signature and reported, not walked. */
static void test_segment_heap(void **state)
{
    static uint8_t page[4096];
    mdb b;
    mdb_proc p;
    hd_dump *d;
    const hd_heap *h;
    (void)state;
    memset(&p, 0, sizeof p);
    p.nthreads = 1;
    p.nheaps = 1;
    memset(page, 0, sizeof page);
    put32(page + 0x10, 0xDDEEDDEE);   /* _SEGMENT_HEAP.Signature, x64 (§9.1) */
    mdb_init(&b);
    mdb_mem(&b, MDB_HEAP(0), page, sizeof page);   /* listed first: wins over the builder's zero page */
    mdb_process(&b, &p);
    mdb_finish(&b, 2);
    d = open_built(&b);
    h = hd_heap_find(d, MDB_HEAP(0));
    assert_non_null(h);
    assert_int_equal(h->kind, HD_HEAP_SEGMENT);
    assert_string_equal(h->kind_name, "segment");
    assert_true(h->found_by & HD_FOUND_PEB_LIST);
    assert_true(h->problem_count > 0);
    assert_non_null(strstr(h->problems[0], "not walked"));
    assert_int_equal(hd_heap_walk(d, h, NULL, NULL), HD_EUNSUPPORTED);
    hd_close(d);
    mdb_free(&b);
}

/* 0xFFEEFFEE at +0x08 of an x86 page is not enough: every other invariant fails. */
static void test_signature_alone(void **state)
{
    static uint8_t page[4096];
    mdb b;
    mdb_proc p;
    hd_dump *d;
    const hd_heap *h;
    size_t i;
    int sig_fails = 0;
    (void)state;
    memset(&p, 0, sizeof p);
    p.x86 = 1;
    p.nthreads = 1;
    p.nheaps = 1;
    memset(page, 0xA5, sizeof page);
    put32(page + 0x08, 0xFFEEFFEE);
    mdb_init(&b);
    mdb_mem(&b, MDB_HEAP(0), page, sizeof page);   /* listed first: wins over the builder's zero page */
    mdb_process(&b, &p);
    mdb_finish(&b, 2);
    d = open_built(&b);
    h = hd_heap_find(d, MDB_HEAP(0));
    assert_non_null(h);
    assert_int_equal(h->ptr_size, 4);
    assert_int_equal(h->kind, HD_HEAP_NOT_A_HEAP);
    for (i = 0; i < h->evidence_count; i++)
        if (strstr(h->evidence[i].check, "Signature 0xEEFFEEFF") && h->evidence[i].passed == 0) sig_fails++;
    assert_int_equal(sig_fails, 4);   /* every candidate x86 tail (§2.3) */
    assert_true(h->problem_count >= 2);
    hd_close(d);
    mdb_free(&b);
}

/* The builder's listed heaps are one zeroed page: no signature at all, "not a heap", said so. */
static void test_zero_page(void **state)
{
    mdb b;
    mdb_proc p;
    hd_dump *d;
    const hd_heap *h;
    hd_block blk;
    (void)state;
    memset(&p, 0, sizeof p);
    p.nthreads = 1;
    p.nheaps = 2;
    mdb_init(&b);
    mdb_process(&b, &p);
    mdb_finish(&b, 2);
    d = open_built(&b);
    assert_int_equal(hd_heap_count(d), 2);
    h = hd_heap_at(d, 0);
    assert_int_equal(h->kind, HD_HEAP_NOT_A_HEAP);
    assert_non_null(strstr(h->problems[0], "no heap signature"));
    assert_int_equal(hd_heap_walk(d, h, NULL, NULL), HD_EUNSUPPORTED);
    assert_int_equal(hd_heap_block_at(d, MDB_HEAP(0) + 0x100, &blk), HD_ENOTFOUND);
    hd_close(d);
    mdb_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_segment_heap),
        cmocka_unit_test(test_signature_alone),
        cmocka_unit_test(test_zero_page),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
