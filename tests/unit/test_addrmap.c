/*
** test_addrmap.c - the address map (lib/analyze/usage.c) and `heapdig address`, on dumps built
** by tests/util/mdb.c.  Ground truth: the builder's layout (mdb.h: where each stack, TEB, PEB,
** heap and module was put and how big its regions are) and, for the percentages, the WinDbg
** output in ../shared/seed (see test_seed_percentages).
*/
#include "testutil.h"
#include <stdlib.h>
#include <string.h>
#include "heapdig.h"
#include "mdb.h"

static mdb B;   /* big: keep it off the stack */

static hd_dump *open_proc(const mdb_proc *p)
{
    hd_dump *d = NULL;
    mdb_init(&B);
    mdb_process(&B, p);
    mdb_finish(&B, 0x1826);
    assert_int_equal(hd_open_mem(B.buf, B.len, NULL, &d), HD_OK);
    return d;
}

static void close_proc(hd_dump *d)
{
    hd_close(d);
    mdb_free(&B);
}

static void expect_usage(hd_dump *d, uint64_t va, hd_usage u)
{
    const hd_area *a = hd_area_find(d, va);
    assert_non_null(a);
    if (a->usage != u) fail_msg("0x%llx: usage %s, expected %s", (unsigned long long)va, hd_usage_name(a->usage), hd_usage_name(u));
}

static void test_x64_native(void **state)
{
    mdb_proc p = {0, 0, 0, 2, 3, 0};
    hd_dump *d = open_proc(&p);
    const hd_addr_summary *s;
    const hd_area *a;
    uint32_t i;
    (void)state;
    expect_usage(d, 0, HD_USAGE_FREE);
    for (i = 0; i < 3; i++) {
        expect_usage(d, MDB_HEAP(i), HD_USAGE_HEAP);
        a = hd_area_find(d, MDB_HEAP(i) + 0x50000);   /* the reserved part of the heap allocation */
        assert_int_equal(a->usage, HD_USAGE_HEAP);
        assert_int_equal(a->heap, MDB_HEAP(i));
        assert_int_equal(a->state, HD_MEM_RESERVE);
        assert_int_equal(a->ptr_size, 8);
    }
    for (i = 0; i < 2; i++) {
        a = hd_area_find(d, MDB_STACK(i));            /* reserved bottom of the stack */
        assert_int_equal(a->usage, HD_USAGE_STACK);
        assert_non_null(a->thread);
        assert_int_equal(a->thread->id, 0x100 + i);
        expect_usage(d, MDB_STACK(i) + 0xFC000, HD_USAGE_STACK);   /* guard page */
        expect_usage(d, MDB_STACK(i) + 0xFFFFF, HD_USAGE_STACK);
        assert_int_equal(hd_thread_at(d, i)->stack_region_base, MDB_STACK(i));
        assert_int_equal(hd_thread_at(d, i)->stack_region_size, 0x100000);
        a = hd_area_find(d, MDB_TEB(i));
        assert_int_equal(a->usage, HD_USAGE_TEB);
        assert_int_equal(a->thread->id, 0x100 + i);
    }
    expect_usage(d, MDB_PEB64, HD_USAGE_PEB);
    expect_usage(d, 0x7FFE0000u, HD_USAGE_OTHER);
    expect_usage(d, 0x7FFE8000u, HD_USAGE_OTHER);   /* KUSER_SHARED_DATA's reserved tail */
    a = hd_area_find(d, MDB_MODULE + 0x2000);
    assert_int_equal(a->usage, HD_USAGE_IMAGE);
    assert_non_null(a->module);
    assert_string_equal(a->module->name, "app.exe");
    /* captured bytes: the heap's first page only */
    assert_int_equal(hd_area_find(d, MDB_HEAP(0))->captured, 0x1000);

    s = hd_addr_summary_get(d);
    assert_true(s->from_memory_info);
    assert_int_equal(s->total, MDB_TOP);   /* the builder covers [0, MDB_TOP) */
    assert_int_equal(s->usage[HD_USAGE_HEAP].regions, 3 * 2);
    assert_int_equal(s->usage[HD_USAGE_HEAP].size, 3 * 0x100000);
    assert_int_equal(s->usage[HD_USAGE_STACK].regions, 2 * 3);
    assert_int_equal(s->usage[HD_USAGE_STACK].size, 2 * 0x100000);
    assert_int_equal(s->usage[HD_USAGE_TEB].regions, 2);
    assert_int_equal(s->usage[HD_USAGE_TEB].size, 2 * 0x2000);
    assert_int_equal(s->usage[HD_USAGE_PEB].regions, 1);
    assert_int_equal(s->usage[HD_USAGE_IMAGE].regions, 2);
    assert_int_equal(s->usage[HD_USAGE_IMAGE].size, 0x10000);
    assert_int_equal(s->usage[HD_USAGE_OTHER].size, 0x10000);
    assert_int_equal(s->usage[HD_USAGE_UNKNOWN].regions, 0);
    assert_int_equal(s->busy, 3 * 0x100000 + 2 * 0x100000 + 2 * 0x2000 + 0x1000 + 0x10000 + 0x10000);
    assert_int_equal(s->state_free.size, MDB_TOP - s->busy);
    /* reserved: 3 heaps x 0xF0000, 2 stacks x 0xFC000, KUSER 0xF000 */
    assert_int_equal(s->state_reserve.size, 3 * 0xF0000 + 2 * 0xFC000 + 0xF000);
    assert_int_equal(s->state_commit.size + s->state_reserve.size, s->busy);
    assert_int_equal(s->type_image.size, 0x10000);
    assert_int_equal(s->type_private.size, s->busy - 0x10000);
    /* protect: PAGE_READWRITE|PAGE_GUARD = the two guard pages */
    for (i = 0; i < s->protect_count; i++)
        if (s->protect[i].protect == 0x104) assert_int_equal(s->protect[i].size, 2 * 0x1000);
    {
        char buf[64];
        assert_string_equal(hd_protect_name(0x104, buf, sizeof buf), "PAGE_READWRITE|PAGE_GUARD");
        assert_string_equal(hd_protect_name(0x20, buf, sizeof buf), "PAGE_EXECUTE_READ");
        assert_string_equal(hd_protect_name(0x80000004u, buf, sizeof buf), "PAGE_READWRITE|0x80000000");
        assert_string_equal(hd_protect_name(0, buf, sizeof buf), "");
    }
    assert_int_equal(s->largest[HD_USAGE_HEAP]->size, 0xF0000);
    close_proc(d);
}

