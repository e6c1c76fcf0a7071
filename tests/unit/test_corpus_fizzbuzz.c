/*
** test_corpus_fizzbuzz.c - fizzbuzz_wow64.dmp (the one real full-memory dump with NT heaps):
** the facts of its ../shared/corpus/SOURCES.md row, read through the library.
**
** Ground truth: SOURCES.md ("Win7 SP1 (6.1.7601) AMD64, a 32-bit process under WoW64.  Flags
** 0x1826 ...  Memory64List 107 ranges / 9,265,152 B; MemoryInfoList 168 regions; 1 thread; 16
** module entries ..., ntdll 6.1.7601.19135" and "64-bit PEB 0x7EFDF000 (TEB 0x7EFDB000): 3 heaps
** 0x500000, 0x10000 and 0x20000.  32-bit PEB 0x7EFDE000 (TEB32 = TEB64 + 0x2000): 2 heaps
** 0x700000, 0x460000.  NtGlobalFlag 0 in both.").
*/
#include "testutil.h"
#include <string.h>
#include "heapdig.h"

static void test_header_and_streams(void **state)
{
    TU_CORPUS_OR_SKIP(path, "fizzbuzz_wow64.dmp");
    hd_dump *d = NULL;
    const hd_sysinfo *s;
    size_t i, ntdll = 0;
    (void)state;
    assert_int_equal(hd_open(path, NULL, &d), HD_OK);
    assert_int_equal(hd_dump_header(d)->flags, 0x1826);
    s = hd_sysinfo_get(d);
    assert_int_equal(s->arch, HD_ARCH_X64);
    assert_int_equal(s->major, 6);
    assert_int_equal(s->minor, 1);
    assert_int_equal(s->build, 7601);
    assert_int_equal(hd_range_count(d), 107);
    assert_int_equal(hd_captured_bytes(d), 9265152);
    assert_true(hd_has_memory_info(d));
    assert_int_equal(hd_region_count(d), 168);
    assert_int_equal(hd_thread_count(d), 1);
    assert_int_equal(hd_module_count(d), 16);
    for (i = 0; i < hd_module_count(d); i++) {
        const hd_module *m = hd_module_at(d, i);
        if (strcmp(m->name, "ntdll.dll") != 0) continue;
        ntdll++;
        assert_true(m->has_version);
        assert_int_equal(m->version[0], 6);
        assert_int_equal(m->version[1], 1);
        assert_int_equal(m->version[2], 7601);
        assert_int_equal(m->version[3], 19135);
    }
    assert_int_equal(ntdll, 2);   /* the 64-bit and the SysWOW64 ntdll */
    hd_close(d);
}

static void test_pebs(void **state)
{
    TU_CORPUS_OR_SKIP(path, "fizzbuzz_wow64.dmp");
    hd_dump *d = NULL;
    const hd_process *p;
    (void)state;
    assert_int_equal(hd_open(path, NULL, &d), HD_OK);
    p = hd_process_get(d);
    assert_true(p->wow64);
    assert_int_equal(p->peb_count, 2);
    assert_int_equal(hd_thread_at(d, 0)->teb, 0x7EFDB000);
    assert_int_equal(hd_thread_at(d, 0)->teb32, 0x7EFDD000);
    assert_int_equal(p->pebs[0].ptr_size, 8);
    assert_int_equal(p->pebs[0].address, 0x7EFDF000);
    assert_int_equal(p->pebs[0].heap_count, 3);
    assert_int_equal(p->pebs[0].heaps[0], 0x500000);
    assert_int_equal(p->pebs[0].heaps[1], 0x10000);
    assert_int_equal(p->pebs[0].heaps[2], 0x20000);
    assert_int_equal(p->pebs[0].process_heap, 0x500000);
    assert_int_equal(p->pebs[0].nt_global_flag, 0);
    assert_int_equal(p->pebs[1].ptr_size, 4);
    assert_int_equal(p->pebs[1].address, 0x7EFDE000);
    assert_int_equal(p->pebs[1].heap_count, 2);
    assert_int_equal(p->pebs[1].heaps[0], 0x700000);
    assert_int_equal(p->pebs[1].heaps[1], 0x460000);
    assert_int_equal(p->pebs[1].nt_global_flag, 0);
    /* reference §1.2: ReadOnlySharedMemoryBase 0x7EFE0000 in both PEBs */
    assert_int_equal(p->pebs[0].read_only_shared_memory_base, 0x7EFE0000);
    assert_int_equal(p->pebs[1].read_only_shared_memory_base, 0x7EFE0000);
    hd_close(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_and_streams),
        cmocka_unit_test(test_pebs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
