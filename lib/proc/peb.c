/*
** peb.c - the process model: TEB -> PEB for each "view" of the process, and the heap list.
**
** A native process has one view.  A 64-bit dump of a 32-bit (WoW64) process has two: the 64-bit
** TEB/PEB that the dump's thread list points at, and a 32-bit TEB at TEB64 + 0x2000 whose PEB
** (TEB32 + 0x30) lists the heaps the application uses (reference §1.3; on Win7 PEB32 is
** PEB64 - 0x1000, so it is always read through TEB32, never computed from PEB64).
**
** Offsets (reference §1.1, §1.2):      x86     x64
**   TEB  NtTib.StackBase / StackLimit   0x04/08 0x08/10
**   TEB  NtTib.Self                     0x18    0x30
**   TEB  ProcessEnvironmentBlock        0x30    0x60
**   PEB  ProcessHeap                    0x18    0x30
**   PEB  ReadOnlySharedMemoryBase       0x4C    0x88
**   PEB  NtGlobalFlag                   0x68    0xBC
**   PEB  NumberOfHeaps / Maximum…       0x88/8C 0xE8/EC
**   PEB  ProcessHeaps                   0x90    0xF0
**   PEB  OSMajor / OSMinor / OSBuild    0xA4/A8/AC  0x118/11C/120
** Pointers to shared memory, for the address map's "Other" (PHNT ntpebteb.h; checked on
** fizzbuzz_wow64.dmp, where both views agree: ApiSetMap 0x40000, ReadOnlyStaticServerData
** 0x7EFE0A90 inside ReadOnlySharedMemoryBase 0x7EFE0000, AnsiCodePageData 0x7EFB0000,
** SystemDefaultActivationContextData 0x50000, each in a MEM_MAPPED or MEM_IMAGE region):
**   PEB  ProcessParameters              0x10    0x20
**   PEB  ApiSetMap                      0x38    0x68
**   PEB  ReadOnlyStaticServerData       0x54    0x98
**   PEB  Ansi / Oem / UnicodeCaseTable  0x58/5C/60  0xA0/A8/B0
**   PEB  GdiSharedHandleTable           0x94    0xF8
**   PEB  ActivationContextData          0x1F8   0x2F8
**   PEB  SystemDefaultActivationContextData 0x200 0x308
**
** Each thread's stack allocation is the run of MemoryInfoList regions sharing the AllocationBase
** of the region that holds the stack (StackLimit, else StackBase - 1, else MINIDUMP_THREAD.Stack):
** reserved part, guard page and committed part together, as !address counts "Stack".
*/
#include <stdio.h>
#include <string.h>
#include "../as/as.h"
#include "../dump/dump_int.h"

typedef struct teb_off { unsigned stack_base, stack_limit, self, peb; } teb_off;
static const teb_off TEB32 = {0x04, 0x08, 0x18, 0x30};
static const teb_off TEB64 = {0x08, 0x10, 0x30, 0x60};

typedef struct peb_off {
    unsigned process_heap, ro_shared, global_flag, nheaps, maxheaps, heaps, osmaj, osmin, osbuild;
    unsigned params, apiset, ro_static, ansi, oem, ucase, gdi, actctx, sysactctx;
} peb_off;
static const peb_off PEB32 = {0x18, 0x4C, 0x68, 0x88, 0x8C, 0x90, 0xA4, 0xA8, 0xAC,
                              0x10, 0x38, 0x54, 0x58, 0x5C, 0x60, 0x94, 0x1F8, 0x200};
static const peb_off PEB64 = {0x30, 0x88, 0xBC, 0xE8, 0xEC, 0xF0, 0x118, 0x11C, 0x120,
                              0x20, 0x68, 0x98, 0xA0, 0xA8, 0xB0, 0xF8, 0x2F8, 0x308};

