/*
** mkdump.h - internal declarations of mkdump, the ground-truth minidump generator.
**
** mkdump is the project's second, independent reading of ../shared/reference/nt-heap-layouts.md
** (called "the reference" below, sections as "§N").  It includes nothing from lib/ or
** include/heapdig.h and shares no tables or decoding code with the analyzer: a misreading shows up
** as a disagreement between the two.
**
** Pieces:
**   util.c      errors, allocation, vectors, the deterministic random generator
**   json.c      a small streaming JSON writer (the manifest)
**   layouts.c   one table per heap layout, each field citing the reference
**   vm.c        the simulated address space (reservations, regions) and the sparse dump writer
**   minidump.c  the minidump streams (header, directory, SystemInfo, threads, modules, memory)
**   pe.c        minimal PE images with export directories
**   scenario.c  scenario files and the built-in scenarios
**   process.c   the process skeleton: modules, PEB/TEB, stacks, stack traces
**   heap.c      NT heaps: segments, UCRs, blocks, free lists, VirtualAlloc blocks, LFH
**   dph.c       page heap (full page heap blocks, DPH root and nodes)
**   main.c      the command line
*/
#ifndef MKDUMP_H
#define MKDUMP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MKDUMP_VERSION "1.0.0"

typedef uint64_t u64;
typedef int64_t i64;
typedef uint32_t u32;
typedef uint16_t u16;
typedef uint8_t u8;

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + ((u64)(a) - 1)) & ~((u64)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((u64)(a) - 1))
#define PAGE 0x1000u
#define ALLOC_GRAN 0x10000u

/* ---- util.c ---------------------------------------------------------------------------------- */
#if defined(__GNUC__)
#define MK_NORETURN __attribute__((noreturn))
#if defined(__MINGW32__)
#define MK_PRINTF(a, b) __attribute__((format(gnu_printf, a, b)))
#else
#define MK_PRINTF(a, b) __attribute__((format(printf, a, b)))
#endif
#else
#define MK_NORETURN
#define MK_PRINTF(a, b)
#endif
MK_NORETURN void die(const char *fmt, ...) MK_PRINTF(1, 2);
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xsprintf(const char *fmt, ...) MK_PRINTF(1, 2);

/* A growable array of T: VEC(T) v = {0}; VPUSH(v, x); v.v[i]; v.n. */
#define VEC(T) struct { T *v; size_t n, cap; }
#define VGROW(vec)                                                                  \
    do {                                                                            \
        if ((vec).n == (vec).cap) {                                                 \
            (vec).cap = (vec).cap ? 2 * (vec).cap : 16;                             \
            (vec).v = xrealloc((vec).v, (vec).cap * sizeof(*(vec).v));              \
        }                                                                           \
    } while (0)
#define VPUSH(vec, x)                                                               \
    do {                                                                            \
        VGROW(vec);                                                                 \
        (vec).v[(vec).n++] = (x);                                                   \
    } while (0)
#define VFREE(vec)                                                                  \
    do {                                                                            \
        free((vec).v);                                                              \
        (vec).v = NULL;                                                             \
        (vec).n = (vec).cap = 0;                                                    \
    } while (0)

/* xoshiro256** seeded through splitmix64: the same (seed, stream) gives the same numbers on
** every platform.  Every heap draws from its own stream so that scenarios compose. */
typedef struct rng { u64 s[4]; } rng;
void rng_seed(rng *r, u64 seed, u64 stream);
u64 rng_next(rng *r);
u64 rng_range(rng *r, u64 lo, u64 hi);   /* inclusive */
double rng_unit(rng *r);                  /* [0, 1) */
u64 hash64(const void *p, size_t n, u64 h);

/* Parse "0x1F", "4096", "16M", "1.5G" (K/M/G = 2^10/2^20/2^30); 0 on error with *ok = 0. */
u64 parse_size(const char *s, int *ok);

