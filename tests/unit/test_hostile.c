/*
** test_hostile.c - damaged and malicious dumps: each case ends at once, in bounded memory, with
** the exact diagnostic (vocabulary: "truncated", "past the end of the file", "overlaps", "limit",
** "wraps") and the CLI's exit code (0 answer, 1 partial because of damage, 2 nothing).
** Ground truth: the bytes each test writes with tests/util/mdb.c.  The tests read lib/core.h to
** check that nothing was allocated in proportion to a count the file only announces.
*/
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "heapdig.h"
#include "core.h"
#include "mdb.h"

static mdb B;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static const hd_diag *find_diag(const hd_dump *d, const char *needle)
{
    size_t i;
    for (i = 0; i < hd_diag_count(d); i++)
        if (strstr(hd_diag_get(d, i)->msg, needle)) return hd_diag_get(d, i);
    return NULL;
}

static void print_diags(const hd_dump *d)
{
    size_t i;
    for (i = 0; i < hd_diag_count(d); i++) print_message("  diag: %s\n", hd_diag_get(d, i)->msg);
}

#define EXPECT_DIAG(d, needle)                                                   \
    do {                                                                         \
        if (!find_diag((d), (needle))) {                                         \
            print_diags(d);                                                      \
            fail_msg("no diagnostic containing \"%s\"", (needle));               \
        }                                                                        \
    } while (0)

/* Every accessor, the process model, the address map: what a command would touch. */
static void walk_all(hd_dump *d)
{
    size_t i;
    uint8_t buf[64];
    const hd_process *p = hd_process_get(d);
    for (i = 0; i < p->peb_count; i++) (void)hd_read(d, p->pebs[i].address, buf, sizeof buf, NULL);
    for (i = 0; i < hd_stream_count(d); i++) (void)hd_stream_at(d, i)->name;
    for (i = 0; i < hd_thread_count(d); i++) (void)hd_view(d, hd_thread_at(d, i)->teb, 8);
    for (i = 0; i < hd_module_count(d); i++) (void)strlen(hd_module_at(d, i)->path);
    for (i = 0; i < hd_range_count(d); i++) (void)hd_read(d, hd_range_at(d, i)->base, buf, sizeof buf, NULL);
    for (i = 0; i < hd_area_count(d); i++) (void)hd_area_at(d, i)->usage;
    (void)hd_addr_summary_get(d)->total;
}

/* Open SIZE bytes of B as a separate heap block (so ASan sees any read past the end). */
static hd_dump *open_prefix(size_t size, hd_err *err)
{
    uint8_t *copy = malloc(size ? size : 1);
    hd_dump *d = NULL;
    memcpy(copy, B.buf, size);
    *err = hd_open_mem(copy, size, NULL, &d);
    if (d) walk_all(d);
    /* the bytes must outlive the dump: freed by close_prefix */
    if (!d) free(copy);
    return d;
}

static void close_prefix(hd_dump *d)
{
    const void *bytes;
    if (!d) return;
    bytes = d->base;
    hd_close(d);
    free((void *)bytes);
}

/* ---- not a minidump ----------------------------------------------------------------------- */

static void test_empty_and_not_mdmp(void **state)
{
    static const char zip[64] = "PK\003\004 this is a zip file, not a dump";
    hd_dump *d = (hd_dump *)1;
    tu_run r;
    const char *empty = tu_data_path("empty.dmp"), *nz = tu_data_path("zip.dmp");
    (void)state;
    assert_int_equal(hd_open_mem("", 0, NULL, &d), HD_ETRUNC);
    assert_null(d);
    assert_int_equal(hd_open_mem(zip, sizeof zip, NULL, &d), HD_EFORMAT);
    assert_null(d);
    /* shorter than a header: "not a minidump" unless it starts like one, then "truncated" */
    assert_int_equal(hd_open_mem("hello\n", 6, NULL, &d), HD_EFORMAT);
    assert_null(d);
    assert_int_equal(hd_open_mem("MD", 2, NULL, &d), HD_ETRUNC);
    assert_int_equal(hd_open_mem("MDMP\x93\xa7", 6, NULL, &d), HD_ETRUNC);
    assert_null(d);
    assert_int_equal(tu_write_file(empty, "", 0), 0);
    assert_int_equal(tu_write_file(nz, zip, sizeof zip), 0);
    assert_int_equal(tu_heapdig(&r, "info", empty, NULL), 2);
    assert_non_null(strstr(r.err, empty));
    assert_non_null(strstr(r.err, "the file is empty (0 bytes): not a minidump"));
    assert_int_equal(r.out_len, 0);
    tu_free_run(&r);
    assert_int_equal(tu_write_file(empty, "MDMP\x93\xa7", 6), 0);
    assert_int_equal(tu_heapdig(&r, "info", empty, NULL), 2);
    assert_non_null(strstr(r.err, "truncated: the file is too short to hold a minidump header (32 bytes)"));
    tu_free_run(&r);
    assert_int_equal(tu_heapdig(&r, "info", HD_TEST_DATA_DIR, NULL), 2);
    assert_non_null(strstr(r.err, "is a directory, not a dump file"));
    tu_free_run(&r);
    assert_int_equal(tu_heapdig(&r, "address", "--summary", nz, NULL), 2);
    assert_non_null(strstr(r.err, "not a minidump"));
    tu_free_run(&r);
    assert_int_equal(tu_heapdig(&r, "info", tu_data_path("no-such-file.dmp"), NULL), 2);
    assert_non_null(strstr(r.err, "cannot open"));
    tu_free_run(&r);
}