/* PEB address from a TEB, validating NtTib.Self; 0 if unreadable or inconsistent. */
/* QUIET: probing for a WoW64 TEB32, where a mismatch only means "not WoW64". */
static uint64_t teb_peb(hd_dump *d, uint64_t teb, unsigned ptr, uint64_t *base, uint64_t *limit, int quiet)
{
    const teb_off *o = ptr == 8 ? &TEB64 : &TEB32;
    uint64_t self, peb;
    if (as_ptr(d, teb + o->self, ptr, &self) != HD_OK) return 0;
    if (self != teb) {
        if (quiet) return 0;
        HD_DIAG(d, HD_SEV_WARN, HD_ECORRUPT, "peb", teb, "TEB 0x%llx: NtTib.Self is 0x%llx, not the TEB address",
                (unsigned long long)teb, (unsigned long long)self);
        return 0;
    }
    as_ptr(d, teb + o->stack_base, ptr, base);
    as_ptr(d, teb + o->stack_limit, ptr, limit);
    if (as_ptr(d, teb + o->peb, ptr, &peb) != HD_OK) return 0;
    return peb;
}

static void read_peb(hd_dump *d, int view, uint64_t addr, unsigned ptr)
{
    hd_peb *p = &d->pebs[view];
    const peb_off *o = ptr == 8 ? &PEB64 : &PEB32;
    uint64_t i, n;
    uint32_t v32;
    uint16_t v16;
    p->ptr_size = ptr;
    p->address = addr;
    if (!hd_view(d, addr, o->osbuild + 2)) {
        HD_DIAG(d, HD_SEV_WARN, HD_EUNMAPPED, "peb", addr, "%u-bit PEB at 0x%llx is not captured in the dump", ptr * 8, (unsigned long long)addr);
        return;
    }
    p->readable = 1;
    as_ptr(d, addr + o->process_heap, ptr, &p->process_heap);
    as_ptr(d, addr + o->ro_shared, ptr, &p->read_only_shared_memory_base);
    as_u32(d, addr + o->global_flag, &p->nt_global_flag);
    as_u32(d, addr + o->nheaps, &p->number_of_heaps);
    as_u32(d, addr + o->maxheaps, &p->maximum_number_of_heaps);
    as_ptr(d, addr + o->heaps, ptr, &p->process_heaps);
    as_u32(d, addr + o->osmaj, &v32); p->os_major = v32;
    as_u32(d, addr + o->osmin, &v32); p->os_minor = v32;
    as_u16(d, addr + o->osbuild, &v16); p->os_build = v16;
    /* shared-memory pointers: each read on its own (the tail of the PEB may not be captured) */
    as_ptr(d, addr + o->params, ptr, &p->process_parameters);
    as_ptr(d, addr + o->apiset, ptr, &p->api_set_map);
    as_ptr(d, addr + o->ro_static, ptr, &p->read_only_static_server_data);
    as_ptr(d, addr + o->ansi, ptr, &p->ansi_code_page_data);
    as_ptr(d, addr + o->oem, ptr, &p->oem_code_page_data);
    as_ptr(d, addr + o->ucase, ptr, &p->unicode_case_table_data);
    as_ptr(d, addr + o->gdi, ptr, &p->gdi_shared_handle_table);
    as_ptr(d, addr + o->actctx, ptr, &p->activation_context_data);
    as_ptr(d, addr + o->sysactctx, ptr, &p->system_default_activation_context_data);
    n = p->number_of_heaps;
    if (n > p->maximum_number_of_heaps)
        HD_DIAG(d, HD_SEV_WARN, HD_ECORRUPT, "peb", addr, "PEB 0x%llx: NumberOfHeaps %u exceeds MaximumNumberOfHeaps %u",
                (unsigned long long)addr, p->number_of_heaps, p->maximum_number_of_heaps);
    if (n > d->lim.max_heaps) {
        HD_DIAG(d, HD_SEV_WARN, HD_ELIMIT, "peb", addr, "PEB 0x%llx: NumberOfHeaps %u, only %u read (limit)",
                (unsigned long long)addr, p->number_of_heaps, d->lim.max_heaps);
        n = d->lim.max_heaps;
    }
    if (n && !hd_view(d, p->process_heaps, (size_t)(n * ptr))) {
        HD_DIAG(d, HD_SEV_WARN, HD_EUNMAPPED, "peb", p->process_heaps, "ProcessHeaps array at 0x%llx (%llu entries) is not captured",
                (unsigned long long)p->process_heaps, (unsigned long long)n);
        return;
    }
    p->heaps_readable = 1;
    if (vec_reserve(&d->peb_heaps[view], (size_t)n) != HD_OK) return;
    for (i = 0; i < n; i++) {
        uint64_t *h = vec_push(&d->peb_heaps[view]);
        as_ptr(d, p->process_heaps + i * ptr, ptr, h);
    }
    p->heaps = d->peb_heaps[view].data;
    p->heap_count = d->peb_heaps[view].len;
}