static void test_wow64(void **state)
{
    mdb_proc p = {0, 1, 0, 2, 2, 0x1000};
    hd_dump *d = open_proc(&p);
    const hd_process *pr = hd_process_get(d);
    const hd_addr_summary *s;
    const hd_area *a;
    (void)state;
    assert_true(pr->wow64);
    assert_int_equal(pr->peb_count, 2);
    assert_int_equal(pr->pebs[1].nt_global_flag, 0x1000);
    assert_int_equal(hd_thread_at(d, 1)->teb32, MDB_TEB(1) + 0x2000);
    assert_int_equal(hd_thread_at(d, 1)->stack_region_base32, MDB_STACK32(1));
    a = hd_area_find(d, MDB_STACK32(1) + 0x10);
    assert_int_equal(a->usage, HD_USAGE_STACK);
    assert_int_equal(a->ptr_size, 4);
    assert_int_equal(a->thread->id, 0x101);
    a = hd_area_find(d, MDB_HEAP64(1));
    assert_int_equal(a->usage, HD_USAGE_HEAP);
    assert_int_equal(a->ptr_size, 8);
    a = hd_area_find(d, MDB_HEAP(1));
    assert_int_equal(a->ptr_size, 4);
    expect_usage(d, MDB_PEB32, HD_USAGE_PEB);
    expect_usage(d, MDB_PEB64, HD_USAGE_PEB);
    s = hd_addr_summary_get(d);
    assert_int_equal(s->usage[HD_USAGE_PEB].regions, 2);
    assert_int_equal(s->usage[HD_USAGE_HEAP].regions, (2 + 2) * 2);
    assert_int_equal(s->usage[HD_USAGE_STACK].regions, 2 * 2 * 3);
    assert_int_equal(s->usage[HD_USAGE_TEB].regions, 2);        /* TEB64 + TEB32 share one allocation */
    assert_int_equal(s->usage[HD_USAGE_TEB].size, 2 * 0x3000);
    close_proc(d);
}