/* ---- the header and directory ------------------------------------------------------------- */

static void header_only(uint32_t nstreams, uint32_t dir_rva)
{
    mdb_init(&B);
    mdb_finish(&B, 0);
    put32(B.buf + 8, nstreams);
    put32(B.buf + 12, dir_rva);
}

static void test_directory_past_eof(void **state)
{
    hd_err e;
    hd_dump *d;
    tu_run r;
    const char *path = tu_data_path("dir_past_eof.dmp");
    (void)state;
    header_only(3, 0xFFFFFFF0u);
    d = open_prefix(B.len, &e);
    assert_int_equal(e, HD_OK);
    EXPECT_DIAG(d, "stream directory at 0xfffffff0 announces 3 streams, only 0 fit in the file: truncated");
    assert_int_equal(hd_stream_count(d), 0);
    close_prefix(d);
    assert_int_equal(tu_write_file(path, B.buf, B.len), 0);
    mdb_free(&B);
    assert_int_equal(tu_heapdig(&r, "info", path, NULL), 2);   /* nothing can be said */
    assert_non_null(strstr(r.err, "no stream could be read: stream directory at 0xfffffff0"));
    tu_free_run(&r);
}

/* 2^32-1 streams announced in a file of 44 bytes: done at once, nothing allocated for them. */
static void test_stream_count_max(void **state)
{
    hd_err e;
    hd_dump *d;
    double t0 = now();
    (void)state;
    mdb_init(&B);
    mdb_dir(&B, 0xABCD1234u, 0, 0);
    mdb_finish(&B, 0);
    put32(B.buf + 8, 0xFFFFFFFFu);
    d = open_prefix(B.len, &e);
    assert_int_equal(e, HD_OK);
    EXPECT_DIAG(d, "announces 4294967295 streams, only 1 fit in the file: truncated");
    assert_int_equal(hd_stream_count(d), 1);
    assert_true(d->streams.cap <= 16);
    assert_false(hd_stream_at(d, 0)->known);                 /* unknown streams: listed, not fatal */
    assert_string_equal(hd_stream_at(d, 0)->name, "unknown");
    assert_int_equal(hd_stream_at(d, 0)->type, 0xABCD1234u);
    close_prefix(d);
    mdb_free(&B);
    assert_true(now() - t0 < 1.0);
}

/* More streams than the limit allows: only the first max_streams are read. */
static void test_stream_limit(void **state)
{
    hd_limits lim;
    hd_dump *d = NULL;
    uint32_t i;
    (void)state;
    mdb_init(&B);
    for (i = 0; i < 40; i++) mdb_dir(&B, 0x1000 + i, 0, 0);
    mdb_finish(&B, 0);
    hd_limits_default(&lim);
    lim.max_streams = 8;
    assert_int_equal(hd_open_mem(B.buf, B.len, &lim, &d), HD_OK);
    EXPECT_DIAG(d, "40 streams, only the first 8 are read (limit)");
    assert_int_equal(hd_stream_count(d), 8);
    hd_close(d);
    mdb_free(&B);
}

/* ---- absurd counts -------------------------------------------------------------------------- */