/* ---- json.c ----------------------------------------------------------------------------------- */
typedef struct json {
    FILE *f;
    int depth;
    unsigned char first[64];   /* per level: nothing written yet at this level */
} json;
void j_init(json *j, FILE *f);
void j_obj(json *j, const char *key);   /* key NULL inside arrays */
void j_arr(json *j, const char *key);
void j_end(json *j, int obj);           /* close the innermost object (obj=1) or array (obj=0) */
void j_str(json *j, const char *key, const char *v);
void j_hex(json *j, const char *key, u64 v);
void j_int(json *j, const char *key, i64 v);
void j_uint(json *j, const char *key, u64 v);
void j_bool(json *j, const char *key, int v);
void j_dbl(json *j, const char *key, double v);

/* ---- layouts.c ---------------------------------------------------------------------------------- */
enum hv { HV_WIN7 = 1, HV_WIN8, HV_1607, HV_1809 };   /* the four `_HEAP` tail layouts, §2.2/§2.3 */

/* LFH structure offsets (§6.2, §6.3) for one (version, pointer size). 0 = absent. */
typedef struct lfh_layout {
    const char *ref;
    u32 subseg_zones, heap, buckets, seg_info_arrays, local_data, size;
    u32 ld_low_frag_heap, ld_seg_info, ld_size;                  /* _HEAP_LOCAL_DATA */
    u32 si_local_data, si_active, si_counters, si_bucket_index, si_size; /* _HEAP_LOCAL_SEGMENT_INFO */
    u32 ss_local_info, ss_user_blocks, ss_aggr, ss_block_size, ss_flags, ss_block_count,
        ss_size_index, ss_affinity, ss_size;                    /* _HEAP_SUBSEGMENT */
    u32 ub_subseg, ub_size_index, ub_signature, ub_encoded_offsets, ub_bitmap, ub_bitmap_data,
        ub_header;                                               /* _HEAP_USERDATA_HEADER */
    u32 zone_free_pointer, zone_limit, zone_next_index, zone_array; /* _LFH_BLOCK_ZONE */
} lfh_layout;

/* One `_HEAP` layout: a column of §2.2 (x64) or §2.3 (x86) plus the fixed prefix of §2.1. */
typedef struct heap_layout {
    const char *name, *ref;
    int ptr, gran, hv;
    /* §2.1 */
    u32 seg_signature, seg_flags, seg_list_entry, seg_heap, seg_base, seg_pages, seg_first,
        seg_last_valid, seg_uc_pages, seg_uc_ranges, seg_bt_index, seg_ucr_list, seg_size,
        flags, force_flags, compat_flags, encode_flag_mask, encoding, key;
    /* §2.2 / §2.3 */
    u32 pointer_key, interceptor, vm_threshold, signature, segment_reserve, segment_commit,
        decommit_free_block, decommit_total_free, total_free_size, max_alloc, heaps_index,
        validate_len, validate_copy, next_tag, tag_entries, ucr_list, align_round, align_mask,
        va_blocks, segment_list, alloc_bt_index, non_dedicated, blocks_index, ucr_index,
        pseudo_tag, free_lists, lock_variable, commit_routine, stack_trace_init, commit_limit,
        user_context, front_end_heap, front_lock_count, front_end_type, requested_fe_type,
        fe_usage_data, fe_max_index, fe_status_bitmap, counters, tuning, heap_size;
    u32 lock_size;   /* the lock that follows `_HEAP` in the header block (CRITICAL_SECTION) */
    /* `_HEAP_COUNTERS` (§2.5), relative to counters */
    u32 c_reserved, c_committed, c_large_ucr, c_virtual, c_segments, c_ucrs, c_commit_ops,
        c_decommit_ops, c_lock_acquires, c_alloc_free_ops, c_high_watermark, c_last_polled;
    const lfh_layout *lfh;
} heap_layout;

typedef struct layout {
    const char *name;
    const char *desc;
    int ptr;              /* pointer size of the dump (8 for WoW64) */
    int wow64;
    u32 major, minor, build, revision;
    const char *csd;      /* service pack string */
    int win7;             /* Win7-era addresses/behaviour */
    int win10;            /* build >= 10240 */
    int h24h2;            /* PEB lists only the first heap (§1.4) */
    const heap_layout *native;   /* heaps of the dump's own pointer size */
    const heap_layout *wow;      /* 32-bit heaps of a WoW64 process */
} layout;

