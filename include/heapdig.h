/*
** heapdig.h - the whole public contract of libheapdig.
**
** libheapdig reads a Windows minidump (.dmp) and answers "where did the native memory go":
** the captured address space, the process (threads, modules, PEBs), the NT heaps walked without
** Microsoft symbols, allocation stacks and summaries.  Programs see only this header.
**
** Conventions
**   - Every call that can fail returns hd_err; HD_OK is 0.  Details of damage found in the dump
**     (a bad header, a broken list, memory not captured) do not fail a call: they are recorded as
**     diagnostics (hd_diag_*) and the analysis goes on where it can.
**   - The hd_dump owns every object handed out; pointers stay valid until hd_close().
**   - Addresses are virtual addresses of the dumped process (uint64_t even for 32-bit processes).
**   - Dump bytes are hostile: nothing here trusts a count, a size or a pointer read from the file.
*/
#ifndef HEAPDIG_H
#define HEAPDIG_H

#include <stddef.h>   /* size_t */
#include <stdint.h>   /* uint64_t */

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && defined(HD_BUILD_SHARED)
#  define HD_API __declspec(dllexport)
#elif defined(_WIN32)
#  define HD_API
#elif defined(__GNUC__)
#  define HD_API __attribute__((visibility("default")))
#else
#  define HD_API
#endif

#define HD_VERSION_MAJOR 0
#define HD_VERSION_MINOR 1
#define HD_VERSION_PATCH 0
#define HD_VERSION_STRING "0.1.0"

/* ------------------------------------------------------------------------------------------ */
/* Errors.  Values are stable: never renumber, only append.                                    */
/* ------------------------------------------------------------------------------------------ */
typedef enum hd_err {
    HD_OK = 0,
    HD_EIO = 1,           /* the file could not be opened, mapped or read */
    HD_ENOMEM = 2,        /* out of memory */
    HD_EFORMAT = 3,       /* not a minidump (bad signature or version) */
    HD_ETRUNC = 4,        /* a structure runs past the end of the file or stream */
    HD_ECORRUPT = 5,      /* a structure is inconsistent */
    HD_EUNMAPPED = 6,     /* the address (or part of the range) is not captured in the dump */
    HD_ENOTFOUND = 7,     /* no such stream / object / address */
    HD_EINVAL = 8,        /* bad argument from the caller */
    HD_ELIMIT = 9,        /* a count or size exceeds the configured limits */
    HD_EUNSUPPORTED = 10  /* recognised but not supported (e.g. an unknown architecture) */
} hd_err;

HD_API const char *hd_strerror(hd_err e);
HD_API const char *hd_version(void);

/* ------------------------------------------------------------------------------------------ */
/* Limits: every count read from a dump is checked against these before anything is allocated  */
/* or walked.  hd_limits_default() fills sensible values; callers may tighten them (fuzzing).   */
/* ------------------------------------------------------------------------------------------ */
typedef struct hd_limits {
    uint32_t max_streams;        /* directory entries considered */
    uint64_t max_ranges;         /* MemoryList / Memory64List descriptors */
    uint64_t max_regions;        /* MemoryInfoList entries */
    uint32_t max_threads;
    uint32_t max_modules;
    uint32_t max_heaps;          /* heaps per PEB view, and per signature scan */
    uint32_t max_segments;       /* segments per heap */
    uint64_t max_list;           /* entries followed on any linked list before declaring a cycle */
    uint64_t max_blocks;         /* blocks walked per heap */
    uint32_t max_diags;          /* diagnostics kept (further ones are only counted) */
    uint32_t max_stack_depth;    /* frames read per allocation stack */
    uint32_t max_handles;        /* HandleDataStream descriptors */
} hd_limits;

HD_API void hd_limits_default(hd_limits *lim);

/* ------------------------------------------------------------------------------------------ */
/* Opening a dump.                                                                             */
/* ------------------------------------------------------------------------------------------ */
typedef struct hd_dump hd_dump;

/* Map PATH read-only and parse the header, directory and the streams the analysis needs.
** lim may be NULL (defaults).  On HD_EFORMAT / HD_ETRUNC / HD_EIO *out is NULL.  A dump with a
** damaged but usable directory opens with HD_OK and diagnostics. */
HD_API hd_err hd_open(const char *path, const hd_limits *lim, hd_dump **out);
/* Same over caller-owned bytes (kept, not copied: they must outlive the hd_dump). */
HD_API hd_err hd_open_mem(const void *data, size_t size, const hd_limits *lim, hd_dump **out);
HD_API void hd_close(hd_dump *d);   /* accepts NULL */
HD_API const char *hd_path(const hd_dump *d);  /* the path given to hd_open, or "<memory>" */

/* Progress of long operations: the signature scan that finds heaps and every heap walk call FN
** now and then (every 64 K blocks, every 256 MB scanned), from the calling thread.  The library
** never prints: a program decides whether and how to show it (heapdig: on a terminal only, after
** a second).  When the operation ends FN is called once more with phase NULL (a program clears
** its progress line then).  FN may be NULL to stop. */
typedef struct hd_progress {
    const char *phase;        /* "finding heaps", "walking heaps", or NULL: the operation ended */
    uint64_t done, total;     /* finding heaps: captured bytes scanned of total; walking: 0, 0 */
    size_t item, items;       /* walking: heap ITEM (1-based) of ITEMS */
    uint64_t blocks;          /* walking: blocks of this heap walked so far */
} hd_progress;
typedef void (*hd_progress_fn)(void *user, const hd_progress *p);
HD_API void hd_set_progress(hd_dump *d, hd_progress_fn fn, void *user);

/* ------------------------------------------------------------------------------------------ */
/* Diagnostics: what was found wrong, where, and why.                                          */
/* ------------------------------------------------------------------------------------------ */
typedef enum hd_severity { HD_SEV_INFO = 0, HD_SEV_WARN = 1, HD_SEV_ERROR = 2 } hd_severity;

typedef struct hd_diag {
    hd_severity sev;
    hd_err code;          /* HD_ECORRUPT, HD_ETRUNC, HD_EUNMAPPED, HD_ELIMIT, ... */
    const char *area;     /* "minidump", "memory", "peb", "heap", "lfh", "stack", ... */
    uint64_t addr;        /* address in the process (or file offset for "minidump"), 0 if none */
    int has_addr;
    const char *msg;      /* one line, no trailing newline */
    const char *src_file; /* where in heapdig it was raised (for bug reports) */
    int src_line;
} hd_diag;

HD_API size_t hd_diag_count(const hd_dump *d);
HD_API const hd_diag *hd_diag_get(const hd_dump *d, size_t i);
HD_API uint64_t hd_diag_dropped(const hd_dump *d);   /* diagnostics beyond max_diags */
/* Highest severity recorded so far (HD_SEV_INFO when there is nothing). */
HD_API hd_severity hd_diag_worst(const hd_dump *d);

/* ------------------------------------------------------------------------------------------ */
/* Minidump streams (raw and typed).                                                           */
/* ------------------------------------------------------------------------------------------ */
enum {
    HD_STREAM_THREAD_LIST = 3, HD_STREAM_MODULE_LIST = 4, HD_STREAM_MEMORY_LIST = 5,
    HD_STREAM_EXCEPTION = 6, HD_STREAM_SYSTEM_INFO = 7, HD_STREAM_THREAD_EX_LIST = 8,
    HD_STREAM_MEMORY64_LIST = 9, HD_STREAM_COMMENT_A = 10, HD_STREAM_COMMENT_W = 11,
    HD_STREAM_HANDLE_DATA = 12, HD_STREAM_FUNCTION_TABLE = 13, HD_STREAM_UNLOADED_MODULE_LIST = 14,
    HD_STREAM_MISC_INFO = 15, HD_STREAM_MEMORY_INFO_LIST = 16, HD_STREAM_THREAD_INFO_LIST = 17,
    HD_STREAM_HANDLE_OPERATION_LIST = 18, HD_STREAM_TOKEN = 19, HD_STREAM_JAVASCRIPT_DATA = 20,
    HD_STREAM_SYSTEM_MEMORY_INFO = 21, HD_STREAM_PROCESS_VM_COUNTERS = 22, HD_STREAM_IPT_TRACE = 23,
    HD_STREAM_THREAD_NAMES = 24
};