static void test_absurd_counts(void **state)
{
    uint8_t threads[4] = {0}, mods[4] = {0}, mem32[4] = {0}, mem64[16] = {0}, info[16] = {0};
    uint8_t tinfo[12] = {0}, names[4] = {0}, unl[12] = {0}, handles[16] = {0};
    hd_err e;
    hd_dump *d;
    double t0 = now();
    (void)state;
    mdb_init(&B);
    put32(threads, 0xFFFFFFFFu);
    mdb_stream(&B, 3, threads, sizeof threads);
    put32(mods, 0xFFFFFFFFu);
    mdb_stream(&B, 4, mods, sizeof mods);
    put32(mem32, 0xFFFFFFFFu);
    mdb_stream(&B, 5, mem32, sizeof mem32);
    put64(mem64, UINT64_MAX);
    mdb_stream(&B, 9, mem64, sizeof mem64);
    put32(info, 16);
    put32(info + 4, 48);
    put64(info + 8, (uint64_t)1 << 62);
    mdb_stream(&B, 16, info, sizeof info);
    put32(tinfo, 12);
    put32(tinfo + 4, 64);
    put32(tinfo + 8, 0xFFFFFFFFu);
    mdb_stream(&B, 17, tinfo, sizeof tinfo);
    put32(names, 0xFFFFFFFFu);
    mdb_stream(&B, 24, names, sizeof names);
    put32(unl, 12);
    put32(unl + 4, 24);
    put32(unl + 8, 0xFFFFFFFFu);
    mdb_stream(&B, 14, unl, sizeof unl);
    put32(handles, 16);
    put32(handles + 4, 40);
    put32(handles + 8, 0xFFFFFFFFu);
    mdb_stream(&B, 12, handles, sizeof handles);
    mdb_dir(&B, 7, 56, 0xFFFFFF00u);            /* a stream whose RVA is past the end of the file */
    mdb_finish(&B, 0);
    d = open_prefix(B.len, &e);
    assert_int_equal(e, HD_OK);
    EXPECT_DIAG(d, "SystemInfoStream (type 7) at RVA 0xffffff00 size 56 runs past the end of the file");
    assert_false(hd_sysinfo_get(d)->present);
    EXPECT_DIAG(d, "ThreadListStream: 4294967295 entries announced, only 0 fit in the stream: truncated");
    EXPECT_DIAG(d, "ModuleListStream: 4294967295 entries announced, only 0 fit in the stream: truncated");
    EXPECT_DIAG(d, "MemoryListStream: 4294967295 ranges announced, only 0 fit in the stream: truncated");
    EXPECT_DIAG(d, "Memory64ListStream: 18446744073709551615 ranges announced, only 0 fit in the stream: truncated");
    EXPECT_DIAG(d, "MemoryInfoListStream: 4611686018427387904 entries announced, only 0 fit in the stream: truncated");
    EXPECT_DIAG(d, "ThreadInfoListStream: 4294967295 entries announced, only 0 fit in the stream: truncated");
    EXPECT_DIAG(d, "ThreadNamesStream: 4294967295 entries announced, only 0 fit in the stream: truncated");
    EXPECT_DIAG(d, "UnloadedModuleListStream: 4294967295 entries announced, only 0 fit in the stream: truncated");
    EXPECT_DIAG(d, "HandleDataStream: 4294967295 entries announced, only 0 fit in the stream: truncated");
    /* nothing was allocated for the announced entries */
    assert_true(d->threads.cap <= 16 && d->modules.cap <= 16 && d->ranges.cap <= 16 && d->regions.cap <= 16);
    assert_true(d->unloaded.cap <= 16 && d->handles.cap <= 16);
    assert_true(d->ar.total <= 1 << 20);
    assert_int_equal(hd_diag_worst(d), HD_SEV_ERROR);
    close_prefix(d);
    mdb_free(&B);
    assert_true(now() - t0 < 1.0);
}

/* Counts that fit but exceed the configured limits. */
static void test_count_limits(void **state)
{
    uint8_t mem64[16 + 16 * 5] = {0}, data[5 * 16] = {0};
    hd_limits lim;
    hd_dump *d = NULL;
    int i;
    (void)state;
    mdb_init(&B);
    put64(mem64, 5);
    for (i = 0; i < 5; i++) {
        put64(mem64 + 16 + 16 * i, 0x10000 * (uint64_t)(i + 1));
        put64(mem64 + 16 + 16 * i + 8, 16);
    }
    put64(mem64 + 8, mdb_append(&B, data, sizeof data));
    mdb_stream(&B, 9, mem64, sizeof mem64);
    mdb_finish(&B, 0);
    hd_limits_default(&lim);
    lim.max_ranges = 2;
    assert_int_equal(hd_open_mem(B.buf, B.len, &lim, &d), HD_OK);
    EXPECT_DIAG(d, "Memory64ListStream: 5 ranges, only the first 2 are read (limit)");
    assert_int_equal(hd_range_count(d), 2);
    hd_close(d);
    mdb_free(&B);
}

/* ---- memory ranges -------------------------------------------------------------------------- */