const layout *layout_find(const char *name);
const layout *layout_at(size_t i);
size_t layout_count(void);

/* ---- vm.c ------------------------------------------------------------------------------------- */
enum {
    MEM_COMMIT = 0x1000, MEM_RESERVE = 0x2000, MEM_FREE = 0x10000,
    MEM_PRIVATE = 0x20000, MEM_MAPPED = 0x40000, MEM_IMAGE = 0x1000000,
    PAGE_NOACCESS = 0x01, PAGE_READONLY = 0x02, PAGE_READWRITE = 0x04, PAGE_WRITECOPY = 0x08,
    PAGE_EXECUTE_READ = 0x20, PAGE_EXECUTE_READWRITE = 0x40, PAGE_EXECUTE_WRITECOPY = 0x80,
    PAGE_GUARD = 0x100
};
enum usage { U_IMAGE, U_STACK, U_TEB, U_PEB, U_HEAP, U_OTHER, U_UNKNOWN, U_COUNT };
const char *usage_name(int u);

typedef struct region {
    u64 base, size, alloc_base;
    u32 alloc_protect, state, protect, type;
    int usage;
    u64 cap_size;     /* bytes captured in Memory64List from base (0: not captured) */
    u64 file_off;     /* file offset of the captured bytes */
} region;

typedef struct vm vm;
vm *vm_new(void);
void vm_free(vm *m);
void vm_reset(vm *m, u64 limit);   /* forget reservations/regions; addresses below limit */
/* Reservations (whole VirtualAlloc allocations).  Fails (returns 0) when nothing fits. */
u64 vm_reserve(vm *m, u64 size, u64 hint, u64 align);
int vm_reserve_at(vm *m, u64 base, u64 size);
/* A region: a run of pages with one state/protection inside an allocation. */
region *vm_region(vm *m, u64 base, u64 size, u64 alloc_base, u32 state, u32 protect, u32 type, int usage);
/* Memory of [addr, addr+n) is left out of the dump (or truncated there): see vm_layout. */
void vm_uncapture(vm *m, u64 addr, u64 n);
size_t vm_region_count(const vm *m);
region *vm_region_at(vm *m, size_t i);   /* sorted by base after vm_layout */
/* Sort regions, check they do not overlap, assign file offsets from data_off. Returns the
** total number of captured bytes. */
u64 vm_layout(vm *m, u64 data_off);
/* Writing: to an output file (sparse) once vm_open_output has been called; otherwise writes
** are dropped (the planning pass). */
int vm_open_output(vm *m, const char *path, u64 file_size);
int vm_live(const vm *m);
void vm_write(vm *m, u64 addr, const void *p, size_t n);
void vm_fill(vm *m, u64 addr, u8 byte, u64 n);
void vm_read(vm *m, u64 addr, void *p, size_t n);   /* zeros where nothing was written */
void vm_file_write(vm *m, u64 off, const void *p, size_t n);  /* raw, at a file offset */
int vm_close_output(vm *m);   /* flush; 0 on success */
int vm_replay_ok(vm *m);      /* the writing pass made exactly the planned regions */
int vm_captured(vm *m, u64 addr);   /* 1 when the byte at addr is in the dump */
/* Helpers: little-endian stores into simulated memory. */
void w8(vm *m, u64 a, u8 v);
void w16(vm *m, u64 a, u16 v);
void w32(vm *m, u64 a, u32 v);
void w64(vm *m, u64 a, u64 v);
void wptr(vm *m, int ptr, u64 a, u64 v);
u32 r32(vm *m, u64 a);
void put16(u8 *p, u16 v);
void put32(u8 *p, u32 v);
void put64(u8 *p, u64 v);