typedef struct hd_stream {
    uint32_t type;
    uint32_t size;        /* DataSize from the directory */
    uint32_t rva;
    const char *name;     /* "ThreadListStream", ..., or "unknown" */
    int known;            /* 1 when heapdig knows the type */
    int truncated;        /* 1 when rva+size runs past EOF (only the captured part is usable) */
} hd_stream;

typedef struct hd_header {
    uint32_t signature, version, stream_count, directory_rva, checksum, timestamp;
    uint64_t flags;       /* MINIDUMP_TYPE */
} hd_header;

HD_API const hd_header *hd_dump_header(const hd_dump *d);
HD_API size_t hd_stream_count(const hd_dump *d);
HD_API const hd_stream *hd_stream_at(const hd_dump *d, size_t i);
/* First stream of TYPE: its bytes (clipped at EOF) in data and size.  HD_ENOTFOUND if absent. */
HD_API hd_err hd_stream_data(const hd_dump *d, uint32_t type, const uint8_t **data, size_t *size);
HD_API uint64_t hd_file_size(const hd_dump *d);

/* MINIDUMP_TYPE bits (the subset heap analysis cares about). */
#define HD_MDT_WITH_DATA_SEGS             0x00000001u
#define HD_MDT_WITH_FULL_MEMORY           0x00000002u
#define HD_MDT_WITH_HANDLE_DATA           0x00000004u
#define HD_MDT_FILTER_MEMORY              0x00000008u
#define HD_MDT_SCAN_MEMORY                0x00000010u
#define HD_MDT_WITH_UNLOADED_MODULES      0x00000020u
#define HD_MDT_WITH_INDIRECT_MEMORY       0x00000040u
#define HD_MDT_FILTER_MODULE_PATHS        0x00000080u
#define HD_MDT_WITH_PROCESS_THREAD_DATA   0x00000100u
#define HD_MDT_WITH_PRIVATE_RW_MEMORY     0x00000200u
#define HD_MDT_WITHOUT_OPTIONAL_DATA      0x00000400u
#define HD_MDT_WITH_FULL_MEMORY_INFO      0x00000800u
#define HD_MDT_WITH_THREAD_INFO           0x00001000u
#define HD_MDT_WITH_CODE_SEGS             0x00002000u
#define HD_MDT_WITHOUT_AUXILIARY_STATE    0x00004000u
#define HD_MDT_WITH_FULL_AUX_STATE        0x00008000u
#define HD_MDT_WITH_PRIVATE_WRITE_COPY    0x00010000u
#define HD_MDT_IGNORE_INACCESSIBLE_MEMORY 0x00020000u
#define HD_MDT_WITH_TOKEN_INFORMATION     0x00040000u
#define HD_MDT_WITH_MODULE_HEADERS        0x00080000u
#define HD_MDT_FILTER_TRIAGE              0x00100000u
#define HD_MDT_WITH_AVX_XSTATE_CONTEXT    0x00200000u
#define HD_MDT_WITH_IPT_TRACE             0x00400000u
#define HD_MDT_SCAN_INACCESSIBLE_PARTIAL  0x00800000u

/* Name of one MINIDUMP_TYPE bit ("MiniDumpWithFullMemory"), NULL for unknown bits. */
HD_API const char *hd_dump_flag_name(uint64_t bit);

/* ------------------------------------------------------------------------------------------ */
/* System information.                                                                         */
/* ------------------------------------------------------------------------------------------ */
typedef enum hd_arch { HD_ARCH_UNKNOWN = 0, HD_ARCH_X86 = 1, HD_ARCH_X64 = 2,
                       HD_ARCH_ARM = 3, HD_ARCH_ARM64 = 4 } hd_arch;

typedef struct hd_sysinfo {
    int present;                 /* 0 when the dump has no SystemInfoStream */
    uint16_t processor_arch;     /* raw PROCESSOR_ARCHITECTURE_* */
    hd_arch arch;                /* HD_ARCH_X86 / X64 / ... */
    uint16_t processor_level, processor_revision;
    uint8_t processor_count, product_type;
    uint32_t major, minor, build, platform_id;
    uint16_t suite_mask;
    const char *csd_version;     /* "Service Pack 1", or "" */
} hd_sysinfo;

HD_API const hd_sysinfo *hd_sysinfo_get(const hd_dump *d);
HD_API const char *hd_arch_name(hd_arch a);   /* "x86", "x64", "arm", "arm64", "unknown" */

/* MiscInfoStream, every size: MINIDUMP_MISC_INFO (24 bytes), _2 (44), _3 (232), _4 (832),
** _5 (1364).  A field is filled only when the stream is long enough for it and Flags1 says it is
** valid (the has_* members). */
typedef struct hd_miscinfo {
    int present;
    uint32_t size_of_info, flags1;
    int has_pid;  uint32_t pid;
    int has_times; uint32_t create_time, user_time, kernel_time;   /* time_t; seconds */
    int has_build_string; const char *build_string;   /* MISC_INFO_4+: "7601.24214.amd64fre..." */
    unsigned level;            /* 1..5: which MINIDUMP_MISC_INFO_N the size matches (0 if odd) */
    int has_power;             /* MISC_INFO_2: processor power information */
    uint32_t processor_max_mhz, processor_current_mhz, processor_mhz_limit;
    uint32_t processor_max_idle_state, processor_current_idle_state;
    int has_integrity; uint32_t process_integrity_level;    /* MISC_INFO_3 */
    int has_execute_flags; uint32_t process_execute_flags;
    int has_protected; uint32_t protected_process;
    int has_timezone; uint32_t time_zone_id; int32_t time_zone_bias;
    const char *time_zone_name;                           /* StandardName, or "" */
    const char *dbg_bld_str;                              /* MISC_INFO_4 DbgBldStr, or "" */
    int has_process_cookie; uint32_t process_cookie;     /* MISC_INFO_5 */
} hd_miscinfo;
HD_API const hd_miscinfo *hd_miscinfo_get(const hd_dump *d);

/* ExceptionStream (MINIDUMP_EXCEPTION_STREAM). */
typedef struct hd_exception {
    int present;
    uint32_t thread_id;
    uint32_t code, flags;            /* 0xC0000005 = access violation, ... */
    uint64_t record, address;
    uint32_t nparams;                /* at most 15 */
    uint64_t params[15];
} hd_exception;
HD_API const hd_exception *hd_exception_get(const hd_dump *d);

/* HandleDataStream (MINIDUMP_HANDLE_DESCRIPTOR and _2). */
typedef struct hd_handle {
    uint64_t handle;
    const char *type_name;           /* "File", "Event", ... or "" */
    const char *object_name;         /* or "" */
    uint32_t attributes, granted_access, handle_count, pointer_count;
} hd_handle;
HD_API size_t hd_handle_count(const hd_dump *d);
HD_API const hd_handle *hd_handle_at(const hd_dump *d, size_t i);

/* ------------------------------------------------------------------------------------------ */
/* Captured memory: a read-only virtual address space over MemoryList / Memory64List.          */
/* ------------------------------------------------------------------------------------------ */
typedef struct hd_range {
    uint64_t base, size;         /* virtual range as captured (after clipping and de-overlap) */
    uint64_t file_offset;        /* where its bytes are in the file */
} hd_range;