/* Memory64List: [0x1000,+0x2000) 'A', [0x2000,+0x2000) 'B' overlapping it, a duplicate of the
** first 'C', a zero-length range, and a range whose data runs past the end of the file. */
static void test_overlapping_ranges(void **state)
{
    uint8_t list[16 + 16 * 5] = {0}, a[0x2000], b2[0x2000], c[0x2000], tail[0x100];
    uint8_t buf[0x3000];
    size_t got = 0;
    uint32_t data;
    hd_err e;
    hd_dump *d;
    (void)state;
    memset(a, 'A', sizeof a);
    memset(b2, 'B', sizeof b2);
    memset(c, 'C', sizeof c);
    memset(tail, 'T', sizeof tail);
    put64(list, 5);
    put64(list + 16, 0x1000);  put64(list + 24, 0x2000);
    put64(list + 32, 0x2000);  put64(list + 40, 0x2000);
    put64(list + 48, 0x1000);  put64(list + 56, 0x2000);
    put64(list + 64, 0x9000);  put64(list + 72, 0);
    put64(list + 80, 0x20000); put64(list + 88, 0x10000);   /* only 0x100 bytes present */
    /* the directory first, so that the file ends inside the last range's data */
    mdb_init(&B);
    mdb_dir(&B, 9, sizeof list, 32 + 12);
    B.dir_rva = 32;
    mdb_append(&B, NULL, 12);                 /* the directory entry, written below */
    data = mdb_append(&B, list, sizeof list);
    put64(B.buf + data + 8, data + sizeof list);
    mdb_append(&B, a, sizeof a);
    mdb_append(&B, b2, sizeof b2);
    mdb_append(&B, c, sizeof c);
    mdb_append(&B, tail, sizeof tail);
    put32(B.buf, 0x504D444Du);
    put32(B.buf + 4, 0xA793u);
    put32(B.buf + 8, 1);
    put32(B.buf + 12, 32);
    put32(B.buf + 32, 9);
    put32(B.buf + 36, sizeof list);
    put32(B.buf + 40, data);
    d = open_prefix(B.len, &e);
    assert_int_equal(e, HD_OK);
    EXPECT_DIAG(d, "range 0x2000 (+0x2000) overlaps an earlier range by 0x1000 bytes; trimmed");
    EXPECT_DIAG(d, "range 0x1000 (+0x2000) is wholly covered by an earlier range; dropped");
    EXPECT_DIAG(d, "Memory64List: zero-length range at 0x9000 ignored");
    EXPECT_DIAG(d, "Memory64List: range 0x20000 announces 0x10000 bytes, only 0x100 are in the file; clipped");
    assert_int_equal(hd_range_count(d), 3);
    assert_int_equal(hd_range_at(d, 0)->base, 0x1000);
    assert_int_equal(hd_range_at(d, 0)->size, 0x2000);
    assert_int_equal(hd_range_at(d, 1)->base, 0x3000);
    assert_int_equal(hd_range_at(d, 1)->size, 0x1000);
    assert_int_equal(hd_range_at(d, 2)->size, 0x100);
    /* the first listed wins the overlap: 'A' up to 0x3000, then the rest of 'B' */
    assert_int_equal(hd_read(d, 0x1000, buf, 0x3000, &got), HD_OK);
    assert_int_equal(buf[0], 'A');
    assert_int_equal(buf[0x1FFF], 'A');
    assert_int_equal(buf[0x2000], 'B');
    assert_int_equal(buf[0x2FFF], 'B');
    /* reading across the hole after 0x4000 says what is missing */
    assert_int_equal(hd_read(d, 0x3F00, buf, 0x200, &got), HD_EUNMAPPED);
    assert_int_equal(got, 0x100);
    assert_int_equal(buf[0x1FF], 0);
    assert_null(hd_view(d, 0x3F00, 0x200));
    assert_int_equal(hd_captured_at(d, 0x1000), 0x3000);
    assert_int_equal(hd_captured_in(d, 0x0, 0x30000), 0x3100);
    close_prefix(d);
    mdb_free(&B);
}