/* ---- scenario.c -------------------------------------------------------------------------------- */
typedef struct frame_spec {
    char *module, *func;   /* module!func+off; module NULL for a JIT frame */
    u64 off;
    int jit;               /* frame in the JIT region at off (or a hashed offset) */
} frame_spec;
typedef struct stack_spec {
    char *name;
    frame_spec *f;
    int n;
} stack_spec;
typedef struct export_spec { char *name; u64 rva; } export_spec;
typedef struct module_spec {
    char *name;        /* file name, e.g. halcon.dll */
    char *path;
    u64 base, size;    /* 0 = choose */
    int bits;          /* 32 or 64; 0 = the application's */
    VEC(export_spec) exports;
} module_spec;
typedef struct segment_spec { u64 base, reserve, commit; } segment_spec;
enum { CK_BAD_CHECKSUM = 1, CK_BROKEN_LINK, CK_CYCLIC_LIST, CK_TRUNCATED_RANGE, CK_MISSING_MEMORY };
typedef struct heap_spec {
    char *name;
    int process;       /* the process heap of its world */
    int bits;          /* 32 or 64 (WoW64: which world); 0 = the application's */
    u32 flags;         /* 0 = default (0x2 process, 0x1002 private) */
    u64 reserve;       /* first segment reserve; 0 = default */
    u64 base;          /* fixed address; 0 = choose */
    int lfh;           /* 1 on, 0 off */
    int pageheap;
    int unlisted;      /* in no ProcessHeaps list (only a scan finds it) */
    int ucr_gaps;      /* decommitted gaps per segment */
    int normal_of;     /* this heap is the NormalHeap of page heap N (-1: no) */
    VEC(segment_spec) segments;
} heap_spec;
typedef struct alloc_spec {
    int heap;
    u64 count;
    u64 smin, smax;
    int stack;         /* -1 none */
    double free_frac;
    int lfh;           /* -1 auto, 0 no, 1 yes */
    int extra;         /* HEAP_SETTABLE_USER_VALUE: `_HEAP_ENTRY_EXTRA` present */
} alloc_spec;
typedef struct corrupt_spec {
    int kind;
    int heap;
    u64 nth;                 /* which block (1-based) for block-level damage */
    /* resolved by the planning pass, replayed by the writing pass */
    u64 resolved_addr, resolved_end, resolved_aux;
} corrupt_spec;
typedef struct scenario {
    char *name;
    char *process;     /* image file name */
    u32 pid;
    int threads;
    u32 gflags;        /* NtGlobalFlag */
    int ust_classic;   /* +ust recorded through `_HEAP_ENTRY_EXTRA` indexes only (§7.1/§7.3 old reading) */
    u64 jit_base, jit_size;
    VEC(module_spec) modules;
    VEC(stack_spec) stacks;
    VEC(heap_spec) heaps;
    VEC(alloc_spec) allocs;
    VEC(corrupt_spec) corrupts;
} scenario;
#define FLG_USER_STACK_TRACE_DB 0x1000u
#define FLG_HEAP_PAGE_ALLOCS 0x02000000u

scenario *scenario_load(const char *what, const layout *lo, double scale, char *err, size_t errlen);
scenario *scenario_parse(const char *text, const char *name, const layout *lo, double scale, char *err, size_t errlen);
void scenario_free(scenario *s);
const char *corrupt_name(int kind);

/* ---- the generator (process.c, heap.c, dph.c) --------------------------------------------------- */
typedef struct export_def { char *name; u32 rva, size; } export_def;
typedef struct module {
    char *file;        /* halcon.dll */
    char *name;        /* halcon */
    char *path;
    int bits;
    u64 base, size;
    u32 text_rva, text_size, rdata_rva, rdata_size, data_rva, data_size;
    u32 timestamp, checksum;
    u8 guid[16];
    VEC(export_def) exports;   /* sorted by rva */
} module;

typedef struct thread {
    u32 id;
    u64 teb, teb32;
    u64 stack_base, stack_limit, sp;           /* native */
    u64 stack_base32, stack_limit32, sp32;     /* WoW64 */
    u64 ip;
} thread;

/* A symbolized stack, per pointer size (WoW64 heaps use the 32-bit modules). */
typedef struct rstack {
    int spec;          /* index in scenario stacks */
    int bits;
    int n;
    u64 frames[64];
    char **sym;        /* "module!func+0xoff" / "0x..." */
    u64 ust_record;    /* §7.2 record address (0 = none yet) */
    u32 classic_index; /* §7.1 index (0 = none yet) */
    u64 classic_entry;
    u64 blocks, bytes; /* totals over busy blocks (manifest "stacks") */
} rstack;