HD_API size_t hd_range_count(const hd_dump *d);
HD_API const hd_range *hd_range_at(const hd_dump *d, size_t i);   /* sorted by base */
HD_API uint64_t hd_captured_bytes(const hd_dump *d);

/* Copy LEN bytes at VA into BUF.  Returns HD_OK when all are captured; HD_EUNMAPPED otherwise,
** with the captured prefix copied, *got = its length (may be 0) and the rest of BUF zeroed.
** got may be NULL. */
HD_API hd_err hd_read(const hd_dump *d, uint64_t va, void *buf, size_t len, size_t *got);
/* Zero-copy view: pointer into the mapped file when [va, va+len) is captured contiguously,
** else NULL. */
HD_API const uint8_t *hd_view(const hd_dump *d, uint64_t va, size_t len);
/* Bytes captured contiguously starting at VA (0 when VA is not captured). */
HD_API uint64_t hd_captured_at(const hd_dump *d, uint64_t va);
/* Bytes of [va, va+size) that are captured, contiguous or not (O(log n + ranges in it)). */
HD_API uint64_t hd_captured_in(const hd_dump *d, uint64_t va, uint64_t size);

/* ------------------------------------------------------------------------------------------ */
/* Memory regions (MemoryInfoList), as !address sees them.                                     */
/* ------------------------------------------------------------------------------------------ */
#define HD_MEM_COMMIT   0x1000u
#define HD_MEM_RESERVE  0x2000u
#define HD_MEM_FREE     0x10000u
#define HD_MEM_PRIVATE  0x20000u
#define HD_MEM_MAPPED   0x40000u
#define HD_MEM_IMAGE    0x1000000u

typedef struct hd_region {
    uint64_t base, alloc_base, size;
    uint32_t alloc_protect, state, protect, type;
} hd_region;

/* 1 when the dump has a MemoryInfoList (else regions are synthesised from captured ranges). */
HD_API int hd_has_memory_info(const hd_dump *d);
HD_API size_t hd_region_count(const hd_dump *d);
HD_API const hd_region *hd_region_at(const hd_dump *d, size_t i);   /* sorted by base */
/* Region containing VA, or NULL. */
HD_API const hd_region *hd_region_find(const hd_dump *d, uint64_t va);

/* ------------------------------------------------------------------------------------------ */
/* Threads and modules.                                                                        */
/* ------------------------------------------------------------------------------------------ */
typedef struct hd_thread {
    uint32_t id, suspend_count, priority_class, priority;
    uint64_t teb;
    uint64_t stack_start, stack_size;    /* captured stack memory (MINIDUMP_THREAD.Stack) */
    /* From the TEB (0 when not captured): NT_TIB StackBase / StackLimit of the native view */
    uint64_t stack_base, stack_limit;
    uint64_t teb32;                      /* WoW64: TEB32, else 0 */
    uint64_t stack_base32, stack_limit32;
    const char *name;                    /* ThreadNames stream, or "" */
    int has_info;                        /* ThreadInfoList entry present */
    uint64_t start_address, create_time;
    /* ThreadInfoList (MINIDUMP_THREAD_INFO), when has_info */
    uint32_t dump_flags, dump_error, exit_status;
    uint64_t exit_time, kernel_time, user_time, affinity;
    /* The stack allocation (every region with the stack's AllocationBase: reserved, guard and
    ** committed parts) from the MemoryInfoList; 0 when unknown.  Filled by hd_process_get(). */
    uint64_t stack_region_base, stack_region_size;
    uint64_t stack_region_base32, stack_region_size32;   /* WoW64: the 32-bit stack */
} hd_thread;

HD_API size_t hd_thread_count(const hd_dump *d);
HD_API const hd_thread *hd_thread_at(const hd_dump *d, size_t i);

typedef struct hd_module {
    uint64_t base;
    uint32_t size, checksum, timestamp;
    const char *path;          /* full path as recorded */
    const char *name;          /* file name part ("ntdll.dll") */
    uint16_t version[4];       /* file version a.b.c.d from VS_FIXEDFILEINFO, 0 if absent */
    int has_version;
    /* CodeView (RSDS) record: PDB identity for symbol lookup */
    int has_pdb;
    uint8_t pdb_guid[16];
    uint32_t pdb_age;
    const char *pdb_name;
    int unloaded;              /* 1 for entries from UnloadedModuleList */
} hd_module;

HD_API size_t hd_module_count(const hd_dump *d);
HD_API const hd_module *hd_module_at(const hd_dump *d, size_t i);   /* sorted by base */
HD_API const hd_module *hd_module_find(const hd_dump *d, uint64_t va);
HD_API size_t hd_unloaded_module_count(const hd_dump *d);
HD_API const hd_module *hd_unloaded_module_at(const hd_dump *d, size_t i);

/* PE image of a module, read from the image bytes captured in the dump (lib/proc/pe.c):
** headers, section table, export directory and the CodeView debug record.  Everything is
** optional: a dump may hold the headers only (MiniDumpWithModuleHeaders), the whole image (full
** memory) or nothing; each part says whether it was read. */
#define HD_SCN_CNT_CODE     0x00000020u
#define HD_SCN_MEM_EXECUTE  0x20000000u
#define HD_SCN_MEM_READ     0x40000000u
#define HD_SCN_MEM_WRITE    0x80000000u

typedef struct hd_pe_section {
    char name[9];              /* NUL-terminated, 8 characters at most (".text") */
    uint32_t rva;              /* VirtualAddress */
    uint32_t vsize;            /* VirtualSize (SizeOfRawData when VirtualSize is 0) */
    uint32_t raw_size;         /* SizeOfRawData */
    uint32_t characteristics;  /* HD_SCN_* bits and the rest of IMAGE_SCN_* */
} hd_pe_section;

typedef struct hd_pe_export {
    uint32_t rva;              /* from AddressOfFunctions */
    uint32_t ordinal;          /* biased ordinal (Base + index), as dumpbin prints it */
    const char *name;          /* NULL for an export by ordinal only */
    const char *forwarder;     /* "NTDLL.RtlAllocateHeap" when forwarded, else NULL */
} hd_pe_export;

typedef struct hd_pe {
    int headers;               /* 1 when the DOS and NT headers were read */
    uint16_t machine;          /* IMAGE_FILE_MACHINE_*: 0x14c x86, 0x8664 x64, 0xaa64 arm64 */
    uint16_t magic;            /* 0x10b PE32, 0x20b PE32+ */
    uint16_t characteristics, subsystem, dll_characteristics;
    uint32_t timestamp, size_of_image, size_of_headers, checksum, entry_rva;
    uint64_t image_base;       /* preferred base from the optional header */
    size_t section_count;      /* sections read (0 when the table is not captured) */
    const hd_pe_section *sections;
    /* export directory */
    int has_exports;           /* the image has an export directory */
    int exports_read;          /* ... and it was captured and parsed (maybe partly, see below) */
    const char *export_dll;    /* Name field of the directory ("KERNEL32.dll"), "" if unread */
    uint32_t export_base;      /* ordinal Base */
    size_t export_count;       /* exports kept: every non-null AddressOfFunctions entry */
    const hd_pe_export *exports;   /* sorted by rva (then by name) */
    uint32_t exports_unreadable;   /* entries or names not captured in the dump */
    /* IMAGE_DEBUG_TYPE_CODEVIEW "RSDS" record from the debug directory */
    int has_codeview;
    uint8_t cv_guid[16];
    uint32_t cv_age;
    const char *cv_pdb_name;   /* "" when absent */
} hd_pe;