/* MemoryInfoList: overlapping, duplicate, zero-length and wrapping regions. */
static void test_bad_regions(void **state)
{
    static const mdb_region r[] = {
        {0x10000, 0x10000, 0x4000, 0x1000, 4, 0x20000},
        {0x12000, 0x12000, 0x4000, 0x1000, 4, 0x20000},          /* overlaps the first */
        {0x10000, 0x10000, 0x1000, 0x1000, 4, 0x20000},          /* inside the first */
        {0x20000, 0x20000, 0, 0x1000, 4, 0x20000},               /* zero length */
        {0xFFFFFFFFFFFF0000ull, 0, 0x20000, 0x10000, 1, 0},      /* wraps */
    };
    hd_err e;
    hd_dump *d;
    const hd_addr_summary *s;
    (void)state;
    mdb_init(&B);
    mdb_meminfo(&B, r, 5);
    mdb_finish(&B, 0);
    d = open_prefix(B.len, &e);
    assert_int_equal(e, HD_OK);
    EXPECT_DIAG(d, "MemoryInfoList region 0x12000 overlaps the previous region (ends 0x14000); trimmed");
    EXPECT_DIAG(d, "MemoryInfoList region 0x10000 (+0x1000) overlaps an earlier region and is wholly covered; dropped");
    EXPECT_DIAG(d, "MemoryInfoList: zero-length region at 0x20000 ignored");
    EXPECT_DIAG(d, "MemoryInfoList: region 0xffffffffffff0000 + 0x20000 wraps the address space; clipped");
    assert_int_equal(hd_region_count(d), 3);
    assert_int_equal(hd_region_at(d, 0)->base, 0x10000);
    assert_int_equal(hd_region_at(d, 0)->size, 0x4000);    /* equal bases: the larger one wins */
    assert_int_equal(hd_region_at(d, 1)->base, 0x14000);
    assert_int_equal(hd_region_at(d, 1)->size, 0x2000);
    assert_int_equal(hd_region_at(d, 2)->size, 0xFFFF);
    s = hd_addr_summary_get(d);
    assert_int_equal(s->state_free.size, 0xFFFF);
    close_prefix(d);
    mdb_free(&B);
}

/* ---- truncation at every stream boundary -------------------------------------------------- */

static void build_full(int dir_first)
{
    mdb_proc p = {0, 1, 0, 2, 2, 0x1000};
    uint8_t tinfo[12 + 64 * 2] = {0}, names[4 + 12 * 2] = {0}, unl[12 + 24] = {0}, exc[168] = {0};
    uint8_t handles[16 + 40] = {0};
    int i;
    if (dir_first) mdb_init_dir_first(&B, 16); else mdb_init(&B);
    mdb_process(&B, &p);
    put32(tinfo, 12);
    put32(tinfo + 4, 64);
    put32(tinfo + 8, 2);
    for (i = 0; i < 2; i++) {
        put32(tinfo + 12 + 64 * i, 0x100 + (uint32_t)i);
        put64(tinfo + 12 + 64 * i + 0x30, 0x60001000u + (uint64_t)i);
    }
    mdb_stream(&B, 17, tinfo, sizeof tinfo);
    put32(names, 2);
    put32(names + 4, 0x100);
    put64(names + 8, mdb_string(&B, "main"));
    put32(names + 16, 0x101);
    put64(names + 20, mdb_string(&B, "worker"));
    mdb_stream(&B, 24, names, sizeof names);
    put32(unl, 12);
    put32(unl + 4, 24);
    put32(unl + 8, 1);
    put64(unl + 12, 0x70000000u);
    put32(unl + 12 + 8, 0x5000);
    put32(unl + 12 + 0x14, mdb_string(&B, "C:\\gone\\plugin.dll"));
    mdb_stream(&B, 14, unl, sizeof unl);
    put32(exc, 0x100);
    put32(exc + 8, 0xC0000374u);
    put64(exc + 0x18, 0x60001234u);
    put32(exc + 0x20, 2);
    put64(exc + 0x28, 0x1111);
    put64(exc + 0x30, 0x2222);
    mdb_stream(&B, 6, exc, sizeof exc);
    put32(handles, 16);
    put32(handles + 4, 40);
    put32(handles + 8, 1);
    put64(handles + 16, 0x44);
    put32(handles + 16 + 8, mdb_string(&B, "Event"));
    put32(handles + 16 + 0x18, 3);
    mdb_stream(&B, 12, handles, sizeof handles);
    mdb_finish(&B, 0x1826);
}