typedef struct heap_out heap_out;
typedef struct corruption {
    int kind;
    u64 address, heap;
    char *detail;
} corruption;

/* Stack-trace storage of one pointer size (WoW64 has both). */
typedef struct trace_world {
    u64 ust_base, ust_size, ust_next;          /* §7.2 records (a private 64 KB-zone region) */
    u64 std_base, std_size, std_lower, std_upper_top; /* §7.1 classic database region */
    u32 std_count, std_lookups;
    u64 std_buckets;
    u32 std_nbuckets;
    int used_ust, used_std;
} trace_world;

typedef struct gen {
    const layout *lo;
    scenario *sc;
    u64 seed;
    double scale;
    const char *scenario_name;
    vm *m;
    int live;            /* second pass: bytes and manifest are written */
    json *j;             /* manifest writer (live pass) */
    rng r;               /* process-level draws */
    u32 timestamp;
    int app_bits;        /* 32 for x86 and WoW64, else 64 */
    /* process */
    VEC(module) mods;
    VEC(thread) thr;
    u64 peb, peb32;
    u64 jit_base, jit_size;
    u64 lfh_key[2], heap_key[2];     /* RtlpLFHKey, RtlpHeapKey per world ([0] 32-bit, [1] 64-bit) */
    u64 ntdll_data[2];               /* ntdll .data: ProcessHeaps array, keys, trace DB pointer */
    u64 low_hint;                    /* where private allocations start */
    /* stack traces */
    VEC(rstack) rst;
    trace_world tw[2];
    /* heaps */
    VEC(heap_out *) heaps;
    VEC(corruption) corr;
    u64 nblocks;        /* blocks written (writing pass), for --stats */
} gen;
#define W(bits) ((bits) == 64 ? 1 : 0)
/* ntdll .data layout chosen by mkdump (see README "Choices"): */
#define NTD_PROCESS_HEAPS 0x000   /* PVOID[MaximumNumberOfHeaps] */
#define NTD_HEAP_KEY      0x800   /* RtlpHeapKey (pointer) */
#define NTD_LFH_KEY       0x808   /* RtlpLFHKey */
#define NTD_STD           0x810   /* RtlpStackTraceDataBase (pointer) */
#define NTD_DATA_SIZE     0x1000


/* process.c */
void gen_process(gen *g);
void gen_process_finish(gen *g);   /* trace regions, PEB/TEB bytes */
void json_process(gen *g);
module *module_by_name(gen *g, const char *name, int bits);
int gen_stack(gen *g, int spec, int bits);      /* resolved stack index, -1 for none */
u64 ust_record(gen *g, int rs);                  /* §7.2 record of a resolved stack */
u32 std_index(gen *g, int rs, u64 *entry);       /* §7.1 entry of a resolved stack */
void json_stack(gen *g, int rs);                 /* "stack" and "stack_raw" keys */
u64 gen_reserve(gen *g, u64 size, u64 align);

/* heap.c */
void gen_heaps(gen *g);
void heaps_finish(gen *g);       /* PEB lists, 24H2 descriptors */
void json_pebs(gen *g);
struct heap_out {
    int spec;
    int bits, ptr;
    const heap_layout *hl;
    u64 base;
    u32 flags;
    int listed;              /* in its PEB's ProcessHeaps */
    int index;               /* ProcessHeapsListIndex (1-based) */
    int pageheap;
    int process;
    u64 dph_root;            /* page heap: `_DPH_HEAP_ROOT` */
    u64 *descs;              /* 24H2 descriptor blocks (process heap) */
    size_t ndescs;
};

/* dph.c */
struct hstate;
u64 dph_reserve(gen *g, int heap_index);
void dph_build(struct hstate *h, int heap_index);

/* minidump.c */
u64 md_meta_size(gen *g);
void md_write_meta(gen *g, u64 data_off);

/* pe.c */
void pe_plan(gen *g, module *md);
void pe_write(gen *g, module *md);

#endif
