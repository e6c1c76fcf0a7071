/*
** gen_seeds.c - writes the synthetic seed dumps of fuzz/corpus/dump/ with the test-only builder
** (tests/util/mdb.c).  Not part of the build's tests; run by hand when the seeds change:
**   cmake --build build/check --target fuzz_gen_seeds && build/check/fuzz/fuzz_gen_seeds fuzz/corpus/dump
*/
#include <stdio.h>
#include <string.h>
#include "mdb.h"

static mdb B;

static void save(const char *dir, const char *name)
{
    char path[1024];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (!f || fwrite(B.buf, 1, B.len, f) != B.len) perror(path);
    if (f) fclose(f);
    mdb_free(&B);
}

static void proc(const char *dir, const char *name, mdb_proc p, int dir_first)
{
    if (dir_first) mdb_init_dir_first(&B, 12); else mdb_init(&B);
    mdb_process(&B, &p);
    mdb_finish(&B, 0x1826);
    save(dir, name);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    uint8_t names[4 + 12] = {0}, unl[12 + 24] = {0}, exc[168] = {0}, handles[16 + 40] = {0};
    uint8_t tinfo[12 + 64] = {0}, list[16 + 16 * 3] = {0}, data[0x300];
    mdb_proc x64 = {0, 0, 0, 1, 1, 0}, wow = {0, 1, 0, 1, 1, 0x1000}, x86 = {1, 0, 1, 2, 1, 0x02000000};
    proc(dir, "x64_process.dmp", x64, 0);
    proc(dir, "wow64_process.dmp", wow, 1);
    proc(dir, "x86_no_meminfo.dmp", x86, 0);
    /* the refining streams */
    mdb_init_dir_first(&B, 10);
    mdb_sysinfo(&B, 9, 10, 0, 22631);
    put32(tinfo, 12); put32(tinfo + 4, 64); put32(tinfo + 8, 1); put32(tinfo + 12, 7);
    mdb_stream(&B, 17, tinfo, sizeof tinfo);
    put32(names, 1); put32(names + 4, 7); put64(names + 8, mdb_string(&B, "main"));
    mdb_stream(&B, 24, names, sizeof names);
    put32(unl, 12); put32(unl + 4, 24); put32(unl + 8, 1); put64(unl + 12, 0x70000000u);
    put32(unl + 12 + 8, 0x5000); put32(unl + 12 + 0x14, mdb_string(&B, "x.dll"));
    mdb_stream(&B, 14, unl, sizeof unl);
    put32(exc, 7); put32(exc + 8, 0xC0000005u); put32(exc + 0x20, 2);
    mdb_stream(&B, 6, exc, sizeof exc);
    put32(handles, 16); put32(handles + 4, 40); put32(handles + 8, 1); put32(handles + 24, mdb_string(&B, "File"));
    mdb_stream(&B, 12, handles, sizeof handles);
    mdb_misc(&B, 42);
    mdb_finish(&B, 0x1004);
    save(dir, "streams.dmp");
    /* overlapping, zero-length and clipped memory ranges */
    memset(data, 'A', sizeof data);
    mdb_init(&B);
    put64(list, 3);
    put64(list + 16, 0x1000); put64(list + 24, 0x100);
    put64(list + 32, 0x1080); put64(list + 40, 0x100);
    put64(list + 48, 0x2000); put64(list + 56, 0);
    put64(list + 8, 32 + sizeof list);
    mdb_stream(&B, 9, list, sizeof list);
    mdb_append(&B, data, sizeof data);
    mdb_finish(&B, 0x2);
    save(dir, "overlaps.dmp");
    return 0;
}