/* The full dump reads cleanly, every stream typed. */
static void test_full_dump_streams(void **state)
{
    hd_err e;
    hd_dump *d;
    const hd_exception *x;
    (void)state;
    build_full(0);
    d = open_prefix(B.len, &e);
    assert_int_equal(e, HD_OK);
    if (hd_diag_worst(d) > HD_SEV_INFO) { print_diags(d); fail(); }
    assert_string_equal(hd_thread_at(d, 0)->name, "main");
    assert_string_equal(hd_thread_at(d, 1)->name, "worker");
    assert_true(hd_thread_at(d, 1)->has_info);
    assert_int_equal(hd_thread_at(d, 1)->start_address, 0x60001001u);
    assert_int_equal(hd_unloaded_module_count(d), 1);
    assert_string_equal(hd_unloaded_module_at(d, 0)->name, "plugin.dll");
    assert_true(hd_unloaded_module_at(d, 0)->unloaded);
    assert_int_equal(hd_unloaded_module_at(d, 0)->size, 0x5000);
    x = hd_exception_get(d);
    assert_true(x->present);
    assert_int_equal(x->code, 0xC0000374u);
    assert_int_equal(x->address, 0x60001234u);
    assert_int_equal(x->nparams, 2);
    assert_int_equal(x->params[1], 0x2222);
    assert_int_equal(hd_handle_count(d), 1);
    assert_string_equal(hd_handle_at(d, 0)->type_name, "Event");
    assert_int_equal(hd_handle_at(d, 0)->handle, 0x44);
    assert_int_equal(hd_handle_at(d, 0)->handle_count, 3);
    assert_int_equal(hd_miscinfo_get(d)->pid, 0x1234);
    close_prefix(d);
    /* and the CLI shows them */
    {
        tu_run r;
        const char *path = tu_data_path("full_streams.dmp");
        assert_int_equal(tu_write_file(path, B.buf, B.len), 0);
        assert_int_equal(tu_heapdig(&r, "info", "--json", path, NULL), 0);
        assert_non_null(strstr(r.out, "\"name\": \"plugin.dll\""));
        assert_non_null(strstr(r.out, "\"handles\": 1,"));
        assert_non_null(strstr(r.out, "\"name\": \"heap corruption\""));
        assert_non_null(strstr(r.out, "\"name\": \"worker\""));
        tu_free_run(&r);
        assert_int_equal(tu_heapdig(&r, "info", path, NULL), 0);
        assert_non_null(strstr(r.out, "Exception:   0xc0000374 (heap corruption) at 60001234, thread 0x100"));
        assert_non_null(strstr(r.out, "\"worker\""));
        assert_non_null(strstr(r.out, "1 loaded, 1 unloaded"));
        tu_free_run(&r);
    }
    mdb_free(&B);
}

/* Cut the file at every stream boundary (start, start+1, middle, end-1, end of each stream, every
** 2 KB of captured memory, the directory): each cut opens at once, with the exact diagnostic for
** what was lost.  Twice: directory at the end (a cut loses the directory: "only N fit") and at
** the start (a cut loses stream data: "runs past the end of the file"). */
static void truncate_everywhere(int dir_first)
{
    size_t cuts[600], n = 0, i, k, full_len;
    uint32_t dir_rva, nstreams;
    build_full(dir_first);
    full_len = B.len;
    dir_rva = B.dir_rva;
    nstreams = dir_first ? B.dir_slots : B.ndir;
    cuts[n++] = 0;
    cuts[n++] = 31;
    cuts[n++] = 32;
    for (i = 0; i < B.ndir; i++) {
        uint32_t rva = B.dir[i].rva, size = B.dir[i].size;
        cuts[n++] = rva;
        cuts[n++] = rva + 1;
        cuts[n++] = rva + size / 2;
        cuts[n++] = rva + size - 1;
        cuts[n++] = rva + size;
    }
    for (i = 0; B.mem_data_rva + 0x800 * i < full_len && n < 580; i++) cuts[n++] = B.mem_data_rva + 0x800 * i;
    cuts[n++] = dir_rva;
    cuts[n++] = dir_rva + 12 * (nstreams / 2);
    cuts[n++] = full_len - 1;
    for (k = 0; k < n; k++) {
        size_t len = cuts[k] > full_len ? full_len : cuts[k];
        hd_err e;
        hd_dump *d = open_prefix(len, &e);
        if (len < 32) {
            assert_int_equal(e, HD_ETRUNC);
            assert_null(d);
            continue;
        }
        assert_int_equal(e, HD_OK);
        if (len < dir_rva + 12u * nstreams) {
            char want[160];
            snprintf(want, sizeof want, "stream directory at 0x%x announces %u streams, only %zu fit in the file: truncated",
                     dir_rva, nstreams, len > dir_rva ? (len - dir_rva) / 12 : 0);
            EXPECT_DIAG(d, want);
        } else {
            /* every stream that the cut reaches is reported as running past the end */
            for (i = 0; i < B.ndir; i++) {
                char want[160];
                if ((size_t)B.dir[i].rva + B.dir[i].size <= len) continue;
                snprintf(want, sizeof want, "(type %u) at RVA 0x%x size %u runs past the end of the file (%zu bytes)",
                         B.dir[i].type, B.dir[i].rva, B.dir[i].size, len);
                EXPECT_DIAG(d, want);
            }
            if (len < full_len && len > B.mem_data_rva) {
                if (!find_diag(d, "are in the file; clipped")) EXPECT_DIAG(d, "is past the end of the file; range dropped");
            }
            if (len < full_len) assert_int_equal(hd_diag_worst(d), HD_SEV_ERROR);
        }
        close_prefix(d);
    }
    mdb_free(&B);
}