/* The PE image of module M (parsed once, cached; M from hd_module_at/hd_module_find of the same
** dump, or an unloaded module).  Never NULL for a valid M: an image whose headers are not
** captured has headers == 0.  Problems found in a captured image are diagnostics (area "pe"). */
HD_API const hd_pe *hd_module_pe(hd_dump *d, const hd_module *m);
/* Section containing RVA, or NULL. */
HD_API const hd_pe_section *hd_pe_section_find(const hd_pe *pe, uint32_t rva);
/* The export a code address belongs to, as WinDbg does without symbols: the nearest export at
** or below RVA that is not a forwarder and lies in the same section as RVA.  NULL when none. */
HD_API const hd_pe_export *hd_pe_export_find(const hd_pe *pe, uint32_t rva);

/* ------------------------------------------------------------------------------------------ */
/* Process model: PEB "views".  A native dump has one; a 64-bit dump of a WoW64 process has     */
/* two: the 64-bit PEB (view 0) and the 32-bit PEB (view 1).                                    */
/* ------------------------------------------------------------------------------------------ */
#define HD_FLG_HEAP_ENABLE_TAIL_CHECK  0x00000010u
#define HD_FLG_HEAP_ENABLE_FREE_CHECK  0x00000020u
#define HD_FLG_HEAP_VALIDATE_PARAMETERS 0x00000040u
#define HD_FLG_HEAP_VALIDATE_ALL       0x00000080u
#define HD_FLG_HEAP_ENABLE_TAGGING     0x00000800u
#define HD_FLG_USER_STACK_TRACE_DB     0x00001000u
#define HD_FLG_HEAP_ENABLE_TAG_BY_DLL  0x00008000u
#define HD_FLG_HEAP_PAGE_ALLOCS        0x02000000u

typedef struct hd_peb {
    unsigned ptr_size;               /* 4 or 8 */
    uint64_t address;
    int readable;                    /* 0 when the PEB bytes are not captured */
    uint64_t process_heap;
    uint32_t number_of_heaps, maximum_number_of_heaps;
    uint64_t process_heaps;          /* address of the ProcessHeaps array */
    size_t heap_count;               /* entries actually read from the array */
    const uint64_t *heaps;           /* heap handles read (heap_count of them) */
    int heaps_readable;              /* 0 when the array is not captured */
    uint32_t nt_global_flag;
    uint64_t read_only_shared_memory_base;
    uint32_t os_major, os_minor;
    uint16_t os_build;
    /* Other PEB pointers to shared memory (address map "Other"); 0 when NULL or unreadable. */
    uint64_t process_parameters, api_set_map, read_only_static_server_data;
    uint64_t ansi_code_page_data, oem_code_page_data, unicode_case_table_data;
    uint64_t gdi_shared_handle_table, activation_context_data;
    uint64_t system_default_activation_context_data;
} hd_peb;

typedef struct hd_process {
    hd_arch arch;                    /* of the dump */
    int wow64;                       /* 1 when a 32-bit view was found in a 64-bit dump */
    size_t peb_count;                /* 0, 1 or 2 */
    const hd_peb *pebs;              /* [0] native view, [1] the WoW64 32-bit view */
} hd_process;

/* Built lazily on first call; never NULL for an open dump (peb_count may be 0). */
HD_API const hd_process *hd_process_get(hd_dump *d);
/* "+ust +hpa ..." in gflags style for an NtGlobalFlag value; writes into buf (NUL-terminated). */
HD_API const char *hd_gflags_string(uint32_t flags, char *buf, size_t size);

/* ------------------------------------------------------------------------------------------ */
/* Address map: every region with its usage, as !address classifies it (lib/analyze/usage.c).  */
/* ------------------------------------------------------------------------------------------ */
/* The address map has one area per memory region (MemoryInfoList entry; without that stream,
** per captured range), in address order, each with the usage !address would give it:
**   Free       MEM_FREE
**   Image      MEM_IMAGE (the module, when the module list has it)
**   PEB / TEB  regions holding a PEB / TEB of any view (64-bit and WoW64 32-bit)
**   Stack      every region of a thread stack's allocation (reserved, guard, committed; both views)
**   Heap       every region of a heap's allocation: the PEB-listed heap handles, plus the ranges
**              that the heap walker reports with hd_addrmap_mark_heap()
**   Other      known system regions: KUSER_SHARED_DATA, PEB-referenced shared memory (read-only
**              shared memory, NLS tables, API set map, activation context data, GDI table)
**   <unknown>  the rest (private or mapped memory nobody claims)
** Usage is decided by that precedence (Free, Image, PEB, TEB, Stack, Heap, Other, unknown).
** Built lazily by the first call that needs it; rebuilt after hd_addrmap_mark_heap(). */
typedef enum hd_usage {
    HD_USAGE_FREE = 0, HD_USAGE_IMAGE = 1, HD_USAGE_PEB = 2, HD_USAGE_TEB = 3, HD_USAGE_STACK = 4,
    HD_USAGE_HEAP = 5, HD_USAGE_OTHER = 6, HD_USAGE_UNKNOWN = 7
} hd_usage;
#define HD_USAGE_COUNT 8

/* "Free", "Image", "PEB", "TEB", "Stack", "Heap", "Other", "<unknown>" (WinDbg's names). */
HD_API const char *hd_usage_name(hd_usage u);

typedef struct hd_area {
    uint64_t base, size;             /* the region (state/type/protect as in hd_region) */
    uint64_t alloc_base;
    uint32_t alloc_protect, state, protect, type;   /* type 0: unknown (no MemoryInfoList) */
    hd_usage usage;
    const char *detail;              /* what it is, WinDbg-style (the CLI adds brackets): "User
                                        Shared Data", "ID: 0; Handle: 0x500000; 64-bit PEB",
                                        "~0; tid 0x1a2c; 32-bit", a module path, or "" */
    const hd_module *module;         /* Image: the module mapped here (NULL if not listed) */
    const hd_thread *thread;         /* Stack / TEB: the owning thread */
    uint64_t heap;                   /* Heap: the heap handle (0 when the walker gave none) */
    unsigned ptr_size;               /* 4 or 8: the view the owner belongs to (PEB/TEB/Stack/Heap); 0 */
    uint64_t captured;               /* bytes of the region captured in the dump */
} hd_area;

HD_API size_t hd_area_count(hd_dump *d);
HD_API const hd_area *hd_area_at(hd_dump *d, size_t i);        /* sorted by base */
HD_API const hd_area *hd_area_find(hd_dump *d, uint64_t va);   /* area containing VA, or NULL */

/* For the heap walker: mark [base, base+size) as belonging to heap HEAP (a segment, a
** VirtualAlloc'd block, ...).  Every region overlapping a range, and every region of an allocation
** that a range starts at, becomes Heap (unless Free, Image, PEB, TEB or Stack).  Ranges add up
** over calls; where ranges overlap, the one with the lower base (then the larger) keeps the
** overlap.  detail may be NULL ("Segment", "VirtualAlloc" ...; copied).  The map is rebuilt on
** next use: hd_area and hd_addr_summary contents obtained before the call change. */
typedef struct hd_heap_range {
    uint64_t base, size;
    uint64_t heap;                   /* owning heap handle */
    unsigned ptr_size;               /* 4 or 8 */
    const char *detail;              /* e.g. "Segment", "VirtualAlloc"; may be NULL */
} hd_heap_range;
HD_API hd_err hd_addrmap_mark_heap(hd_dump *d, const hd_heap_range *ranges, size_t n);

/* !address -summary.  Sizes in bytes.  busy = every non-free area; total = every area (free
** included): WinDbg's %ofBusy is size / busy, %ofTotal is size / total. */
typedef struct hd_usage_sum { uint64_t regions, size; } hd_usage_sum;
typedef struct hd_protect_sum { uint32_t protect; uint64_t regions, size; } hd_protect_sum;

