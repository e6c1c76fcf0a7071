/*
** test_capture.c - hd_capture_verdict_get: what heap analysis each corpus dump allows.
**
** Ground truth: ../shared/corpus/SOURCES.md.  fizzbuzz_wow64.dmp: flags 0x1826 (full memory),
** "heap memory FULL" -> full.  win11_x86_partial_heap.dmp: flags 0x40 (indirectly referenced
** memory), "PARTIAL: ... only 1280 of its header bytes are in the dump" -> partial.  sigsegv.dmp
** (0x121), fizzbuzz_no_heap.dmp (0x1000), win7_x64_calc_normal.dmp (0x40000),
** winxp_x86_breakpad.dmp and win10_x64_unity_normal.dmp (MiniDumpNormal, 0): no flag that
** captures heap memory, "heap memory NONE" -> none, with the procdump advice.
*/
#include "testutil.h"
#include <string.h>
#include "heapdig.h"

static void expect(const char *name, hd_capture want)
{
    const char *path = tu_corpus(name);
    hd_dump *d = NULL;
    hd_capture_verdict v;
    if (!path) {
        print_message("[  SKIP    ] %s not found under %s\n", name, HD_CORPUS_DIR);
        return;
    }
    assert_int_equal(hd_open(path, NULL, &d), HD_OK);
    v = hd_capture_verdict_get(d);
    if (v.verdict != want) fail_msg("%s: verdict %s (%s), expected %d", name, v.name, v.why, (int)want);
    assert_non_null(v.why);
    if (want == HD_CAPTURE_FULL) {
        assert_null(v.advice);
    } else {
        assert_non_null(v.advice);
        assert_non_null(strstr(v.advice, "procdump -ma"));
    }
    hd_close(d);
}

static void test_corpus_verdicts(void **state)
{
    (void)state;
    if (!tu_corpus("fizzbuzz_wow64.dmp")) {
        print_message("[  SKIP    ] corpus not found under %s\n", HD_CORPUS_DIR);
        skip();
    }
    expect("fizzbuzz_wow64.dmp", HD_CAPTURE_FULL);
    expect("win11_x86_partial_heap.dmp", HD_CAPTURE_PARTIAL);
    expect("sigsegv.dmp", HD_CAPTURE_NONE);
    expect("fizzbuzz_no_heap.dmp", HD_CAPTURE_NONE);
    expect("win7_x64_calc_normal.dmp", HD_CAPTURE_NONE);
    expect("winxp_x86_breakpad.dmp", HD_CAPTURE_NONE);
    expect("win10_x64_unity_normal.dmp", HD_CAPTURE_NONE);
}

/* Every PEB-listed heap of the full dump is captured whole: captured == committed, reading the
** MemoryInfoList ourselves would give the same (test_corpus_fizzbuzz checks the map against it). */
static void test_heap_capture_of(void **state)
{
    TU_CORPUS_OR_SKIP(path, "fizzbuzz_wow64.dmp");
    hd_dump *d = NULL;
    const hd_process *p;
    size_t i, k;
    (void)state;
    assert_int_equal(hd_open(path, NULL, &d), HD_OK);
    p = hd_process_get(d);
    for (i = 0; i < p->peb_count; i++)
        for (k = 0; k < p->pebs[i].heap_count; k++) {
            hd_heap_capture c = hd_heap_capture_of(d, p->pebs[i].heaps[k], p->pebs[i].process_heap);
            assert_true(c.header_captured);
            assert_true(c.committed > 0);
            assert_int_equal(c.captured, c.committed);
            assert_int_equal(c.process_heap, k == 0);   /* ProcessHeaps[0] == ProcessHeap (SOURCES.md) */
        }
    hd_close(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_verdicts),
        cmocka_unit_test(test_heap_capture_of),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
