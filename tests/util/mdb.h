/*
** mdb.h - a tiny test-only minidump builder (never shared with tools/mkdump).
**
** It writes exactly what a test asks for, in the file order the test chooses, so hostile cases
** (truncations, bad counts, overlaps) are a few lines each.  Layouts are written from the
** published MINIDUMP_* definitions by hand, independently of lib/dump.
**
**   mdb b; mdb_init(&b);
**   uint32_t rva = mdb_stream(&b, 7, sysinfo_bytes, 56);     // data + directory entry
**   mdb_mem(&b, 0x10000, bytes, 4096);                         // captured memory (Memory64List)
**   mdb_finish(&b, flags);    // Memory64List + data, then the directory, then the header
**   ... b.buf / b.len is the file; mdb_free(&b).
*/
#ifndef HD_TEST_MDB_H
#define HD_TEST_MDB_H

#include <stddef.h>
#include <stdint.h>

typedef struct mdb_mem { uint64_t va; const void *data; size_t size; } mdb_memrange;

typedef struct mdb {
    uint8_t *buf;
    size_t len, cap;
    struct { uint32_t type, size, rva; } dir[64];
    uint32_t ndir;
    mdb_memrange mem[4096];
    size_t nmem;
    void *owned[4096];
    size_t nowned;
    /* after mdb_finish: where things went */
    uint32_t dir_rva, mem64_rva, mem_data_rva;
    uint32_t dir_slots;
} mdb;

void mdb_init(mdb *b);                                      /* reserves the 32-byte header */
/* Directory right after the header (NSLOTS entries; unused ones stay UnusedStream), so that a
** truncated file keeps its directory and loses stream data instead. */
void mdb_init_dir_first(mdb *b, uint32_t nslots);
void mdb_free(mdb *b);
uint32_t mdb_append(mdb *b, const void *p, size_t n);       /* raw bytes; returns their RVA */
uint32_t mdb_stream(mdb *b, uint32_t type, const void *p, size_t n);
void mdb_dir(mdb *b, uint32_t type, uint32_t size, uint32_t rva);   /* a raw directory entry */
uint32_t mdb_string(mdb *b, const char *ascii);             /* MINIDUMP_STRING (UTF-16LE) */
void mdb_mem(mdb *b, uint64_t va, const void *data, size_t size);
void mdb_finish(mdb *b, uint64_t flags);

/* Little-endian stores into a byte buffer. */
void put16(uint8_t *p, uint16_t v);
void put32(uint8_t *p, uint32_t v);
void put64(uint8_t *p, uint64_t v);

/* Common streams. */
uint32_t mdb_sysinfo(mdb *b, uint16_t arch, uint32_t major, uint32_t minor, uint32_t build);  /* arch 0 x86, 9 x64 */
uint32_t mdb_misc(mdb *b, uint32_t pid);                                                      /* MISC_INFO (24) */
/* MemoryInfoList from an array of {base, alloc_base, size, state, protect, type}. */
typedef struct mdb_region { uint64_t base, alloc_base, size; uint32_t state, protect, type; } mdb_region;
uint32_t mdb_meminfo(mdb *b, const mdb_region *r, size_t n);

/* A whole small process, x64 (optionally WoW64) or x86, with what the address map needs:
** threads with TEBs and stacks, PEB(s) listing heaps, a module, KUSER_SHARED_DATA, a
** MemoryInfoList covering [0, top) and the TEB/PEB/heap-array pages captured.  The facts are
** in the struct so tests assert against them, not against the library. */
typedef struct mdb_proc {
    int x86;                  /* 1: an x86 dump */
    int wow64;                /* 1 (x64 only): TEB32 at TEB + 0x2000 and a 32-bit PEB */
    int no_meminfo;           /* 1: leave out the MemoryInfoList */
    uint32_t nthreads;        /* <= 8 */
    uint32_t nheaps;          /* <= 8, heaps at 0x1000000 + i * 0x100000 (64-bit PEB: 0x20000000 + ...) */
    uint32_t nt_global_flag;
} mdb_proc;
/* Addresses the process builder uses. */
#define MDB_PEB64   0x7EFDF000u
#define MDB_PEB32   0x7EFDE000u
#define MDB_TEB(i)  (0x7EF00000u + (uint64_t)(i) * 0x4000u)
#define MDB_STACK(i) (0x100000u + (uint64_t)(i) * 0x100000u)   /* allocation base; 0x100000 long */
#define MDB_STACK32(i) (0x10000000u + (uint64_t)(i) * 0x100000u)
#define MDB_HEAP(i)  (0x1000000u + (uint64_t)(i) * 0x100000u)   /* heaps of the native/32-bit PEB */
#define MDB_HEAP64(i) (0x20000000u + (uint64_t)(i) * 0x100000u) /* heaps of the 64-bit PEB (WoW64) */
#define MDB_MODULE  0x60000000u
#define MDB_TOP     0x7FFF0000u
void mdb_process(mdb *b, const mdb_proc *p);   /* writes the streams and memory; call mdb_finish */

#endif
