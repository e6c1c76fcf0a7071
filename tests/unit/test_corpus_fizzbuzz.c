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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "heapdig.h"

/* ---- an independent reading of the MemoryInfoList, straight from the file bytes ---------- */

static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

typedef struct raw_sums { uint64_t commit, reserve, free, n, heap; uint64_t commit_n, reserve_n, free_n; } raw_sums;

/* Sum RegionSize by State over MINIDUMP_MEMORY_INFO entries (stream type 16: SizeOfHeader u32,
** SizeOfEntry u32, NumberOfEntries u64; entry: BaseAddress +0, AllocationBase +8, RegionSize +0x18,
** State +0x20).  Heap: regions whose AllocationBase is one of the five heaps SOURCES.md lists, or
** the one VirtualAlloc'd block of heap 0x700000 (entry 0xE0000, reference §5.1: "the entry is the
** MemoryInfoList allocation base"): the walker attributes segments and VA blocks to Heap. */
static raw_sums read_raw_meminfo(const char *path)
{
    static const uint64_t heaps[] = {0x500000, 0x10000, 0x20000, 0x700000, 0x460000, 0xE0000};
    size_t len, i, k;
    uint8_t *f = tu_read_file(path, &len);
    raw_sums s;
    memset(&s, 0, sizeof s);
    assert_non_null(f);
    for (i = 0; i < le32(f + 8); i++) {
        const uint8_t *e = f + le32(f + 12) + 12 * i;
        if (le32(e) == 16) {
            const uint8_t *l = f + le32(e + 8);
            uint32_t hs = le32(l), es = le32(l + 4);
            uint64_t n = le64(l + 8), j;
            s.n = n;
            for (j = 0; j < n; j++) {
                const uint8_t *r = l + hs + es * j;
                uint64_t size = le64(r + 0x18), ab = le64(r + 8);
                uint32_t state = le32(r + 0x20);
                if (state == 0x1000) { s.commit += size; s.commit_n++; }
                if (state == 0x2000) { s.reserve += size; s.reserve_n++; }
                if (state == 0x10000) { s.free += size; s.free_n++; }
                for (k = 0; k < sizeof heaps / sizeof heaps[0]; k++)
                    if (state != 0x10000 && ab == heaps[k]) s.heap += size;
            }
        }
    }
    free(f);
    return s;
}

/* The "size" that follows {"name": NAME in a JSON document (the CLI's pretty layout). */
static uint64_t json_size_of(const char *doc, const char *name, const char *field)
{
    char key[64];
    const char *p;
    snprintf(key, sizeof key, "\"name\": \"%s\"", name);
    p = strstr(doc, key);
    if (!p) fail_msg("no %s in the JSON", name);
    snprintf(key, sizeof key, "\"%s\": ", field);
    p = strstr(p, key);
    assert_non_null(p);
    return strtoull(p + strlen(key), NULL, 10);
}

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

/* Acceptance (issue 2): the committed, reserved and free totals of `address --summary` equal the
** sums computed here from the MemoryInfoList entries; and the library agrees region by region. */
static void test_address_summary_totals(void **state)
{
    TU_CORPUS_OR_SKIP(path, "fizzbuzz_wow64.dmp");
    raw_sums raw = read_raw_meminfo(path);
    hd_dump *d = NULL;
    const hd_addr_summary *s;
    tu_run r;
    char want[128];
    (void)state;
    assert_int_equal(raw.n, 168);
    assert_int_equal(tu_heapdig(&r, "address", "--summary", "--json", path, NULL), 0);
    assert_int_equal(json_size_of(r.out, "MEM_COMMIT", "size"), raw.commit);
    assert_int_equal(json_size_of(r.out, "MEM_RESERVE", "size"), raw.reserve);
    assert_int_equal(json_size_of(r.out, "MEM_FREE", "size"), raw.free);
    assert_int_equal(json_size_of(r.out, "MEM_COMMIT", "regions"), raw.commit_n);
    assert_int_equal(json_size_of(r.out, "MEM_RESERVE", "regions"), raw.reserve_n);
    assert_int_equal(json_size_of(r.out, "MEM_FREE", "regions"), raw.free_n);
    assert_int_equal(json_size_of(r.out, "Free", "size"), raw.free);
    /* Heap = the five PEB-listed heaps' allocations (reserved parts included) + the VA block */
    assert_int_equal(json_size_of(r.out, "Heap", "size"), raw.heap);
    assert_non_null(strstr(r.out, "\"source\": \"MemoryInfoList\""));
    tu_free_run(&r);
    /* the text form prints the same totals */
    assert_int_equal(tu_heapdig(&r, "address", "--summary", path, NULL), 0);
    snprintf(want, sizeof want, "%llx`%08llx", (unsigned long long)(raw.commit >> 32), (unsigned long long)(raw.commit & 0xFFFFFFFFu));
    assert_non_null(strstr(strstr(r.out, "\nMEM_COMMIT "), want));
    tu_free_run(&r);

    assert_int_equal(hd_open(path, NULL, &d), HD_OK);
    s = hd_addr_summary_get(d);
    assert_int_equal(hd_area_count(d), 168);
    assert_int_equal(s->state_commit.size, raw.commit);
    assert_int_equal(s->busy, raw.commit + raw.reserve);
    assert_int_equal(s->total, raw.commit + raw.reserve + raw.free);
    /* the MemoryInfoList of this WoW64 process ends at 0x7FFF0000 */
    assert_int_equal(s->total, 0x7FFF0000);
    hd_close(d);
}