static void test_x86(void **state)
{
    mdb_proc p = {1, 0, 0, 1, 1, 0x02000000};
    hd_dump *d = open_proc(&p);
    const hd_process *pr = hd_process_get(d);
    (void)state;
    assert_int_equal(pr->arch, HD_ARCH_X86);
    assert_int_equal(pr->peb_count, 1);
    assert_int_equal(pr->pebs[0].ptr_size, 4);
    assert_int_equal(pr->pebs[0].heap_count, 1);
    assert_int_equal(pr->pebs[0].heaps[0], MDB_HEAP(0));
    assert_int_equal(pr->pebs[0].nt_global_flag, HD_FLG_HEAP_PAGE_ALLOCS);
    expect_usage(d, MDB_HEAP(0), HD_USAGE_HEAP);
    expect_usage(d, MDB_STACK(0), HD_USAGE_STACK);
    expect_usage(d, MDB_TEB(0), HD_USAGE_TEB);
    expect_usage(d, MDB_PEB32, HD_USAGE_PEB);
    assert_int_equal(hd_addr_summary_get(d)->usage[HD_USAGE_TEB].size, 0x1000);
    close_proc(d);
}

/* Without a MemoryInfoList the areas are the captured ranges (the builder captures: per thread the
** TEB allocation and 0x3000 bytes of stack, the PEB page, each heap's first page, the module's
** first page, KUSER_SHARED_DATA's first page). */
static void test_no_meminfo(void **state)
{
    mdb_proc p = {0, 0, 1, 2, 3, 0};
    hd_dump *d = open_proc(&p);
    const hd_addr_summary *s = hd_addr_summary_get(d);
    (void)state;
    assert_false(hd_has_memory_info(d));
    assert_false(s->from_memory_info);
    assert_int_equal(s->usage[HD_USAGE_HEAP].regions, 3);
    assert_int_equal(s->usage[HD_USAGE_HEAP].size, 3 * 0x1000);
    assert_int_equal(s->usage[HD_USAGE_STACK].regions, 2);
    assert_int_equal(s->usage[HD_USAGE_STACK].size, 2 * 0x3000);
    assert_int_equal(s->usage[HD_USAGE_TEB].regions, 2);
    assert_int_equal(s->usage[HD_USAGE_PEB].regions, 1);
    assert_int_equal(s->usage[HD_USAGE_IMAGE].regions, 1);   /* inside the listed module */
    assert_int_equal(s->usage[HD_USAGE_OTHER].regions, 1);   /* KUSER_SHARED_DATA */
    assert_int_equal(s->usage[HD_USAGE_FREE].regions, 0);
    assert_int_equal(s->total, hd_captured_bytes(d));
    assert_int_equal(s->type_unknown.size, s->busy);
    close_proc(d);
}

/* The heap walker's entry point: ranges it marks become Heap, with its owner and detail. */
static void test_mark_heap(void **state)
{
    mdb_proc p = {0, 0, 0, 1, 1, 0};
    hd_dump *d = open_proc(&p);
    hd_heap_range r[2] = {{MDB_HEAP(0) + 0x20000, 0x1000, 0xABC0000, 8, "Segment"},
                          {0x7FFE0000u, 0x10, 0xABC0000, 8, NULL}};
    const hd_area *a;
    (void)state;
    assert_int_equal(hd_area_find(d, MDB_HEAP(0))->heap, MDB_HEAP(0));
    assert_int_equal(hd_addrmap_mark_heap(d, r, 2), HD_OK);
    /* the PEB-listed claim (lower base, the whole allocation) keeps its owner */
    assert_int_equal(hd_area_find(d, MDB_HEAP(0) + 0x20000)->heap, MDB_HEAP(0));
    /* KUSER_SHARED_DATA was "Other": Heap comes first in the precedence */
    a = hd_area_find(d, 0x7FFE0000u);
    assert_int_equal(a->usage, HD_USAGE_HEAP);
    assert_int_equal(a->heap, 0xABC0000);
    assert_string_equal(a->detail, "Handle: 0xabc0000");
    /* and the range started at the allocation base: its reserved tail goes with it */
    expect_usage(d, 0x7FFE8000u, HD_USAGE_HEAP);
    assert_int_equal(hd_addrmap_mark_heap(d, NULL, 1), HD_EINVAL);
    close_proc(d);
}