typedef struct hd_addr_summary {
    int from_memory_info;            /* 0: areas are the captured ranges (no MemoryInfoList) */
    uint64_t total, busy;
    hd_usage_sum usage[HD_USAGE_COUNT];          /* indexed by hd_usage */
    hd_usage_sum state_commit, state_reserve, state_free;
    hd_usage_sum state_unknown;                   /* busy areas with another State (damage) */
    hd_usage_sum type_private, type_mapped, type_image, type_unknown;   /* busy areas only */
    size_t protect_count;                         /* committed areas by Protect, largest first */
    const hd_protect_sum *protect;
    const hd_area *largest[HD_USAGE_COUNT];       /* largest area per usage, NULL if none */
} hd_addr_summary;

/* Never NULL for an open dump (all zero when it has no regions). */
HD_API const hd_addr_summary *hd_addr_summary_get(hd_dump *d);
/* What heap analysis this dump allows, from its flags and how much of each PEB-listed heap's
** allocation is captured (lib/analyze/capture.c).  Every command that finds no heap to walk says
** why with this, and what to capture instead. */
typedef enum hd_capture {
    HD_CAPTURE_FULL = 0,       /* every listed heap's committed memory is in the dump */
    HD_CAPTURE_PARTIAL = 1,    /* some heap memory is missing: walks give lower bounds */
    HD_CAPTURE_NONE = 2,       /* no heap memory in the dump */
    HD_CAPTURE_UNKNOWN = 3     /* the heap list cannot be read (no PEB) */
} hd_capture;
typedef struct hd_capture_verdict {
    hd_capture verdict;
    const char *name;          /* "full", "partial", "none", "unknown" */
    const char *why;           /* one sentence */
    const char *advice;        /* what to capture instead; NULL when nothing is missing */
} hd_capture_verdict;
HD_API hd_capture_verdict hd_capture_verdict_get(hd_dump *d);

/* How much of the allocation of the heap at HANDLE is in the dump (from the address map). */
typedef struct hd_heap_capture {
    uint64_t handle;
    int process_heap;          /* HANDLE == the PEB's ProcessHeap */
    int header_captured;       /* the first 0x100 bytes are in the dump */
    uint64_t committed;        /* committed bytes of its allocation (0 when unknown) */
    uint64_t captured;         /* captured bytes of its allocation */
} hd_heap_capture;
HD_API hd_heap_capture hd_heap_capture_of(hd_dump *d, uint64_t handle, uint64_t process_heap);

/* "PAGE_READWRITE", "PAGE_READWRITE|PAGE_GUARD" (WinDbg joins flags with "|"), ...; "" for 0. */
HD_API const char *hd_protect_name(uint32_t protect, char *buf, size_t size);
/* "MEM_COMMIT" / "MEM_RESERVE" / "MEM_FREE", "MEM_PRIVATE" / "MEM_MAPPED" / "MEM_IMAGE"; "" else */
HD_API const char *hd_state_name(uint32_t state);
HD_API const char *hd_type_name(uint32_t type);

/* ------------------------------------------------------------------------------------------ */
/* Heaps: discovery, classification, walking (lib/heap).                                       */
/* ------------------------------------------------------------------------------------------ */
/* The NT heaps of the process are found once per dump (on the first hd_heap_count/hd_heap_at)
** and cached: every PEB view's ProcessHeaps and ProcessHeap, the Windows 11 24H2 descriptor
** chain, PEB.ReadOnlySharedMemoryBase and a signature scan of captured memory at 64 KB-aligned
** bases.  Each candidate is classified by scoring the invariants of the layout reference (§10),
** never by a signature alone.  Layout offsets are heapdig's own (lib/heap/layout*.c,
** docs/heap-layouts.md); no symbols are used.
**
** Walking is streaming: hd_heap_walk() calls back once per block in one pass, with no allocation
** per block, so a caller aggregating 10 M blocks needs no memory per block.  The first complete
** walk of a heap (or hd_heap_analyze) also fills the heap's totals, its reconciliation checks
** and its problems; damage is recorded once, as diagnostics with the block's address. */

typedef enum hd_heap_kind {
    HD_HEAP_NT = 0,            /* an NT (front end + back end) heap: walked */
    HD_HEAP_SEGMENT = 1,       /* a Windows 10+ segment heap: recognised, not walked */
    HD_HEAP_PAGE = 2,          /* a page heap (DPH root at handle + 0x1000): its own small _HEAP and
                                  its busy allocations are walked (blocks of kind pageheap) */
    HD_HEAP_NOT_A_HEAP = 3,    /* a candidate that failed the invariants (see evidence) */
    HD_HEAP_UNREADABLE = 4     /* listed, but its header is not captured in the dump */
} hd_heap_kind;

/* How a heap was found (bits; a heap found several ways has several). */
#define HD_FOUND_PEB_LIST       0x01u   /* PEB.ProcessHeaps[peb_slot] */
#define HD_FOUND_PROCESS_HEAP   0x02u   /* PEB.ProcessHeap */
#define HD_FOUND_DESCRIPTOR     0x04u   /* Win11 24H2+ heap descriptor chain (reference §1.4) */
#define HD_FOUND_RO_SHARED      0x08u   /* PEB.ReadOnlySharedMemoryBase */
#define HD_FOUND_SCAN           0x10u   /* signature scan of captured memory */
#define HD_FOUND_SEGMENT        0x20u   /* the Heap back-pointer of a segment found by the scan */

/* One piece of classification evidence: an invariant, for one candidate layout. */
typedef struct hd_heap_evidence {
    const char *layout;        /* "" for checks common to every layout */
    const char *check;         /* "Signature 0xEEFFEEFF at +0xa0" */
    int passed;                /* 1 passed, 0 failed, -1 could not be evaluated (not captured) */
    unsigned weight;           /* points it is worth in the layout's score */
    const char *detail;        /* the value found, "" when nothing to add */
} hd_heap_evidence;

/* The heap's own bookkeeping: _HEAP_COUNTERS (reference §2.5) and friends. */
typedef struct hd_heap_counters {
    uint64_t total_memory_reserved, total_memory_committed, total_memory_large_ucr;
    uint64_t total_size_in_virtual_blocks;
    uint32_t total_segments, total_ucrs;
    uint32_t commit_ops, decommit_ops, lock_acquires, lock_collisions;
    uint64_t total_free_size;  /* _HEAP.TotalFreeSize, in granules */
} hd_heap_counters;

/* An uncommitted range of a segment (_HEAP_UCR_DESCRIPTOR, reference §4.1). */
typedef struct hd_heap_ucr {
    uint64_t descriptor;       /* address of the descriptor */
    uint64_t address, size;    /* the uncommitted range */
} hd_heap_ucr;

typedef struct hd_heap_segment {
    uint64_t address;          /* the _HEAP_SEGMENT (== heap handle for segment 0) */
    uint64_t base_address, first_entry, last_valid_entry;
    uint32_t number_of_pages, uncommitted_pages, uncommitted_ranges;   /* header fields */
    uint64_t reserved;         /* NumberOfPages x 0x1000 */
    uint64_t committed;        /* reserved - sum of the UCR sizes (what the walk tiles) */
    const hd_heap_ucr *ucrs;   /* from UCRSegmentList, sorted by address */
    size_t ucr_count;
    int readable;              /* 0 when the segment header is not captured */
    int ucr_list_complete;     /* 0 when the UCR list was cut (missing memory, broken link) */
    int found_by_scan;         /* 1 when SegmentList did not lead to it (list cut), the scan did */
    int from_memory_info;      /* 1 when its header is not captured: extent and UCRs rebuilt from
                                  the MemoryInfoList allocation */
} hd_heap_segment;