/* The stack allocation holding VA (md_alloc_span); without a MemoryInfoList, [lo, hi) as given.
** Returns 0 when nothing is known. */
static int stack_region(hd_dump *d, uint64_t va, uint64_t lo, uint64_t hi, uint64_t *base, uint64_t *size)
{
    *base = *size = 0;
    if (!d->has_meminfo) {
        if (hi <= lo) return 0;
        *base = lo;
        *size = hi - lo;
        return 1;
    }
    return md_alloc_span(d, va, base, size);
}

/* StackLimit (lowest committed address) if plausible, else StackBase - 1, else the captured stack. */
static void thread_stack(hd_dump *d, hd_thread *t)
{
    uint64_t va = 0, lo = 0, hi = 0;
    if (t->stack_base > t->stack_limit && t->stack_limit) {
        va = t->stack_limit;
        lo = t->stack_limit;
        hi = t->stack_base;
    } else if (t->stack_size) {
        va = t->stack_start;
        lo = t->stack_start;
        if (ck_add(lo, t->stack_size, &hi)) hi = UINT64_MAX;
    }
    if (lo || hi) stack_region(d, va, lo, hi, &t->stack_region_base, &t->stack_region_size);
    if (t->teb32 && t->stack_base32 > t->stack_limit32 && t->stack_limit32)
        stack_region(d, t->stack_limit32, t->stack_limit32, t->stack_base32, &t->stack_region_base32, &t->stack_region_size32);
}

/* A real WoW64 32-bit view has a process heap, or the WoW64 layer (wow64*.dll) is loaded; a
** readable PEB32 with neither is Wine's placeholder. */
static int is_wow64(const hd_dump *d, const hd_peb *p32)
{
    size_t i;
    if (!p32->readable || p32->process_heap) return 1;   /* uncaptured: TEB32.Self matched, believe it */
    for (i = 0; i < d->modules.len; i++) {
        const char *n = VEC_AT(&d->modules, hd_module, i)->name;
        if ((n[0] == 'w' || n[0] == 'W') && (n[1] == 'o' || n[1] == 'O') && (n[2] == 'w' || n[2] == 'W') &&
            n[3] == '6' && n[4] == '4') return 1;
    }
    return 0;
}