/* The percentages of !address -summary, checked against the engineer's WinDbg output in
** ../shared/seed/000_119fd3e542ef5bcf.txt.  Its rows (x64 process):
**   Free 7fc`685d1000 (7.986 TB) 99.82%;  Heap 3`563aa000 (13.347 GB) 92.89% 0.16%;
**   <unknown> 0`1ff5a000 3.48% 0.01%;  Image 0`108ba000 1.80% 0.00%;  Stack 0`08c40000 0.95% 0.00%;
**   Other 0`081d8000 0.88% 0.00%;  TEB 0`00048000;  PEB 0`00001000;
**   MEM_COMMIT 3`67933000 94.77% 0.17%;  MEM_RESERVE 0`300ec000 5.23% 0.01%.
** Verification of the formula by hand: the usage sizes other than Free add up to 0x397A1F000, which
** is exactly MEM_COMMIT + MEM_RESERVE, and 0x3563aa000 / 0x397A1F000 = 92.89%: %ofBusy divides by
** the non-free total.  Free + busy = 0x7fc685d1000 + 0x397A1F000 = 0x7FFFFFF0000, the whole x64
** user address space of Win7/8 (8 TB less the 64 KB at the top), and 0x3563aa000 / 0x7FFFFFF0000
** = 0.16%, 0x7fc685d1000 / 0x7FFFFFF0000 = 99.82%: %ofTotal divides by all regions, free included.
** The dump below has regions with exactly those sizes, each usage made the way a real process
** makes it (a PEB-listed heap, a thread's stack and TEB, the PEB, MEM_IMAGE, KUSER_SHARED_DATA,
** private memory nobody claims), and the test reads `heapdig address --summary`. */
static void test_seed_percentages(void **state)
{
    static const mdb_region r[] = {
        {0x0, 0, 0x10000, 0x10000, 1, 0},
        {0x10000, 0x10000, 0x1000, 0x1000, 4, 0x20000},              /* PEB */
        {0x11000, 0, 0xF000, 0x10000, 1, 0},
        {0x20000, 0x20000, 0x48000, 0x1000, 4, 0x20000},             /* TEB */
        {0x68000, 0, 0x7F98000, 0x10000, 1, 0},
        {0x8000000, 0x8000000, 0x8c40000, 0x1000, 4, 0x20000},       /* stack */
        {0x10c40000, 0, 0x6f3a0000, 0x10000, 1, 0},
        {0x7FFE0000, 0x7FFE0000, 0x81d8000, 0x1000, 2, 0x20000},      /* KUSER_SHARED_DATA: Other */
        {0x881b8000, 0, 0x77e48000, 0x10000, 1, 0},
        {0x100000000ull, 0x100000000ull, 0x3563aa000ull - 0x300ec000, 0x1000, 4, 0x20000},   /* heap */
        {0x100000000ull + 0x3563aa000ull - 0x300ec000, 0x100000000ull, 0x300ec000, 0x2000, 0, 0x20000},
        {0x4563aa000ull, 0, 0xa9c56000ull, 0x10000, 1, 0},
        {0x500000000ull, 0x500000000ull, 0x1ff5a000, 0x1000, 4, 0x20000},   /* <unknown> */
        {0x51ff5a000ull, 0, 0xe00a6000ull, 0x10000, 1, 0},
        {0x600000000ull, 0x600000000ull, 0x108ba000, 0x1000, 0x20, 0x1000000},   /* image */
        {0x6108ba000ull, 0, 0x7FFFFFF0000ull - 0x6108ba000ull, 0x10000, 1, 0},
    };
    uint8_t threads[4 + 48] = {0}, peb[0x1000] = {0}, teb[0x1000] = {0}, heaps[8];
    const char *path = tu_data_path("seed_summary.dmp");
    tu_run run;
    char *l;
    size_t i;
    uint64_t sum = 0;
    (void)state;
    for (i = 0; i < sizeof r / sizeof r[0]; i++) {
        if (i) assert_int_equal(r[i].base, r[i - 1].base + r[i - 1].size);   /* the table tiles */
        sum += r[i].size;
    }
    assert_int_equal(sum, 0x7FFFFFF0000ull);
    mdb_init(&B);
    mdb_sysinfo(&B, 9, 6, 1, 7601);
    put32(threads, 1);
    put64(threads + 4 + 0x10, 0x20000);          /* TEB */
    mdb_stream(&B, 3, threads, sizeof threads);
    put64(teb + 0x08, 0x8000000 + 0x8c40000);    /* StackBase */
    put64(teb + 0x10, 0x8000000);                /* StackLimit */
    put64(teb + 0x30, 0x20000);                  /* Self */
    put64(teb + 0x60, 0x10000);                  /* PEB */
    mdb_mem(&B, 0x20000, teb, sizeof teb);
    put64(peb + 0x30, 0x100000000ull);           /* ProcessHeap */
    put32(peb + 0xE8, 1);                        /* NumberOfHeaps */
    put32(peb + 0xEC, 16);
    put64(peb + 0xF0, 0x10800);                  /* ProcessHeaps */
    put64(heaps, 0x100000000ull);
    memcpy(peb + 0x800, heaps, 8);
    mdb_mem(&B, 0x10000, peb, sizeof peb);
    mdb_meminfo(&B, r, sizeof r / sizeof r[0]);
    mdb_finish(&B, 0x1806);
    assert_int_equal(tu_write_file(path, B.buf, B.len), 0);
    mdb_free(&B);
    assert_int_equal(tu_heapdig(&run, "address", "--summary", path, NULL), 0);
#define ROW(name, rest)                                                                  \
    do {                                                                                 \
        l = strstr(run.out, "\n" name " ");                                              \
        if (!l) fail_msg("no %s row in:\n%s", name, run.out);                            \
        if (strncmp(strchr(l + 1, ' ') + strspn(strchr(l + 1, ' '), " "), rest, strlen(rest))) \
            fail_msg("row %s: expected '%s' in:\n%.120s", name, rest, l + 1);            \
    } while (0)
    ROW("Free", "8      7fc`685d1000 (   7.986 TB)           99.82%");   /* %ofBusy blank: 8 columns */   /* 8 regions here, 443 there */
    ROW("Heap", "2        3`563aa000 (  13.347 GB)  92.89%    0.16%");
    ROW("<unknown>", "1        0`1ff5a000 ( 511.352 MB)   3.48%    0.01%");
    ROW("Image", "1        0`108ba000 ( 264.727 MB)   1.80%    0.00%");
    ROW("Stack", "1        0`08c40000 ( 140.250 MB)   0.95%    0.00%");
    ROW("Other", "1        0`081d8000 ( 129.844 MB)   0.88%    0.00%");
    ROW("TEB", "1        0`00048000 ( 288.000 kB)   0.00%    0.00%");
    ROW("PEB", "1        0`00001000 (   4.000 kB)   0.00%    0.00%");
    ROW("MEM_COMMIT", "7        3`67933000 (  13.618 GB)  94.77%    0.17%");
    ROW("MEM_RESERVE", "1        0`300ec000 ( 768.922 MB)   5.23%    0.01%");
    /* and the order of the seed: by size, largest first */
    assert_true(strstr(run.out, "\nHeap ") < strstr(run.out, "\n<unknown> "));
    assert_true(strstr(run.out, "\nOther ") < strstr(run.out, "\nTEB "));
    assert_non_null(strstr(run.out, "--- Usage Summary ---------------- RgnCount ----------- Total Size -------- %ofBusy %ofTotal\n"));
    assert_non_null(strstr(run.out, "--- State Summary ---------------- RgnCount ----------- Total Size -------- %ofBusy %ofTotal\n"));
    /* the largest Heap region is the committed part of the heap allocation (table above), its
    ** base and size aligned under the header's "Base Address" and "Region Size" */
    l = strstr(run.out, "--- Largest Region by Usage ----------- Base Address -------- Region Size ----------\n");
    assert_non_null(l);
    l = strstr(l, "\nHeap ");
    assert_non_null(l);
    l++;
    assert_int_equal(strstr(l, "1`00000000") + strlen("1`00000000") - l, 52);
    assert_int_equal(strstr(l, "3`262be000") + strlen("3`262be000") - l, 72);
    tu_free_run(&run);
}