/* One reconciliation: the walk against the heap's own numbers or the MemoryInfoList. */
typedef struct hd_heap_check {
    const char *name;          /* "TotalFreeSize x granularity == free bytes walked" */
    uint64_t expected;         /* the heap's (or the MemoryInfoList's) number */
    uint64_t actual;           /* what the walk found */
    int ok;
    int informative;           /* 1: not expected to match exactly on this layout (§2.5) */
    int incomplete;            /* 1: the walk or a list was cut (missing memory): not evaluable */
} hd_heap_check;

/* An LFH bucket as the walk saw it (one per block size in use). */
typedef struct hd_lfh_bucket {
    uint32_t size_index;       /* _HEAP_SUBSEGMENT.SizeIndex */
    uint32_t block_size;       /* bytes per block, header included */
    uint32_t subsegments;
    uint64_t blocks, busy, free;
    uint64_t depth;            /* sum of AggregateExchg.Depth (the heap's free count) */
} hd_lfh_bucket;

typedef struct hd_heap_totals {
    /* Definitions shared with the mkdump manifest: busy_* count busy blocks of kinds backend,
    ** lfh, virtual and pageheap (internal excluded); free_* free back-end blocks; virtual_* every
    ** VirtualAllocdBlocks entry (bytes: CommitSize). */
    uint64_t busy_blocks, busy_user_bytes, busy_block_bytes;
    uint64_t free_blocks, free_bytes;
    uint64_t virtual_blocks, virtual_bytes, virtual_reserved;
    uint64_t internal_blocks, internal_bytes;
    uint64_t lfh_blocks, lfh_busy, lfh_free, lfh_subsegments;
    uint64_t backend_blocks;        /* every back-end block walked (busy, free and internal) */
    uint64_t walked_bytes;          /* bytes of segment memory tiled by blocks */
    uint64_t free_list_entries;     /* blocks on _HEAP.FreeLists */
    uint64_t damaged;               /* bad headers / broken links met */
    uint64_t missing_bytes;         /* committed bytes the dump does not contain */
} hd_heap_totals;

typedef struct hd_heap {
    size_t index;              /* position in hd_heap_at order */
    uint64_t address;          /* the heap handle */
    unsigned ptr_size;         /* 4 or 8 */
    unsigned granularity;      /* 8 or 16: size of a _HEAP_ENTRY */
    int view;                  /* PEB view it belongs to (0 native, 1 WoW64 32-bit), -1 none */
    hd_heap_kind kind;
    const char *kind_name;     /* "nt", "segment", "page", "not_a_heap", "unreadable" */
    const char *layout;        /* "win7", "win8", "win10_1607", "win10_1809", "win11_24h2"; "" */
    const char *layout_title;  /* "Windows 7", "Windows 8 - 10 1511", ... */
    unsigned found_by;         /* HD_FOUND_* bits */
    const char *found_by_text; /* "PEB.ProcessHeaps[0], PEB.ProcessHeap" */
    int peb_slot;              /* index in PEB.ProcessHeaps, -1 if not listed */
    int owned;                 /* 0 for heaps mapped from elsewhere (CSRSS shared heap) */
    const char *label;         /* "process heap", "private heap", "CSRSS shared heap ..." */
    /* header fields (NT heaps) */
    uint32_t flags, force_flags, encode_flag_mask, virtual_memory_threshold;
    uint8_t front_end_type;    /* 0 none, 2 LFH */
    uint64_t front_end_heap;   /* _LFH_HEAP address when front_end_type == 2 */
    uint64_t virtual_alloc_list;   /* address of _HEAP.VirtualAllocdBlocks */
    uint64_t ucr_list, free_lists, segment_list;   /* addresses of the list heads */
    uint16_t process_heaps_list_index;
    uint64_t segment_reserve, segment_commit;              /* bytes */
    uint64_t decommit_block_threshold, decommit_total_threshold;
    uint64_t maximum_allocation_size, lock_variable, blocks_index;
    uint32_t interceptor;      /* 1 = +ust stack trace interceptor (§7.2) */
    uint64_t user_context;     /* 24H2: head of the heap descriptor chain (§1.4), else 0 */
    int has_counters;
    hd_heap_counters counters;
    const hd_heap_segment *segments;
    size_t segment_count;
    /* classification */
    const hd_heap_evidence *evidence;
    size_t evidence_count;
    int score, score_max;      /* of the chosen layout */
    /* filled by the first complete walk (hd_heap_analyze) */
    int analyzed;
    hd_heap_totals totals;
    const hd_heap_check *checks;
    size_t check_count;
    const hd_lfh_bucket *lfh_buckets;
    size_t lfh_bucket_count;
    int lfh_key_known;
    uint64_t lfh_key;          /* RtlpLFHKey recovered from the headers (§6.6) */
    int partial;               /* 1 when damage or missing memory made the results a lower bound */
    const char *const *problems;   /* one line each: why it is not a heap, what is damaged */
    size_t problem_count;
} hd_heap;

/* Number of heaps and heap-like candidates found (discovery runs on the first call). */
HD_API size_t hd_heap_count(hd_dump *d);
HD_API const hd_heap *hd_heap_at(hd_dump *d, size_t i);
/* The heap whose handle is ADDR, or NULL. */
HD_API const hd_heap *hd_heap_find(hd_dump *d, uint64_t addr);

typedef enum hd_block_state { HD_BLOCK_FREE = 0, HD_BLOCK_BUSY = 1 } hd_block_state;
typedef enum hd_block_kind {
    HD_BLOCK_BACKEND = 0,      /* a block of a segment */
    HD_BLOCK_LFH = 1,          /* a block of an LFH UserBlocks */
    HD_BLOCK_VIRTUAL = 2,      /* a VirtualAllocdBlocks entry */
    HD_BLOCK_PAGEHEAP = 3,     /* a page heap allocation */
    HD_BLOCK_INTERNAL = 4      /* the heap's own: header, UCR descriptor blocks, UserBlocks, ... */
} hd_block_kind;
/* Where the allocation stack of a block is recorded (reference §7.3: detected per block). */
typedef enum hd_stack_scheme {
    HD_STACK_NONE = 0,
    HD_STACK_UST_RECORD = 1,   /* stack_ref = trace record pointer from the +ust prefix (§7.2) */
    HD_STACK_TRACE_INDEX = 2,  /* stack_ref = AllocatorBackTraceIndex (_HEAP_ENTRY_EXTRA, §7.1) */
    HD_STACK_PAGEHEAP = 3      /* stack_ref = DPH StackTrace pointer (§8.5) */
} hd_stack_scheme;

typedef struct hd_block {
    const hd_heap *heap;
    uint64_t address;          /* the _HEAP_ENTRY, as WinDbg's HEAP_ENTRY column (VA: BusyBlock) */
    uint64_t user_address;     /* RtlSizeHeap's user pointer (after a +ust prefix) */
    uint64_t size;             /* bytes including the header (VA: CommitSize) */
    uint64_t user_size;        /* RtlSizeHeap semantics (reference §3.5, §5.3) */
    hd_block_state state;
    hd_block_kind kind;
    /* the decoded header (LFH: Size/PreviousSize hold the subsegment's BlockSize / 0) */
    uint16_t hdr_size;         /* granules (VA: bytes of slack) */
    uint8_t hdr_flags, hdr_small_tag_index;
    uint16_t hdr_previous_size;
    uint8_t hdr_segment_offset, hdr_unused_bytes;
    int segment;               /* index in heap->segments, -1 for VA blocks */
    uint64_t subsegment;       /* LFH: the _HEAP_SUBSEGMENT */
    uint64_t dph_node;         /* page heap: the _DPH_HEAP_BLOCK node */
    uint64_t dph_virtual_block;    /* page heap: pVirtualBlock (size = nVirtualBlockSize) */
    uint64_t va_entry, commit_size, reserve_size;   /* VA blocks */
    int damaged;               /* the header is bad (checksum, size): 1 = its extent is a guess up to
                                  where the walk resynchronised (not in the totals); 2 = its decoded
                                  Size agrees with the next header's PreviousSize, so the decoded
                                  fields are used and the block counts in the totals */
    int incomplete;            /* some of the block's bytes are not captured in the dump */
    hd_stack_scheme stack_scheme;
    uint64_t stack_ref;
} hd_block;