static void test_truncate_everywhere(void **state)
{
    double t0 = now();
    (void)state;
    truncate_everywhere(0);
    truncate_everywhere(1);
    assert_true(now() - t0 < 20.0);
}

/* A truncated dump: the CLI answers what it can and exits 1. */
static void test_cli_partial(void **state)
{
    const char *path = tu_data_path("truncated.dmp");
    tu_run r;
    (void)state;
    build_full(0);
    /* cut inside the captured memory, keep the directory by moving nothing: the directory is at
    ** the end, so write the header + streams + half the data + the directory */
    {
        size_t keep = B.mem_data_rva + 0x1800, dlen = B.len - B.dir_rva;
        uint8_t *f = malloc(keep + dlen);
        memcpy(f, B.buf, keep);
        memcpy(f + keep, B.buf + B.dir_rva, dlen);
        put32(f + 12, (uint32_t)keep);
        assert_int_equal(tu_write_file(path, f, keep + dlen), 0);
        free(f);
    }
    mdb_free(&B);
    assert_int_equal(tu_heapdig(&r, "address", "--summary", path, NULL), 1);
    assert_non_null(strstr(r.out, "--- Usage Summary"));
    assert_non_null(strstr(r.err, "error(s)"));
    tu_free_run(&r);
    assert_int_equal(tu_heapdig(&r, "info", "--json", path, NULL), 1);
    assert_non_null(strstr(r.out, "\"severity\": \"error\""));
    assert_non_null(strstr(r.out, "are in the file; clipped"));
    tu_free_run(&r);
}

/* ---- structures inside the process -------------------------------------------------------- */

/* A PEB announcing 2^32-1 heaps, a duplicate stream, and 20000 handles that all point at one
** 30000-character string (60 KB in the file, 1.8 GB if every copy were decoded). */
static void test_hostile_process(void **state)
{
    mdb_proc p = {0, 0, 0, 1, 1, 0};
    uint8_t *handles, bad[8];
    uint32_t name, i;
    const uint32_t nh = 20000;
    char longname[30001];
    hd_err e;
    hd_dump *d;
    double t0 = now();
    (void)state;
    mdb_init(&B);
    mdb_process(&B, &p);
    /* PEB64: NumberOfHeaps 0xFFFFFFFF (MaximumNumberOfHeaps stays 16) */
    for (i = 0; i < B.nmem; i++)
        if (B.mem[i].va == MDB_PEB64) put32((uint8_t *)B.mem[i].data + 0xE8, 0xFFFFFFFFu);
    /* handles */
    memset(longname, 'x', 30000);
    longname[30000] = 0;
    name = mdb_string(&B, longname);
    handles = calloc(1, 16 + 40 * (size_t)nh);
    put32(handles, 16);
    put32(handles + 4, 40);
    put32(handles + 8, nh);
    for (i = 0; i < nh; i++) {
        put64(handles + 16 + 40 * i, 4 * i);
        put32(handles + 16 + 40 * i + 8, name);
    }
    mdb_stream(&B, 12, handles, 16 + 40 * (size_t)nh);
    free(handles);
    /* a second ModuleListStream whose module name claims 0xFFFFFFFE bytes */
    put32(bad, 0xFFFFFFFEu);
    put32(bad + 4, 0);
    {
        uint8_t mods[4 + 108] = {0};
        put32(mods, 1);
        put64(mods + 4, 0x61000000u);
        put32(mods + 4 + 8, 0x1000);
        put32(mods + 4 + 0x14, mdb_append(&B, bad, sizeof bad));
        mdb_stream(&B, 4, mods, sizeof mods);   /* a duplicate ModuleListStream: ignored */
    }
    mdb_finish(&B, 0x1826);
    d = open_prefix(B.len, &e);
    assert_int_equal(e, HD_OK);
    EXPECT_DIAG(d, "NumberOfHeaps 4294967295 exceeds MaximumNumberOfHeaps 16");
    EXPECT_DIAG(d, "NumberOfHeaps 4294967295, only 4096 read (limit)");
    EXPECT_DIAG(d, "duplicate ModuleListStream (type 4); the first one is used");
    EXPECT_DIAG(d, "further names are left empty (limit)");
    assert_int_equal(hd_handle_count(d), nh);
    /* strings were decoded within the budget: 16 MB + 3 x the file */
    assert_true(d->str_bytes <= ((uint64_t)16 << 20) + 3 * B.len);
    assert_true(d->ar.total <= ((uint64_t)40 << 20) + 3 * B.len);
    close_prefix(d);
    mdb_free(&B);
    assert_true(now() - t0 < 5.0);
}