static void build(hd_dump *d)
{
    hd_process *pr = &d->proc;
    unsigned ptr;
    size_t i;
    uint64_t peb = 0, peb32 = 0;
    pr->arch = d->sys.arch;
    pr->pebs = d->pebs;
    if (d->sys.arch == HD_ARCH_X64) ptr = 8;
    else if (d->sys.arch == HD_ARCH_X86) ptr = 4;
    else {
        HD_DIAG_NOADDR(d, HD_SEV_WARN, HD_EUNSUPPORTED, "peb", "architecture %s: no process model (x86 and x64 only)", hd_arch_name(d->sys.arch));
        return;
    }
    for (i = 0; i < d->threads.len; i++) {
        hd_thread *t = VEC_AT(&d->threads, hd_thread, i);
        uint64_t p = teb_peb(d, t->teb, ptr, &t->stack_base, &t->stack_limit, 0);
        if (!p) continue;
        if (!peb) peb = p;
        else if (p != peb)
            HD_DIAG(d, HD_SEV_WARN, HD_ECORRUPT, "peb", t->teb, "thread %u's TEB points to PEB 0x%llx, others to 0x%llx",
                    t->id, (unsigned long long)p, (unsigned long long)peb);
        if (ptr == 8) {   /* WoW64: a 32-bit TEB 0x2000 above the 64-bit one */
            uint64_t t32 = t->teb + 0x2000, p32 = teb_peb(d, t32, 4, &t->stack_base32, &t->stack_limit32, 1);
            if (p32) {
                t->teb32 = t32;
                if (!peb32) peb32 = p32;
            } else {
                t->stack_base32 = t->stack_limit32 = 0;
            }
        }
    }
    for (i = 0; i < d->threads.len; i++) thread_stack(d, VEC_AT(&d->threads, hd_thread, i));
    if (!peb) {
        if (d->threads.len)
            HD_DIAG_NOADDR(d, HD_SEV_WARN, HD_EUNMAPPED, "peb", "no thread's TEB is captured: the PEB (and its heap list) cannot be found");
        else
            HD_DIAG_NOADDR(d, HD_SEV_WARN, HD_ENOTFOUND, "peb", "the dump has no threads: the PEB (and its heap list) cannot be found");
        return;
    }
    read_peb(d, 0, peb, ptr);
    pr->peb_count = 1;
    if (peb32) {
        read_peb(d, 1, peb32, 4);
        if (is_wow64(d, &d->pebs[1])) {
            pr->peb_count = 2;
            pr->wow64 = 1;
        } else {
            /* Wine gives every thread of a 64-bit process a TEB32 and a PEB32 that hold nothing */
            HD_DIAG(d, HD_SEV_INFO, HD_ENOTFOUND, "peb", peb32, "a 32-bit TEB/PEB pair exists (PEB32 0x%llx) but holds no process state and no "
                    "WoW64 module is loaded: not a WoW64 process (Wine allocates these for every thread)", (unsigned long long)peb32);
            memset(&d->pebs[1], 0, sizeof d->pebs[1]);
            d->peb_heaps[1].len = 0;
            for (i = 0; i < d->threads.len; i++) {
                hd_thread *t = VEC_AT(&d->threads, hd_thread, i);
                t->teb32 = t->stack_base32 = t->stack_limit32 = t->stack_region_base32 = t->stack_region_size32 = 0;
            }
        }
    }
}

const hd_process *hd_process_get(hd_dump *d)
{
    if (!d->proc_built) {
        d->proc_built = 1;
        build(d);
    }
    return &d->proc;
}

const char *hd_gflags_string(uint32_t flags, char *buf, size_t size)
{
    static const struct { uint32_t bit; const char *name; } names[] = {
        {0x00000001, "+soe"}, {0x00000002, "+sls"}, {0x00000004, "+dic"}, {0x00000008, "+shg"},
        {0x00000010, "+htc"}, {0x00000020, "+hfc"}, {0x00000040, "+hpc"}, {0x00000080, "+hvc"},
        {0x00000100, "+vrf"}, {0x00000400, "+ptg"}, {0x00000800, "+htg"}, {0x00001000, "+ust"},
        {0x00002000, "+kst"}, {0x00004000, "+otl"}, {0x00008000, "+htd"}, {0x00010000, "+dse"},
        {0x00020000, "+d32"}, {0x00040000, "+ksl"}, {0x00080000, "+dps"}, {0x00100000, "+scb"},
        {0x00200000, "+dhc"}, {0x00400000, "+ece"}, {0x00800000, "+eel"}, {0x01000000, "+eot"},
        {0x02000000, "+hpa"}, {0x04000000, "+dwl"}, {0x08000000, "+ddp"}, {0x10000000, "+cse"},
        {0x20000000, "+dpd"}, {0x40000000, "+lpg"}, {0x80000000u, "+dcw"},
    };
    size_t i, o = 0;
    if (!size) return buf;
    buf[0] = 0;
    for (i = 0; i < HD_ARRAY_LEN(names); i++) {
        if (!(flags & names[i].bit)) continue;
        int n = snprintf(buf + o, size - o, "%s%s", o ? " " : "", names[i].name);
        if (n < 0 || (size_t)n >= size - o) break;
        o += (size_t)n;
    }
    return buf;
}