/* Non-zero return stops the walk (hd_heap_walk then returns HD_OK). */
typedef int (*hd_block_cb)(void *user, const hd_block *b);

/* Walk every block of heap H in address order per segment, then the VirtualAlloc'd blocks, then
** (page heaps) the page heap allocations: one pass, no allocation per block.  LFH blocks follow
** their UserBlocks container (kind internal).  HD_EUNSUPPORTED unless H is an NT or page heap.
** Damage becomes diagnostics (once per heap). */
HD_API hd_err hd_heap_walk(hd_dump *d, const hd_heap *h, hd_block_cb cb, void *user);
/* Only the VirtualAlloc'd blocks of H (the VirtualAllocdBlocks list; cheap: no segment walk). */
HD_API hd_err hd_heap_walk_virtual(hd_dump *d, const hd_heap *h, hd_block_cb cb, void *user);
/* Walk H once (if not done yet) to fill totals, checks, LFH buckets, problems.  (The first
** complete hd_heap_walk does the same; a walk stopped by its callback does not.) */
HD_API hd_err hd_heap_analyze(hd_dump *d, const hd_heap *h);
/* The block containing VA (header or user data) in any NT heap, like !heap -p -a.  HD_ENOTFOUND
** when no heap block contains it. */
HD_API hd_err hd_heap_block_at(hd_dump *d, uint64_t va, hd_block *out);

/* 1 when a heap of the process already walked or analysed (not one mapped from elsewhere) came out
** partial: damage or memory missing from the dump.  Never starts discovery or a walk. */
HD_API int hd_heaps_partial(const hd_dump *d);
HD_API const char *hd_block_kind_name(hd_block_kind k);   /* "backend", "lfh", ... */
HD_API const char *hd_stack_scheme_name(hd_stack_scheme s);   /* "ust_record", "trace_index", "pageheap", "none" */

/* Attribute heap memory in the address map (hd_addrmap_mark_heap, lib/analyze/heapmap.c): every
** segment (its whole reservation) and every VirtualAlloc'd block (entry, ReserveSize) of the NT
** and page heaps the process owns, including heaps found only by the scan.  Heaps mapped from
** elsewhere (the CSRSS shared heap) are not the process' heap memory and are left alone.  Idempotent. */
HD_API hd_err hd_addrmap_mark_heaps(hd_dump *d);
HD_API const char *hd_heap_flags_string(uint32_t flags, char *buf, size_t size);  /* "HEAP_GROWABLE ..." */

/* ---- symbol-less `dt`: heapdig's own layouts of the structures it reads ---------------------- */
typedef enum hd_field_kind {
    HD_FIELD_U8 = 0, HD_FIELD_U16, HD_FIELD_U32, HD_FIELD_U64, HD_FIELD_PTR,
    HD_FIELD_LIST,             /* LIST_ENTRY: value = Flink, value2 = Blink */
    HD_FIELD_STRUCT,           /* an embedded structure (value unused) */
    HD_FIELD_BYTES             /* raw bytes (value unused) */
} hd_field_kind;

typedef struct hd_dt_row {
    uint32_t offset;
    const char *name;          /* "VirtualAllocdBlocks" */
    const char *type;          /* "_LIST_ENTRY", "Uint4B", "Ptr64 _HEAP_ENTRY" */
    hd_field_kind kind;
    uint32_t size;
    int readable;              /* 0 when the bytes are not captured */
    uint64_t value, value2;
    const char *note;          /* decoded meaning ("decoded: Size 0x5, Flags 0x1 ..."), or "" */
} hd_dt_row;

/* Names of the types `dt` knows ("_PEB", "_HEAP", ...), NULL-terminated. */
HD_API const char *const *hd_dt_types(void);
/* Lay TYPE out at ADDR with heapdig's offsets.  ptr_size 0 picks it from context (the heap or
** PEB view ADDR belongs to, else the dump's architecture).  The layout is the one detected for
** the heap containing ADDR (else the process' best layout); *layout names it.  Rows stay valid
** until the next hd_dt call or hd_close.  HD_ENOTFOUND for an unknown type. */
HD_API hd_err hd_dt(hd_dump *d, const char *type, uint64_t addr, unsigned ptr_size,
                    const hd_dt_row **rows, size_t *count, const char **layout);

/* ------------------------------------------------------------------------------------------ */
/* Allocation stacks and symbols (lib/stack, lib/sym).                                         */
/* ------------------------------------------------------------------------------------------ */
/* Allocation stacks (lib/stack).  The heap walker reports, per block, where its allocation
** stack is recorded (a scheme and a reference, detected per block, not per Windows version);
** this layer reads the frames:
**   +ust prefix record pointer (reference §7.2/§7.3): a trace record {Next, Hash u32, Depth u32,
**       Frames[]}; a classic _RTL_STACK_TRACE_ENTRY at that address is accepted too;
**   AllocatorBackTraceIndex (§3.6, §7.1): an entry of the classic _STACK_TRACE_DATABASE, which
**       is located without symbols by scanning private allocations for a self-consistent header;
**   page heap StackTrace pointer (§8.5): a classic entry (a trace record is accepted too).
** Each distinct reference is resolved once; equal records share one hd_stack.                   */
typedef struct hd_stack {
    uint32_t id;               /* dense: 0 .. hd_stack_count() - 1, in order of first use */
    int scheme;                /* hd_stack_scheme of the reference first resolved to it */
    uint64_t ref;              /* that reference (record pointer, index or DPH pointer) */
    uint64_t record;           /* address the frames were read from */
    uint32_t depth;            /* number of frames */
    const uint64_t *frames;    /* return addresses, innermost first */
} hd_stack;

/* Frames for stack reference REF of scheme SCHEME (1 +ust record, 2 trace index, 3 page heap)
** in a heap of pointer size PTR_SIZE.  HD_ENOTFOUND for scheme 0; HD_ECORRUPT / HD_EUNMAPPED /
** HD_ENOTFOUND when the reference cannot be resolved (one diagnostic per distinct reference). */
HD_API hd_err hd_stack_resolve(hd_dump *d, int scheme, uint64_t ref, unsigned ptr_size, const hd_stack **out);
HD_API size_t hd_stack_count(const hd_dump *d);
HD_API const hd_stack *hd_stack_at(const hd_dump *d, size_t id);

/* Symbols.  A code address is named, best source first:
**   1. a public or procedure symbol (static functions included) of a local PDB whose GUID and
**      age match the module's CodeView record (module list, else the image's debug directory);
**   2. the nearest export of the image captured in the dump (hd_pe_export_find rules);
**   3. the module and the offset from its base;
**   4. outside every module: the address, and the kind of memory it is in.
** The canonical text of a frame (hd_frame.text) is what JSON output and stack matching use:
**   "halcon!HXmalloc+0x8b"   module = file name without its extension, as in the ModuleList;
**                            offset in lowercase hex without leading zeros; no "+0x0"
**   "halcon+0x1d2e0"         no name known
**   "0x7fe83e3bcf6"          outside every module
** PDBs are looked for only in local directories (never on the network).                      */