/* The region list: one line per region, the owner named. */
static void test_cli_list(void **state)
{
    mdb_proc p = {0, 1, 0, 1, 1, 0};
    const char *path = tu_data_path("proc_wow64.dmp");
    tu_run run;
    (void)state;
    mdb_init(&B);
    mdb_process(&B, &p);
    mdb_finish(&B, 0x1826);
    assert_int_equal(tu_write_file(path, B.buf, B.len), 0);
    mdb_free(&B);
    assert_int_equal(tu_heapdig(&run, "address", path, NULL), 0);
    assert_non_null(strstr(run.out, "BaseAddress      EndAddress+1        RegionSize"));
    assert_non_null(strstr(run.out, "+ 00000000`01000000 00000000`01010000 00000000`00010000 MEM_PRIVATE MEM_COMMIT  PAGE_READWRITE              Heap      [ID: 0; Handle: 0x1000000; 32-bit PEB; process heap]"));
    assert_non_null(strstr(run.out, "MEM_IMAGE   MEM_COMMIT  PAGE_READONLY               Image     C:\\test\\app.exe"));
    tu_free_run(&run);
    assert_int_equal(tu_heapdig(&run, "address", "--usage", "stack", path, NULL), 0);
    assert_null(strstr(run.out, "Heap "));
    assert_non_null(strstr(run.out, "[~0; tid 0x100; 32-bit]"));
    tu_free_run(&run);
    assert_int_equal(tu_heapdig(&run, "address", "-a", "7ffe0010", path, NULL), 0);
    assert_non_null(strstr(run.out, "+ 00000000`7ffe0000 00000000`7ffe1000"));
    assert_non_null(strstr(run.out, "[User Shared Data]"));
    tu_free_run(&run);
    assert_int_equal(tu_heapdig(&run, "address", "--usage", "bogus", path, NULL), 2);
    assert_non_null(strstr(run.err, "unknown usage 'bogus'"));
    tu_free_run(&run);
    assert_int_equal(tu_heapdig(&run, "address", "--json", "--usage", "heap", path, NULL), 0);
    assert_non_null(strstr(run.out, "\"base\": \"0x1000000\""));
    assert_non_null(strstr(run.out, "\"heap\": \"0x1000000\""));
    assert_non_null(strstr(run.out, "\"usage\": \"Heap\""));
    assert_null(strstr(run.out, "\"usage\": \"Stack\""));
    tu_free_run(&run);
}

