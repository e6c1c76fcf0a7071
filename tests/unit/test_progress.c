/*
** test_progress.c - the progress hook (hd_set_progress): long heap walks report "walking heaps"
** every 64 K blocks with their heap's place in the list, then end with phase NULL; no hook, no
** calls.
**
** Ground truth: a mkdump scenario with one back-end heap of 150,000 small blocks; the manifest
** counts the blocks of each heap, and a heap of N blocks must report exactly floor(N / 65536)
** times, with blocks = 65536, 131072, ... (the walk hands every block, internal ones included,
** to its callback once).
*/
#include "testutil.h"
#include <stdlib.h>
#include <string.h>
#include "heapdig.h"
#include "tjson.h"

typedef struct rec { size_t calls, ends; size_t item[16], items[16]; uint64_t blocks[16]; int ended_last; } rec;

static void on_progress(void *user, const hd_progress *p)
{
    rec *r = user;
    if (!p->phase) {
        r->ends++;
        r->ended_last = 1;
        return;
    }
    if (strcmp(p->phase, "walking heaps") != 0) return;
    if (r->calls < 16) {
        r->item[r->calls] = p->item;
        r->items[r->calls] = p->items;
        r->blocks[r->calls] = p->blocks;
    }
    r->calls++;
    r->ended_last = 0;
}

static void test_walk_progress(void **state)
{
    const char *scn = tu_data_path("progress.scn"), *dmp = tu_data_path("progress.dmp"), *man = tu_data_path("progress.json");
    static const char text[] = "process p.exe pid=7 threads=1\n"
                               "heap big private flags=0x1002 lfh=off reserve=16M\n"
                               "alloc big 150000 16-48\n";
    hd_dump *d = NULL;
    tj_doc *doc;
    const tj *heaps;
    size_t i, k, n, big = SIZE_MAX;
    uint64_t nblocks = 0;
    rec r;
    (void)state;
    assert_int_equal(tu_write_file(scn, text, sizeof text - 1), 0);
    assert_int_equal(tu_mkdump("win10-x64", scn, 1, 0, dmp, man), 0);
    assert_non_null(doc = tj_parse_file(man));
    assert_int_equal(hd_open(dmp, NULL, &d), HD_OK);
    n = hd_heap_count(d);
    heaps = tj_get(tj_root(doc), "heaps");
    for (k = 0; k < tj_len(heaps); k++) {
        const tj *h = tj_at(heaps, k);
        if (tj_len(tj_get(h, "blocks")) <= 100000) continue;
        nblocks = tj_len(tj_get(h, "blocks"));
        for (i = 0; i < n; i++)
            if (hd_heap_at(d, i)->address == tj_u64(tj_get(h, "address"))) big = i;
    }
    assert_true(nblocks > 131072 && nblocks < 196608);   /* two reports expected */
    assert_true(big != SIZE_MAX);

    memset(&r, 0, sizeof r);
    hd_set_progress(d, on_progress, &r);
    assert_int_equal(hd_heap_analyze(d, hd_heap_at(d, big)), HD_OK);
    assert_int_equal(r.calls, nblocks / 65536);
    for (i = 0; i < r.calls; i++) {
        assert_int_equal(r.item[i], big + 1);
        assert_int_equal(r.items[i], n);
        assert_int_equal(r.blocks[i], 65536 * (i + 1));
    }
    assert_int_equal(r.ends, 1);
    assert_true(r.ended_last);

    /* unhooked: a second walk reports nothing */
    memset(&r, 0, sizeof r);
    hd_set_progress(d, NULL, NULL);
    assert_int_equal(hd_heap_walk(d, hd_heap_at(d, big), NULL, NULL), HD_OK);
    assert_int_equal(r.calls + r.ends, 0);
    hd_close(d);
    tj_free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_walk_progress)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