/* A TEB whose NtTib.Self is not its own address, and a bad MINIDUMP_STRING length. */
static void test_bad_teb_and_string(void **state)
{
    uint8_t threads[4 + 48] = {0}, teb[0x100] = {0}, mods[4 + 108] = {0}, bad[8] = {0};
    hd_err e;
    hd_dump *d;
    (void)state;
    mdb_init(&B);
    mdb_sysinfo(&B, 9, 10, 0, 19041);
    put32(threads, 1);
    put32(threads + 4, 7);
    put64(threads + 4 + 0x10, 0x50000000u);
    mdb_stream(&B, 3, threads, sizeof threads);
    put64(teb + 0x30, 0x12345678u);          /* Self */
    put64(teb + 0x60, 0x50001000u);          /* PEB */
    mdb_mem(&B, 0x50000000u, teb, sizeof teb);
    put32(bad, 0xFFFFFFFEu);
    put32(mods, 1);
    put64(mods + 4, 0x61000000u);
    put32(mods + 4 + 8, 0x1000);
    put32(mods + 4 + 0x14, mdb_append(&B, bad, sizeof bad));
    mdb_stream(&B, 4, mods, sizeof mods);
    mdb_finish(&B, 0);
    d = open_prefix(B.len, &e);
    assert_int_equal(e, HD_OK);
    EXPECT_DIAG(d, "TEB 0x50000000: NtTib.Self is 0x12345678, not the TEB address");
    EXPECT_DIAG(d, "has a bad length 4294967294");
    EXPECT_DIAG(d, "no thread's TEB is captured: the PEB (and its heap list) cannot be found");
    assert_int_equal(hd_process_get(d)->peb_count, 0);
    assert_string_equal(hd_module_at(d, 0)->path, "");
    close_prefix(d);
    mdb_free(&B);
}

/* Self-references: a TEB that is its own PEB, whose ProcessHeaps array is the PEB itself and
** lists the PEB and the TEB as heaps, NumberOfHeaps 512.  Bounded, and the precedence decides:
** the region is the PEB's. */
static void test_self_references(void **state)
{
    uint8_t threads[4 + 48] = {0}, page[0x1000] = {0};
    static const mdb_region r[] = {
        {0x0, 0, 0x50000000, 0x10000, 1, 0},
        {0x50000000, 0x50000000, 0x1000, 0x1000, 4, 0x20000},
        {0x50001000, 0, 0x7FFF0000u - 0x50001000u, 0x10000, 1, 0},
    };
    uint32_t i;
    hd_err e;
    hd_dump *d;
    const hd_process *p;
    (void)state;
    mdb_init(&B);
    mdb_sysinfo(&B, 9, 10, 0, 19041);
    put32(threads, 1);
    put64(threads + 4 + 0x10, 0x50000000u);
    mdb_stream(&B, 3, threads, sizeof threads);
    put64(page + 0x30, 0x50000000u);          /* TEB.Self; also PEB.ProcessHeap (+0x30) */
    put64(page + 0x60, 0x50000000u);          /* TEB.ProcessEnvironmentBlock: itself */
    put32(page + 0xE8, 512);                  /* PEB.NumberOfHeaps */
    put32(page + 0xEC, 512);
    put64(page + 0xF0, 0x50000000u);          /* ProcessHeaps: the PEB itself */
    mdb_mem(&B, 0x50000000u, page, sizeof page);
    mdb_meminfo(&B, r, 3);
    mdb_finish(&B, 0x1806);
    d = open_prefix(B.len, &e);
    assert_int_equal(e, HD_OK);
    p = hd_process_get(d);
    assert_int_equal(p->peb_count, 1);
    assert_int_equal(p->pebs[0].heap_count, 512);
    for (i = 0; i < 512; i++) (void)p->pebs[0].heaps[i];
    assert_int_equal(hd_area_find(d, 0x50000000u)->usage, HD_USAGE_PEB);
    assert_int_equal(hd_addr_summary_get(d)->usage[HD_USAGE_HEAP].regions, 0);
    close_prefix(d);
    mdb_free(&B);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_and_not_mdmp),
        cmocka_unit_test(test_directory_past_eof),
        cmocka_unit_test(test_stream_count_max),
        cmocka_unit_test(test_stream_limit),
        cmocka_unit_test(test_absurd_counts),
        cmocka_unit_test(test_count_limits),
        cmocka_unit_test(test_overlapping_ranges),
        cmocka_unit_test(test_bad_regions),
        cmocka_unit_test(test_full_dump_streams),
        cmocka_unit_test(test_truncate_everywhere),
        cmocka_unit_test(test_cli_partial),
        cmocka_unit_test(test_hostile_process),
        cmocka_unit_test(test_bad_teb_and_string),
        cmocka_unit_test(test_self_references),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