/* Wine gives each thread of a 64-bit process a TEB32 and an empty PEB32: not WoW64 (the builder
** writes a PEB32 with no heap and loads no wow64*.dll when nheaps is 0). */
static void test_empty_32bit_view(void **state)
{
    mdb_proc p = {0, 1, 0, 1, 0, 0};
    hd_dump *d = open_proc(&p);
    const hd_process *pr = hd_process_get(d);
    size_t i;
    int found = 0;
    (void)state;
    assert_false(pr->wow64);
    assert_int_equal(pr->peb_count, 1);
    assert_int_equal(hd_thread_at(d, 0)->teb32, 0);
    assert_int_equal(hd_thread_at(d, 0)->stack_region_size32, 0);
    for (i = 0; i < hd_diag_count(d); i++)
        if (strstr(hd_diag_get(d, i)->msg, "holds no process state and no WoW64 module is loaded: not a WoW64 process")) found = 1;
    assert_true(found);
    /* its 32-bit stack allocation is nobody's now */
    expect_usage(d, MDB_STACK32(0), HD_USAGE_UNKNOWN);
    close_proc(d);
}

/* More than 256 distinct Protect values: the rest are lumped under 0xFFFFFFFF, so the summary
** stays linear on a hostile MemoryInfoList. */
static void test_protect_lumping(void **state)
{
    static mdb_region r[300];
    hd_dump *d = NULL;
    const hd_addr_summary *s;
    size_t i;
    (void)state;
    for (i = 0; i < 300; i++) {
        r[i].base = r[i].alloc_base = 0x10000 * (uint64_t)(i + 1);
        r[i].size = 0x1000;
        r[i].state = HD_MEM_COMMIT;
        r[i].protect = 0x10000 + (uint32_t)i;
        r[i].type = HD_MEM_PRIVATE;
    }
    mdb_init(&B);
    mdb_meminfo(&B, r, 300);
    mdb_finish(&B, 0x800);
    assert_int_equal(hd_open_mem(B.buf, B.len, NULL, &d), HD_OK);
    s = hd_addr_summary_get(d);
    assert_int_equal(s->protect_count, 257);
    for (i = 0; i < s->protect_count; i++)
        if (s->protect[i].protect == 0xFFFFFFFFu) {
            assert_int_equal(s->protect[i].regions, 300 - 256);
            assert_int_equal(s->protect[i].size, (300 - 256) * 0x1000);
        }
    assert_int_equal(s->protect[0].protect, 0xFFFFFFFFu);   /* the largest row comes first */
    close_proc(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_x64_native),
        cmocka_unit_test(test_wow64),
        cmocka_unit_test(test_x86),
        cmocka_unit_test(test_no_meminfo),
        cmocka_unit_test(test_mark_heap),
        cmocka_unit_test(test_seed_percentages),
        cmocka_unit_test(test_cli_list),
        cmocka_unit_test(test_empty_32bit_view),
        cmocka_unit_test(test_protect_lumping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