/* Add symbol search directories, in _NT_SYMBOL_PATH syntax: elements separated by ';'; a plain
** element is a directory; "srv*CACHE*URL", "symsrv*DLL*CACHE*URL" and "cache*DIR" contribute
** their local directories and their URLs are ignored.  Each directory is searched in the
** symstore layouts (DIR/name.pdb/GUIDAGE/name.pdb, and the two-tier DIR/na/name.pdb/GUIDAGE/...)
** and flat (DIR/name.pdb).  Call before symbolizing; may be called several times. */
HD_API hd_err hd_sym_add_path(hd_dump *d, const char *path);

typedef enum hd_sym_source {
    HD_SYM_NONE = 0,      /* outside every module */
    HD_SYM_MODULE = 1,    /* inside a module, no name: module+0xrva */
    HD_SYM_EXPORT = 2,    /* named from the image's export table */
    HD_SYM_PDB = 3        /* named from a matching PDB */
} hd_sym_source;

typedef struct hd_frame {
    uint64_t address;
    hd_sym_source source;
    const hd_module *module;   /* NULL outside every module */
    const char *module_name;   /* "halcon"; "" outside modules */
    const char *function;      /* NULL unless source is EXPORT or PDB */
    uint64_t offset;           /* from function, or from the module base (MODULE) */
    const char *text;          /* canonical text (see above) */
    /* Outside modules: what the memory is ("private executable memory", "thread 3 stack",
    ** "not in any region"); "" inside modules. */
    const char *region;
    int jit;                   /* private executable memory: likely JIT-compiled (.NET) code */
} hd_frame;

/* Name ADDR (results are cached: the same address gives the same pointer until hd_close). */
HD_API hd_err hd_symbolize(hd_dump *d, uint64_t addr, const hd_frame **out);

/* What symbol sources a module has (searches the symbol path once, on first use). */
typedef struct hd_module_syms {
    int pdb;                   /* 1 when a matching PDB was loaded */
    const char *pdb_path;      /* the file used, or "" */
    size_t pdb_symbols;        /* code symbols read from it */
    size_t exports;            /* exports of the captured image */
    const char *note;          /* why there is no PDB ("no CodeView record", "not found in the
                                  symbol path", "x.pdb found but its GUID/age differ", ...) or "" */
} hd_module_syms;
HD_API const hd_module_syms *hd_module_symbols(hd_dump *d, const hd_module *m);
/* The symstore directory name of a PDB identity: GUID as 32 uppercase hex digits (Data1, Data2,
** Data3 as numbers, Data4 as bytes) followed by the age in hex without leading zeros. */
HD_API const char *hd_symstore_id(const uint8_t guid[16], uint32_t age, char buf[48]);

/* ------------------------------------------------------------------------------------------ */
/* Summaries: top, diff (lib/analyze).                                                         */
/* ------------------------------------------------------------------------------------------ */
/* "Where did the memory go": busy heap blocks grouped by allocation stack, by user size, or by
** the allocating module or function (the allocation site: the first frame that is neither in
** ntdll/kernel32/kernelbase/the CRT DLLs nor a known allocator function such as malloc or
** operator new).  Blocks without a readable stack are grouped by size in every mode.
** Counted blocks are the busy ones of kinds backend, lfh, virtual and pageheap (internal heap
** blocks excluded), with their user sizes: the totals of `heapdig stat`.                    */
typedef enum hd_group_by { HD_BY_STACK = 0, HD_BY_SIZE = 1, HD_BY_MODULE = 2, HD_BY_FUNCTION = 3 } hd_group_by;
HD_API const char *hd_group_by_name(hd_group_by by);   /* "stack", "size", "module", "function" */

typedef struct hd_top_opts {
    hd_group_by by;
    uint64_t heap;             /* only the heap with this handle; 0: every heap */
    uint64_t min_size;         /* only blocks of at least this user size */
} hd_top_opts;

typedef struct hd_size_count { uint64_t size, count; } hd_size_count;

typedef struct hd_group {
    uint64_t bytes, count;     /* busy user bytes and blocks */
    uint64_t min_size, max_size;
    /* the first distinct user sizes met in the group, with their block counts ("41 of 16 MB,
    ** 60 of 88 MB"); blocks of further sizes are counted in other_sizes_count */
    size_t size_kinds;
    hd_size_count sizes[4];
    uint64_t other_sizes_count;
    int has_stack;             /* 0: blocks without a readable stack, grouped by size */
    uint64_t size;             /* size groups: the user size; else 0 */
    /* Identity used to match groups across dumps: stack groups: the frames' canonical texts
    ** joined by '\n'; module: "halcon"; function: "halcon!HXmalloc"; size groups: "size 0x...". */
    const char *key;
    const char *site;          /* canonical text of the allocation-site frame; "" without stack */
    size_t depth;              /* the stack (for module/function/size groups: of the stack */
    const hd_frame *const *frames;   /* contributing most bytes), innermost first */
    size_t site_index;         /* index of the site in frames */
    size_t stacks;             /* distinct stacks merged into the group */
    uint64_t example;          /* user address of one block of the group */
    uint64_t example_heap;     /* and its heap */
} hd_group;

typedef struct hd_summary {
    hd_group_by by;
    uint64_t busy_bytes, busy_blocks;        /* counted (after the heap / min-size filters) */
    uint64_t traced_bytes, traced_blocks;    /* of which with a readable stack */
    uint64_t unresolved_blocks;              /* had a stack reference that could not be read */
    size_t heaps_walked;                     /* NT heaps walked */
    size_t heaps_failed;                     /* heaps whose walk failed or was partial */
    size_t stack_count;                      /* distinct stacks seen */
    size_t group_count;
    const hd_group *groups;                  /* biggest first: bytes, then count, then key */
} hd_summary;

/* Walk every NT heap of the process (or o->heap; heaps mapped from elsewhere, such as the CSRSS
** shared heap, only when named in o->heap) and group its busy blocks.  The frames point into D's symbol
** cache: use the summary while D is open.  o may be NULL (by stack, every heap). */
HD_API hd_err hd_top(hd_dump *d, const hd_top_opts *o, hd_summary **out);
HD_API void hd_summary_free(hd_summary *s);   /* accepts NULL */

/* The same, fed by the caller, one busy block at a time (hd_top uses it; so can other walks).
** SCHEME/REF/PTR_SIZE: the block's stack reference (scheme 0: none). */
typedef struct hd_top_acc hd_top_acc;
HD_API hd_err hd_top_begin(hd_dump *d, const hd_top_opts *o, hd_top_acc **out);
HD_API hd_err hd_top_add(hd_top_acc *a, uint64_t user_address, uint64_t user_size, uint64_t heap,
                         int scheme, uint64_t ref, unsigned ptr_size);
/* Build the summary and free the accumulator (also on error). */
HD_API hd_err hd_top_end(hd_top_acc *a, hd_summary **out);

/* Index of the allocation site in FRAMES (see above); depth - 1 when every frame is allocator
** code, 0 for an empty stack. */
HD_API size_t hd_alloc_site(const hd_frame *const *frames, size_t depth);

/* Growth between two summaries of the same program (same hd_group_by).  Groups are matched by
** key (symbolized frames, never raw addresses inside modules); stack groups left unmatched are
** then matched with their frames outside modules (JIT code moves between runs) ignored. */
typedef struct hd_diff_row {
    const hd_group *old_group; /* NULL: new in the second dump */
    const hd_group *new_group; /* NULL: gone */
    int64_t bytes_delta, count_delta;
} hd_diff_row;

typedef struct hd_diff {
    hd_group_by by;
    int64_t bytes_delta, count_delta;        /* busy totals, new - old */
    size_t row_count;
    const hd_diff_row *rows;                 /* biggest byte growth first */
} hd_diff;

HD_API hd_err hd_diff_summaries(const hd_summary *old_s, const hd_summary *new_s, hd_diff **out);
HD_API void hd_diff_free(hd_diff *df);

#ifdef __cplusplus
}
#endif
#endif /* HEAPDIG_H */