/* Usage of the regions that SOURCES.md and reference §1.2 name. */
static void test_usage(void **state)
{
    TU_CORPUS_OR_SKIP(path, "fizzbuzz_wow64.dmp");
    hd_dump *d = NULL;
    const hd_area *a;
    (void)state;
    assert_int_equal(hd_open(path, NULL, &d), HD_OK);
    assert_int_equal(hd_area_find(d, 0x7EFDF000)->usage, HD_USAGE_PEB);   /* 64-bit PEB */
    assert_int_equal(hd_area_find(d, 0x7EFDE000)->usage, HD_USAGE_PEB);   /* 32-bit PEB */
    a = hd_area_find(d, 0x7EFDB000);                                      /* TEB64 (+ TEB32) */
    assert_int_equal(a->usage, HD_USAGE_TEB);
    assert_true(0x7EFDD000 - a->base < a->size);
    a = hd_area_find(d, 0x700000);
    assert_int_equal(a->usage, HD_USAGE_HEAP);
    assert_int_equal(a->heap, 0x700000);
    assert_int_equal(a->ptr_size, 4);
    a = hd_area_find(d, 0x10000);
    assert_int_equal(a->usage, HD_USAGE_HEAP);
    assert_int_equal(a->ptr_size, 8);
    assert_int_equal(a->type, HD_MEM_MAPPED);   /* §1.2: the CSR port heaps are section views */
    /* ReadOnlySharedMemoryBase 0x7EFE0000: the CSRSS shared heap, not a process heap: Other */
    a = hd_area_find(d, 0x7EFE0000);
    assert_int_equal(a->usage, HD_USAGE_OTHER);
    assert_string_equal(a->detail, "Read Only Shared Memory");
    assert_int_equal(hd_area_find(d, 0x7FFE0000)->usage, HD_USAGE_OTHER);   /* KUSER_SHARED_DATA */
    /* both stacks of the one thread: 64-bit and 32-bit, each its whole allocation */
    assert_int_equal(hd_thread_at(d, 0)->stack_region_size, 0x40000);
    assert_int_equal(hd_thread_at(d, 0)->stack_region_size32, 0x100000);
    assert_int_equal(hd_area_find(d, hd_thread_at(d, 0)->stack_region_base32)->usage, HD_USAGE_STACK);
    assert_int_equal(hd_area_find(d, hd_thread_at(d, 0)->stack_limit32)->usage, HD_USAGE_STACK);
    a = hd_area_find(d, 0x77AE1000);
    assert_int_equal(a->usage, HD_USAGE_IMAGE);
    assert_non_null(a->module);
    assert_string_equal(a->module->name, "ntdll.dll");
    hd_close(d);
}

/* info: the flags, the views and the heaps SOURCES.md lists, captured. */
static void test_info_cli(void **state)
{
    TU_CORPUS_OR_SKIP(path, "fizzbuzz_wow64.dmp");
    tu_run r;
    (void)state;
    assert_int_equal(tu_heapdig(&r, "info", "--json", path, NULL), 0);
    assert_non_null(strstr(r.out, "\"arch\": \"x64\""));
    assert_non_null(strstr(r.out, "\"wow64\": true"));
    assert_non_null(strstr(r.out, "\"threads\": 1,"));
    assert_non_null(strstr(r.out, "\"value\": 6182"));            /* 0x1826 */
    assert_non_null(strstr(r.out, "\"verdict\": \"full\""));
    assert_non_null(strstr(r.out, "\"address\": \"0x7efde000\""));
    assert_non_null(strstr(r.out, "\"0x460000\""));
    assert_non_null(strstr(r.out, "\"nt_global_flag\": 0"));
    tu_free_run(&r);
    assert_int_equal(tu_heapdig(&r, "info", path, NULL), 0);
    assert_non_null(strstr(r.out, "WithFullMemory"));
    assert_non_null(strstr(r.out, "Heap analysis: full"));
    assert_non_null(strstr(r.out, "WoW64"));
    assert_non_null(strstr(r.out, "460000"));
    tu_free_run(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_and_streams),
        cmocka_unit_test(test_pebs),
        cmocka_unit_test(test_address_summary_totals),
        cmocka_unit_test(test_usage),
        cmocka_unit_test(test_info_cli),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
