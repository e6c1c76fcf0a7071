/*
** process.c - the process skeleton around the heaps: modules (PE images with exports), threads
** (TEB with NT_TIB stack bounds, stack regions), the PEB (and TEB32/PEB32 under WoW64),
** KUSER_SHARED_DATA, a private RX region standing for .NET JIT code, and the two stack-trace
** stores of +ust (§7.1 classic database, §7.2 per-block trace records).
**
** TEB (§1.1)  x86: NtTib.ExceptionList 0x00, StackBase 0x04, StackLimit 0x08, Self 0x18,
**                  ClientId 0x20/0x24, ProcessEnvironmentBlock 0x30, WowTebOffset 0xFDC (Win10+)
**             x64: ExceptionList 0x00 (WoW64: the TEB32), StackBase 0x08, StackLimit 0x10,
**                  Self 0x30, ClientId 0x40/0x48, ProcessEnvironmentBlock 0x60, WowTebOffset 0x180C
** PEB (§1.2)  x86 / x64: ImageBaseAddress 0x08/0x10, ProcessHeap 0x18/0x30, NumberOfProcessors
**             0x64/0xB8, NtGlobalFlag 0x68/0xBC, HeapSegmentReserve … 0x78/0xC8, NumberOfHeaps
**             0x88/0xE8, MaximumNumberOfHeaps 0x8C/0xEC, ProcessHeaps 0x90/0xF0, OSMajorVersion
**             0xA4/0x118, OSMinorVersion 0xA8/0x11C, OSBuildNumber 0xAC/0x120, OSPlatformId 0xB0/0x124
** WoW64 (§1.3): TEB32 = TEB64 + 0x2000; PEB32 = PEB64 - 0x1000 on Win7 (verified there),
**             PEB64 + 0x1000 on Win10 (mkdump's choice, the PHNT macro's placement).
*/
#define _XOPEN_SOURCE 700
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "mkdump.h"

/* ---- modules ------------------------------------------------------------------------------------ */

typedef struct defmod { const char *file; int bits; const char *dir; const char *exports; } defmod;

static const char *NTDLL_EXPORTS =
    "LdrInitializeThunk RtlUserThreadStart NtWaitForSingleObject NtAllocateVirtualMemory "
    "RtlAllocateHeap RtlFreeHeap RtlReAllocateHeap RtlSizeHeap RtlCreateHeap RtlDestroyHeap "
    "RtlWalkHeap RtlCaptureStackBackTrace";
static const char *K32_EXPORTS = "BaseThreadInitThunk HeapAlloc HeapFree VirtualAlloc Sleep WaitForSingleObject CreateThread";
static const char *KB_EXPORTS = "LocalAlloc VirtualAlloc WaitForSingleObjectEx HeapCreate";

static u64 name_hash(const char *s)
{
    char buf[256];
    size_t i, n = strlen(s);
    if (n >= sizeof buf) n = sizeof buf - 1;
    for (i = 0; i < n; i++) buf[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
    return hash64(buf, n, 0x6D6B64756D70ull);
}

static char *base_name(const char *file)
{
    char *s = xstrdup(file), *dot = strrchr(s, '.');
    if (dot) *dot = 0;
    return s;
}

module *module_by_name(gen *g, const char *name, int bits)
{
    size_t i;
    module *any = NULL;
    for (i = 0; i < g->mods.n; i++) {
        module *md = &g->mods.v[i];
        if (strcasecmp(md->name, name) && strcasecmp(md->file, name)) continue;
        if (!bits || md->bits == bits) return md;
        if (!any) any = md;
    }
    return any;
}

static module *add_module(gen *g, const char *file, const char *path, int bits, u64 base, u64 size)
{
    module md;
    u64 h = name_hash(file) ^ (u64)bits;
    memset(&md, 0, sizeof md);
    md.file = xstrdup(file);
    md.name = base_name(file);
    md.path = xstrdup(path);
    md.bits = bits;
    md.base = base;
    md.size = size;
    md.timestamp = 0x4CE7B000u + (u32)(h % 0x10000000u);
    md.checksum = (u32)(h >> 32) & 0xFFFFFu;
    put64(md.guid, hash64(file, strlen(file), h));
    put64(md.guid + 8, hash64(path, strlen(path), h));
    VPUSH(g->mods, md);
    return &g->mods.v[g->mods.n - 1];
}

static export_def *find_export(module *md, const char *name)
{
    size_t i;
    for (i = 0; i < md->exports.n; i++)
        if (!strcmp(md->exports.v[i].name, name)) return &md->exports.v[i];
    return NULL;
}

/* Make sure FUNC is exported and its range covers offset NEED-1 (size holds the need until
** the RVAs are assigned). */
static void need_export(module *md, const char *func, u64 need)
{
    export_def *e = find_export(md, func), ne;
    if (!e) {
        ne.name = xstrdup(func);
        ne.rva = 0;
        ne.size = 0;
        VPUSH(md->exports, ne);
        e = &md->exports.v[md->exports.n - 1];
    }
    if (need > e->size) e->size = (u32)need;
}

static void need_exports_list(module *md, const char *list)
{
    char *s = xstrdup(list), *tok, *save = NULL;
    for (tok = strtok_r(s, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) need_export(md, tok, 0x20);
    free(s);
}

static int cmp_export(const void *a, const void *b)
{
    const export_def *x = a, *y = b;
    if (!x->rva != !y->rva) return x->rva ? -1 : 1;   /* placed ones first */
    if (x->rva != y->rva) return x->rva < y->rva ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* Give every export without an RVA one after the last placed export; check fixed RVAs leave
** each function enough room for the offsets that frames use. */
static void place_exports(gen *g, module *md)
{
    size_t i, fixed = 0;
    u32 cursor = 0x1000;
    rng r;
    rng_seed(&r, name_hash(md->file), 77);
    if (md->exports.n) qsort(md->exports.v, md->exports.n, sizeof(export_def), cmp_export);
    while (fixed < md->exports.n && md->exports.v[fixed].rva) fixed++;
    for (i = 0; i < fixed; i++) {
        export_def *e = &md->exports.v[i];
        if (i + 1 < fixed && md->exports.v[i + 1].rva < e->rva + e->size)
            die("module %s: %s at rva 0x%x needs 0x%x bytes but %s starts at 0x%x", md->file, e->name, e->rva,
                e->size, md->exports.v[i + 1].name, md->exports.v[i + 1].rva);
        if (e->rva + e->size > cursor) cursor = e->rva + e->size;
    }
    for (i = fixed; i < md->exports.n; i++) {
        export_def *e = &md->exports.v[i];
        cursor = (u32)ALIGN_UP(cursor + (u32)rng_range(&r, 0x10, 0x400), 0x10);
        e->rva = cursor;
        e->size = (u32)ALIGN_UP((u64)e->size + rng_range(&r, 0x40, 0x600), 0x10);
        cursor += e->size;
    }
    pe_plan(g, md);
}

/* ---- addresses per layout (plausible values for the era; see README) ----------------------------- */

typedef struct bases {
    u64 ntdll64, k32, kb, exe, dll_hint, ntdll32, wow64, wow64win, wow64cpu, jit, low, stack_hint;
    u64 peb, teb, teb_step;   /* native (or PEB64/TEB64 under WoW64) */
    u64 limit;
} bases;

static void layout_bases(const layout *lo, bases *b)
{
    memset(b, 0, sizeof *b);
    if (lo->wow64 && lo->win7) {
        b->ntdll64 = 0x77B30000; b->wow64 = 0x74E60000; b->wow64win = 0x74E00000; b->wow64cpu = 0x74DF0000;
        b->ntdll32 = 0x77D10000; b->k32 = 0x75B60000; b->kb = 0x75620000; b->exe = 0x00E00000;
        b->dll_hint = 0x10000000; b->jit = 0; b->low = 0x10000; b->stack_hint = 0x10000;
        b->peb = 0x7EFDF000; b->teb = 0x7EFDB000; b->teb_step = 0; b->limit = 0x7FFFFFF0000ull;
    } else if (lo->wow64) {
        b->ntdll64 = 0x7FFE1A2C0000ull; b->wow64 = 0x7FFE18E30000ull; b->wow64win = 0x7FFE18D90000ull;
        b->wow64cpu = 0x77A00000; b->ntdll32 = 0x77B80000; b->k32 = 0x76680000; b->kb = 0x75D20000;
        b->exe = 0x00C90000; b->dll_hint = 0x10000000; b->jit = 0; b->low = 0x10000; b->stack_hint = 0x10000;
        b->peb = 0x00E9D000; b->teb = 0x00EA0000; b->teb_step = 0x3000; b->limit = 0x7FFFFFFF0000ull;
    } else if (lo->ptr == 4 && lo->win7) {
        b->ntdll32 = 0x77C40000; b->k32 = 0x76F30000; b->kb = 0x75A90000; b->exe = 0x01270000;
        b->dll_hint = 0x10000000; b->low = 0x10000; b->stack_hint = 0x10000;
        b->peb = 0x7FFD8000; b->teb = 0x7FFDF000; b->teb_step = 0; b->limit = 0x7FFF0000;
    } else if (lo->ptr == 4) {
        b->ntdll32 = 0x77A10000; b->k32 = 0x76680000; b->kb = 0x75D20000; b->exe = 0x00C90000;
        b->dll_hint = 0x10000000; b->low = 0x10000; b->stack_hint = 0x10000;
        b->peb = 0x00F3C000; b->teb = 0x00F3F000; b->teb_step = 0x1000; b->limit = 0x7FFF0000;
    } else if (lo->win7) {
        b->ntdll64 = 0x77590000; b->k32 = 0x77470000; b->kb = 0x7FEFD5F0000ull; b->exe = 0x13F0D0000ull;
        b->dll_hint = 0x7FEF0000000ull; b->jit = 0x7FE83E30000ull; b->low = 0x10000; b->stack_hint = 0x10000;
        b->peb = 0x7FFFFFD7000ull; b->teb = 0x7FFFFFDE000ull; b->teb_step = 0; b->limit = 0x7FFFFFF0000ull;
    } else {
        b->ntdll64 = 0x7FFE1A2C0000ull; b->k32 = 0x7FFE19A20000ull; b->kb = 0x7FFE17D10000ull;
        b->exe = 0x7FF6B2E40000ull; b->dll_hint = 0x7FFE00000000ull; b->jit = 0x7FFDA1B50000ull;
        b->low = 0x20C8E5F0000ull; b->stack_hint = 0x9A1E000000ull;
        b->peb = 0x9A1F3E7000ull; b->teb = 0x9A1F3E8000ull; b->teb_step = 0x2000; b->limit = 0x7FFFFFFF0000ull;
    }
}

static void map_module(gen *g, module *md, u64 hint)
{
    u64 b = md->base;
    if (b) {
        if (!vm_reserve_at(g->m, b, md->size)) die("module %s at 0x%llx overlaps other memory", md->file, (unsigned long long)b);
    } else {
        b = vm_reserve(g->m, md->size, hint, ALLOC_GRAN);
        if (!b) die("no address space for module %s", md->file);
        md->base = b;
    }
    vm_region(g->m, b, PAGE, b, MEM_COMMIT, PAGE_READONLY, MEM_IMAGE, U_IMAGE);
    vm_region(g->m, b + md->text_rva, md->text_size, b, MEM_COMMIT, PAGE_EXECUTE_READ, MEM_IMAGE, U_IMAGE);
    vm_region(g->m, b + md->rdata_rva, md->rdata_size, b, MEM_COMMIT, PAGE_READONLY, MEM_IMAGE, U_IMAGE);
    vm_region(g->m, b + md->data_rva, md->size - md->data_rva, b, MEM_COMMIT, PAGE_READWRITE, MEM_IMAGE, U_IMAGE);
}

static void build_modules(gen *g, const bases *b)
{
    scenario *sc = g->sc;
    const layout *lo = g->lo;
    int ab = g->app_bits;
    const char *sys64 = "C:\\Windows\\System32\\", *sys32 = lo->wow64 ? "C:\\Windows\\SysWOW64\\" : sys64;
    size_t i, k;
    char *p;
    VEC(defmod) d = {0};
    defmod x;
    /* the system set */
    if (lo->ptr == 8) {
        x.file = "ntdll.dll"; x.bits = 64; x.dir = sys64; x.exports = NTDLL_EXPORTS; VPUSH(d, x);
    }
    if (lo->wow64) {
        x.file = "wow64.dll"; x.bits = 64; x.dir = sys64; x.exports = "Wow64SystemServiceEx Wow64LdrpInitialize"; VPUSH(d, x);
        x.file = "wow64win.dll"; x.bits = 64; x.dir = sys64; x.exports = "whNtUserCallNoParam"; VPUSH(d, x);
        x.file = "wow64cpu.dll"; x.bits = 64; x.dir = sys64; x.exports = "CpuSimulate TurboDispatchJumpAddressEnd"; VPUSH(d, x);
    }
    if (ab == 32) {
        x.file = "ntdll.dll"; x.bits = 32; x.dir = sys32; x.exports = NTDLL_EXPORTS; VPUSH(d, x);
    }
    x.file = "kernel32.dll"; x.bits = ab; x.dir = sys32; x.exports = K32_EXPORTS; VPUSH(d, x);
    x.file = "KERNELBASE.dll"; x.bits = ab; x.dir = sys32; x.exports = KB_EXPORTS; VPUSH(d, x);
    for (i = 0; i < d.n; i++) {
        module *md;
        p = xsprintf("%s%s", d.v[i].dir, d.v[i].file);
        md = add_module(g, d.v[i].file, p, d.v[i].bits, 0, 0);
        free(p);
        need_exports_list(md, d.v[i].exports);
    }
    VFREE(d);
    /* the application image */
    {
        module *md;
        p = xsprintf("C:\\Program Files\\%s\\%s", sc->process, sc->process);
        md = add_module(g, sc->process, p, ab, 0, 0);
        free(p);
        need_exports_list(md, "main AppWorkerThread");
    }
    /* scenario modules, with their fixed exports */
    for (i = 0; i < sc->modules.n; i++) {
        module_spec *ms = &sc->modules.v[i];
        module *md = module_by_name(g, ms->name, ms->bits ? ms->bits : ab);
        if (!md || md->bits != (ms->bits ? ms->bits : ab)) {
            const char *path = ms->path;
            p = path ? xstrdup(path) : xsprintf("C:\\Program Files\\App\\%s", ms->name);
            md = add_module(g, ms->name, p, ms->bits ? ms->bits : ab, ms->base, ms->size);
            free(p);
        } else {
            if (ms->base) md->base = ms->base;
            if (ms->size) md->size = ms->size;
        }
        for (k = 0; k < ms->exports.n; k++) {
            export_def *e;
            need_export(md, ms->exports.v[k].name, 1);
            e = find_export(md, ms->exports.v[k].name);
            e->rva = (u32)ms->exports.v[k].rva;
        }
    }
    /* modules and functions named by stacks */
    for (i = 0; i < sc->stacks.n; i++) {
        stack_spec *st = &sc->stacks.v[i];
        int f;
        for (f = 0; f < st->n; f++) {
            frame_spec *fr = &st->f[f];
            int found = 0;
            if (fr->jit) continue;
            for (k = 0; k < g->mods.n; k++) {
                module *md = &g->mods.v[k];
                if (strcasecmp(md->name, fr->module) && strcasecmp(md->file, fr->module)) continue;
                need_export(md, fr->func, fr->off + 1);
                found = 1;
            }
            if (!found) {
                char *file = strchr(fr->module, '.') ? xstrdup(fr->module) : xsprintf("%s.dll", fr->module);
                module *md;
                p = xsprintf("C:\\Program Files\\%s\\%s", sc->process, file);
                md = add_module(g, file, p, ab, 0, 0);
                free(p);
                free(file);
                need_export(md, fr->func, fr->off + 1);
            }
        }
    }
    /* ntdll's .data holds the ProcessHeaps arrays and the keys */
    for (i = 0; i < g->mods.n; i++) {
        module *md = &g->mods.v[i];
        if (!strcasecmp(md->file, "ntdll.dll")) {
            size_t nh = sc->heaps.n + 8;
            md->data_size = (u32)ALIGN_UP(NTD_DATA_SIZE + (nh > 16 ? nh : 16) * 8, PAGE);
        }
        place_exports(g, md);
    }
    /* addresses */
    for (i = 0; i < g->mods.n; i++) {
        module *md = &g->mods.v[i];
        u64 hint = b->dll_hint;
        if (!md->base) {
            if (!strcasecmp(md->file, "ntdll.dll")) md->base = md->bits == 64 ? b->ntdll64 : b->ntdll32;
            else if (!strcasecmp(md->file, "kernel32.dll")) md->base = b->k32;
            else if (!strcasecmp(md->file, "KERNELBASE.dll")) md->base = b->kb;
            else if (!strcasecmp(md->file, "wow64.dll")) md->base = b->wow64;
            else if (!strcasecmp(md->file, "wow64win.dll")) md->base = b->wow64win;
            else if (!strcasecmp(md->file, "wow64cpu.dll")) md->base = b->wow64cpu;
            else if (md == &g->mods.v[0] + 0 && 0) hint = 0;
            else if (!strcasecmp(md->file, sc->process)) md->base = b->exe;
        }
        map_module(g, md, hint);
        if (!strcasecmp(md->file, "ntdll.dll")) g->ntdll_data[W(md->bits)] = md->base + md->data_rva;
    }
}

/* ---- stacks ------------------------------------------------------------------------------------- */

static char *frame_symbol(gen *g, u64 addr, int bits)
{
    size_t i, k;
    for (i = 0; i < g->mods.n; i++) {
        module *md = &g->mods.v[i];
        if (md->bits != bits && !(g->lo->ptr == 4)) continue;
        if (addr < md->base || addr >= md->base + md->size) continue;
        for (k = md->exports.n; k-- > 0;) {
            export_def *e = &md->exports.v[k];
            u64 fa = md->base + e->rva;
            if (addr < fa) continue;
            if (addr == fa) return xsprintf("%s!%s", md->name, e->name);
            return xsprintf("%s!%s+0x%llx", md->name, e->name, (unsigned long long)(addr - fa));
        }
    }
    return xsprintf("0x%llx", (unsigned long long)addr);
}

int gen_stack(gen *g, int spec, int bits)
{
    size_t i;
    rstack rs;
    stack_spec *st;
    int f;
    if (spec < 0) return -1;
    for (i = 0; i < g->rst.n; i++)
        if (g->rst.v[i].spec == spec && g->rst.v[i].bits == bits) return (int)i;
    st = &g->sc->stacks.v[spec];
    memset(&rs, 0, sizeof rs);
    rs.spec = spec;
    rs.bits = bits;
    rs.n = st->n > 64 ? 64 : st->n;
    rs.sym = xcalloc((size_t)rs.n, sizeof(char *));
    for (f = 0; f < rs.n; f++) {
        frame_spec *fr = &st->f[f];
        u64 a;
        if (fr->jit) {
            u64 off = fr->off;
            if (!off) off = 0x100 + (hash64(st->name, strlen(st->name), (u64)f) % (g->jit_size - 0x200));
            a = g->jit_base + off;
        } else {
            module *md = module_by_name(g, fr->module, bits);
            export_def *e = md ? find_export(md, fr->func) : NULL;
            if (!e) die("stack %s: %s!%s is not in any module", st->name, fr->module, fr->func);
            a = md->base + e->rva + fr->off;
        }
        rs.frames[f] = a;
        rs.sym[f] = frame_symbol(g, a, bits);
    }
    VPUSH(g->rst, rs);
    return (int)g->rst.n - 1;
}

void json_stack(gen *g, int rs)
{
    int f;
    j_arr(g->j, "stack");
    if (rs >= 0)
        for (f = 0; f < g->rst.v[rs].n; f++) j_str(g->j, NULL, g->rst.v[rs].sym[f]);
    j_end(g->j, 0);
    if (rs < 0) return;
    j_arr(g->j, "stack_raw");
    for (f = 0; f < g->rst.v[rs].n; f++) j_hex(g->j, NULL, g->rst.v[rs].frames[f]);
    j_end(g->j, 0);
}

/* §7.2 trace record {ptr Next; u32 Hash; u32 Depth; ptr Frames[Depth]}:
** x64 Hash +0x8, Depth +0xC, frames +0x10; x86 Hash +0x4, Depth +0x8, frames +0xC. */
u64 ust_record(gen *g, int rsi)
{
    rstack *rs = &g->rst.v[rsi];
    trace_world *tw = &g->tw[W(rs->bits)];
    int ptr = rs->bits / 8, f;
    u64 a, size, fo = ptr == 8 ? 0x10 : 0xC;
    u32 hash;
    if (rs->ust_record) return rs->ust_record;
    size = ALIGN_UP(fo + (u64)rs->n * (u64)ptr, 16);
    if (tw->ust_next + size > tw->ust_base + tw->ust_size) die("stack trace record zone full");
    a = tw->ust_next;
    tw->ust_next += size;
    tw->used_ust = 1;
    hash = (u32)hash64(rs->frames, sizeof(u64) * (size_t)rs->n, 0x75737421ull);
    wptr(g->m, ptr, a, 0);
    w32(g->m, a + (ptr == 8 ? 8 : 4), hash);
    w32(g->m, a + (ptr == 8 ? 0xC : 8), (u32)rs->n);
    for (f = 0; f < rs->n; f++) wptr(g->m, ptr, a + fo + (u64)f * (u64)ptr, rs->frames[f]);
    rs->ust_record = a;
    return a;
}

/* §7.1 `_RTL_STACK_TRACE_ENTRY`: HashChain 0, TraceCount:11|BlockDepth:5 u16 0x4/0x8, IndexHigh
** 0x6/0xA, Index 0x8/0xC, Depth 0xA/0xE, BackTrace[32] 0xC/0x10; sizeof 0x8C/0x110.  Entries
** are carved upward after the header and bucket array; the entry pointer of index i is at
** EntryIndexArray - i*ptr (the index array grows down from the top of the region). */
u32 std_index(gen *g, int rsi, u64 *entry)
{
    rstack *rs = &g->rst.v[rsi];
    trace_world *tw = &g->tw[W(rs->bits)];
    int ptr = rs->bits / 8, f, n = rs->n > 32 ? 32 : rs->n;
    u64 esize = ptr == 8 ? 0x110 : 0x8C, a, bucket, head;
    u32 idx, h;
    tw->std_lookups++;
    if (rs->classic_index) {
        if (entry) *entry = rs->classic_entry;
        return rs->classic_index;
    }
    idx = ++tw->std_count;
    a = tw->std_lower;
    tw->std_lower += esize;
    if (tw->std_lower + 0x1000 > tw->std_upper_top - (u64)idx * (u64)ptr - 0x1000) die("stack trace database full");
    tw->used_std = 1;
    h = (u32)hash64(rs->frames, sizeof(u64) * (size_t)rs->n, 0x737464ull);
    bucket = tw->std_buckets + (u64)(h % tw->std_nbuckets) * (u64)(2 * ptr);
    head = 0;
    if (vm_live(g->m)) {
        u8 b[8] = {0};
        vm_read(g->m, bucket, b, (size_t)ptr);
        head = ptr == 8 ? ((u64)r32(g->m, bucket + 4) << 32 | r32(g->m, bucket)) : r32(g->m, bucket);
    }
    wptr(g->m, ptr, a, head);
    wptr(g->m, ptr, bucket, a);
    w16(g->m, a + (ptr == 8 ? 0xA : 6), (u16)(idx >> 16));
    w16(g->m, a + (ptr == 8 ? 0xC : 8), (u16)idx);
    w16(g->m, a + (ptr == 8 ? 0xE : 0xA), (u16)n);
    for (f = 0; f < n; f++) wptr(g->m, ptr, a + (ptr == 8 ? 0x10 : 0xC) + (u64)f * (u64)ptr, rs->frames[f]);
    wptr(g->m, ptr, tw->std_upper_top - (u64)idx * (u64)ptr, a);
    rs->classic_index = idx;
    rs->classic_entry = a;
    if (entry) *entry = a;
    return idx;
}

/* Reserve the trace stores of one world.  Their committed parts are known at the end. */
static void trace_world_reserve(gen *g, int bits)
{
    trace_world *tw = &g->tw[W(bits)];
    int ptr = bits / 8;
    u64 hdr = ptr == 8 ? 0x2E0 : 0x180;
    memset(tw, 0, sizeof *tw);
    tw->ust_size = 0x400000;
    tw->ust_base = gen_reserve(g, tw->ust_size, ALLOC_GRAN);
    tw->ust_next = tw->ust_base;
    tw->std_size = 0x800000;
    tw->std_base = gen_reserve(g, tw->std_size, ALLOC_GRAN);
    tw->std_nbuckets = 0x89;
    tw->std_buckets = tw->std_base + hdr;
    tw->std_lower = ALIGN_UP(tw->std_buckets + (u64)tw->std_nbuckets * (u64)(2 * ptr), 16);
    tw->std_upper_top = tw->std_base + tw->std_size;
}

/* `_STACK_TRACE_DATABASE` header (§7.1; x86 / x64): LowerMemoryStart 0x40/0x78, PreCommitted
** 0x44/0x80, CommitBase 0x48/0x88, CurrentLowerCommitLimit 0x4C/0x90, CurrentUpperCommitLimit
** 0x50/0x98, NextFreeLowerMemory 0x54/0xA0, NextFreeUpperMemory 0x58/0xA8,
** NumberOfEntriesLookedUp 0x5C/0xB0, NumberOfEntriesAdded 0x60/0xB4, EntryIndexArray 0x64/0xB8,
** NumberOfEntriesAllocated 0x68/0xC0, NumberOfEntriesAvailable 0x6C/0xC4,
** NumberOfBuckets 0x178/0x2D0, Buckets 0x17C/0x2D8. */
static void trace_world_finish(gen *g, int bits)
{
    trace_world *tw = &g->tw[W(bits)];
    int ptr = bits / 8;
    vm *m = g->m;
    u64 lo_end, up_lo, b = tw->std_base, upper_next;
    /* §7.2 zone: committed up to the last record */
    {
        u64 c = ALIGN_UP(tw->ust_next > tw->ust_base ? tw->ust_next : tw->ust_base + 1, ALLOC_GRAN);
        if (c > tw->ust_base + tw->ust_size) c = tw->ust_base + tw->ust_size;
        vm_region(m, tw->ust_base, c - tw->ust_base, tw->ust_base, MEM_COMMIT, PAGE_READWRITE, MEM_PRIVATE, U_UNKNOWN);
        if (c < tw->ust_base + tw->ust_size)
            vm_region(m, c, tw->ust_base + tw->ust_size - c, tw->ust_base, MEM_RESERVE, 0, MEM_PRIVATE, U_UNKNOWN);
    }
    /* §7.1 database */
    upper_next = tw->std_upper_top - (u64)tw->std_count * (u64)ptr;
    lo_end = ALIGN_UP(tw->std_lower, PAGE);
    up_lo = ALIGN_DOWN(upper_next, PAGE);
    if (up_lo == tw->std_upper_top) up_lo -= PAGE;
    vm_region(m, b, lo_end - b, b, MEM_COMMIT, PAGE_READWRITE, MEM_PRIVATE, U_UNKNOWN);
    if (up_lo > lo_end) vm_region(m, lo_end, up_lo - lo_end, b, MEM_RESERVE, 0, MEM_PRIVATE, U_UNKNOWN);
    vm_region(m, up_lo, tw->std_upper_top - up_lo, b, MEM_COMMIT, PAGE_READWRITE, MEM_PRIVATE, U_UNKNOWN);
    if (ptr == 8) {
        w64(m, b + 0x78, tw->std_buckets);
        w64(m, b + 0x88, b);
        w64(m, b + 0x90, lo_end);
        w64(m, b + 0x98, up_lo);
        w64(m, b + 0xA0, tw->std_lower);
        w64(m, b + 0xA8, upper_next);
        w32(m, b + 0xB0, tw->std_lookups);
        w32(m, b + 0xB4, tw->std_count);
        w64(m, b + 0xB8, tw->std_upper_top);
        w32(m, b + 0xC0, tw->std_count);
        w32(m, b + 0x2D0, tw->std_nbuckets);
        w64(m, b + 0x2D8, tw->std_buckets);
    } else {
        w32(m, b + 0x40, (u32)tw->std_buckets);
        w32(m, b + 0x48, (u32)b);
        w32(m, b + 0x4C, (u32)lo_end);
        w32(m, b + 0x50, (u32)up_lo);
        w32(m, b + 0x54, (u32)tw->std_lower);
        w32(m, b + 0x58, (u32)upper_next);
        w32(m, b + 0x5C, tw->std_lookups);
        w32(m, b + 0x60, tw->std_count);
        w32(m, b + 0x64, (u32)tw->std_upper_top);
        w32(m, b + 0x68, tw->std_count);
        w32(m, b + 0x178, tw->std_nbuckets);
        w32(m, b + 0x17C, (u32)tw->std_buckets);
    }
    if (g->ntdll_data[W(bits)]) wptr(m, ptr, g->ntdll_data[W(bits)] + NTD_STD, b);
}

/* ---- threads, TEB, PEB --------------------------------------------------------------------------- */

u64 gen_reserve(gen *g, u64 size, u64 align)
{
    u64 a = vm_reserve(g->m, size, g->low_hint, align);
    if (!a)
        die("out of address space (reserving 0x%llx bytes)%s", (unsigned long long)size,
            g->app_bits == 32 ? ": a 32-bit process cannot hold this scenario, use a smaller --scale" : "");
    if (g->app_bits == 32 && a + size > 0x7FFE0000ull)
        die("a 32-bit process cannot hold this scenario (0x%llx bytes more at 0x%llx); use a smaller --scale",
            (unsigned long long)size, (unsigned long long)a);
    return a;
}

/* A stack: reserved, a guard page, committed top part.  Returns the base (top). */
static u64 make_stack(gen *g, u64 reserve, u64 commit, u64 *limit, u64 hint)
{
    u64 a = vm_reserve(g->m, reserve, hint, ALLOC_GRAN), top;
    if (!a) die("no address space for a stack");
    top = a + reserve;
    vm_region(g->m, a, reserve - commit - PAGE, a, MEM_RESERVE, 0, MEM_PRIVATE, U_STACK);
    vm_region(g->m, top - commit - PAGE, PAGE, a, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD, MEM_PRIVATE, U_STACK);
    vm_region(g->m, top - commit, commit, a, MEM_COMMIT, PAGE_READWRITE, MEM_PRIVATE, U_STACK);
    *limit = top - commit;
    return top;
}

static void build_threads(gen *g, const bases *b)
{
    const layout *lo = g->lo;
    int i, n = g->sc->threads > 0 ? g->sc->threads : 2;
    u64 teb_size = lo->ptr == 8 ? 0x2000 : 0x1000;
    if (lo->wow64) teb_size = 0x3000;
    for (i = 0; i < n; i++) {
        thread t;
        memset(&t, 0, sizeof t);
        t.id = 0x1A2C + 0x104 * (u32)i;
        if (b->teb_step) t.teb = b->teb + (u64)i * b->teb_step;
        else t.teb = b->teb - (u64)i * teb_size;
        if (!vm_reserve_at(g->m, t.teb, teb_size)) die("internal: TEB at 0x%llx", (unsigned long long)t.teb);
        vm_region(g->m, t.teb, teb_size, t.teb, MEM_COMMIT, PAGE_READWRITE, MEM_PRIVATE, U_TEB);
        if (lo->wow64) {
            t.teb32 = t.teb + 0x2000;
            t.stack_base = make_stack(g, 0x40000, 0x4000, &t.stack_limit, b->stack_hint);
            t.stack_base32 = make_stack(g, 0x100000, 0x6000, &t.stack_limit32, b->stack_hint);
            t.sp32 = t.stack_base32 - 0x9F0 - 0x40 * (u64)i;
        } else {
            t.stack_base = make_stack(g, 0x100000, lo->ptr == 8 ? 0x8000 : 0x6000, &t.stack_limit, b->stack_hint);
        }
        t.sp = t.stack_base - 0x7E8 - 0x40 * (u64)i;
        VPUSH(g->thr, t);
    }
}

static void write_teb(gen *g, const thread *t, int i)
{
    vm *m = g->m;
    const layout *lo = g->lo;
    u32 pid = g->sc->pid;
    if (lo->ptr == 8) {
        u64 a = t->teb;
        w64(m, a + 0x00, lo->wow64 ? t->teb32 : 0);
        w64(m, a + 0x08, t->stack_base);
        w64(m, a + 0x10, t->stack_limit);
        w64(m, a + 0x30, a);
        w64(m, a + 0x40, pid);
        w64(m, a + 0x48, t->id);
        w64(m, a + 0x60, g->peb);
        if (lo->wow64 && lo->win10) w32(m, a + 0x180C, 0x2000);
    }
    if (lo->ptr == 4 || lo->wow64) {
        u64 a = lo->wow64 ? t->teb32 : t->teb;
        w32(m, a + 0x00, 0xFFFFFFFFu);
        w32(m, a + 0x04, (u32)(lo->wow64 ? t->stack_base32 : t->stack_base));
        w32(m, a + 0x08, (u32)(lo->wow64 ? t->stack_limit32 : t->stack_limit));
        w32(m, a + 0x18, (u32)a);
        w32(m, a + 0x20, pid);
        w32(m, a + 0x24, t->id);
        w32(m, a + 0x30, (u32)(lo->wow64 ? g->peb32 : g->peb));
        if (lo->wow64 && lo->win10) w32(m, a + 0xFDC, (u32)-0x2000);
    }
    (void)i;
}

static void write_peb(gen *g, u64 a, int ptr)
{
    vm *m = g->m;
    const layout *lo = g->lo;
    module *exe = module_by_name(g, g->sc->process, ptr * 8);
    if (ptr == 8) {
        w64(m, a + 0x10, exe && exe->bits == 64 ? exe->base : 0);
        w32(m, a + 0xB8, 4);
        w32(m, a + 0xBC, g->sc->gflags);
        w64(m, a + 0xC8, 0x100000);
        w64(m, a + 0xD0, 0x2000);
        w64(m, a + 0xD8, 0x10000);
        w64(m, a + 0xE0, 0x1000);
        w32(m, a + 0x118, lo->major);
        w32(m, a + 0x11C, lo->minor);
        w16(m, a + 0x120, (u16)lo->build);
        w32(m, a + 0x124, 2);
    } else {
        w32(m, a + 0x08, exe ? (u32)exe->base : 0);
        w32(m, a + 0x64, 4);
        w32(m, a + 0x68, g->sc->gflags);
        w32(m, a + 0x78, 0x100000);
        w32(m, a + 0x7C, 0x2000);
        w32(m, a + 0x80, 0x10000);
        w32(m, a + 0x84, 0x1000);
        w32(m, a + 0xA4, lo->major);
        w32(m, a + 0xA8, lo->minor);
        w16(m, a + 0xAC, (u16)lo->build);
        w32(m, a + 0xB0, 2);
    }
}

void gen_process(gen *g)
{
    const layout *lo = g->lo;
    bases b;
    size_t i;
    layout_bases(lo, &b);
    g->app_bits = (lo->ptr == 4 || lo->wow64) ? 32 : 64;
    g->low_hint = b.low;
    vm_reset(g->m, b.limit);
    rng_seed(&g->r, g->seed, 1);
    /* PEB(s), KUSER_SHARED_DATA */
    g->peb = b.peb;
    if (!vm_reserve_at(g->m, g->peb, PAGE)) die("internal: PEB");
    vm_region(g->m, g->peb, PAGE, g->peb, MEM_COMMIT, PAGE_READWRITE, MEM_PRIVATE, U_PEB);
    if (lo->wow64) {
        g->peb32 = lo->win7 ? g->peb - PAGE : g->peb + PAGE;
        if (!vm_reserve_at(g->m, g->peb32, PAGE)) die("internal: PEB32");
        vm_region(g->m, g->peb32, PAGE, g->peb32, MEM_COMMIT, PAGE_READWRITE, MEM_PRIVATE, U_PEB);
    }
    if (!vm_reserve_at(g->m, 0x7FFE0000, PAGE)) die("internal: KUSER_SHARED_DATA");
    vm_region(g->m, 0x7FFE0000, PAGE, 0x7FFE0000, MEM_COMMIT, PAGE_READONLY, MEM_PRIVATE, U_OTHER);
    build_threads(g, &b);
    build_modules(g, &b);
    /* JIT code region */
    g->jit_size = g->sc->jit_size ? ALIGN_UP(g->sc->jit_size, ALLOC_GRAN) : 0x10000;
    if (g->sc->jit_base) {
        g->jit_base = g->sc->jit_base;
        if (!vm_reserve_at(g->m, g->jit_base, g->jit_size)) die("jit region at 0x%llx overlaps", (unsigned long long)g->jit_base);
    } else if (b.jit) {
        g->jit_base = b.jit;
        if (!vm_reserve_at(g->m, g->jit_base, g->jit_size)) die("internal: jit region");
    } else {
        g->jit_base = vm_reserve(g->m, g->jit_size, 0x04000000, ALLOC_GRAN);
    }
    vm_region(g->m, g->jit_base, g->jit_size, g->jit_base, MEM_COMMIT, PAGE_EXECUTE_READWRITE, MEM_PRIVATE, U_UNKNOWN);
    /* keys: process-global RtlpHeapKey / RtlpLFHKey per ntdll */
    for (i = 0; i < 2; i++) {
        g->heap_key[i] = rng_next(&g->r);
        g->lfh_key[i] = rng_next(&g->r);
        if (i == 0) {
            g->heap_key[i] &= 0xFFFFFFFFu;
            g->lfh_key[i] &= 0xFFFFFFFFu;
        } else {
            g->lfh_key[i] &= 0xFFFFFFFFFFull;   /* WinDbg shows a 40-bit value on x64 (seed) */
        }
    }
    /* trace stores */
    if (lo->ptr == 8) trace_world_reserve(g, 64);
    if (g->app_bits == 32) trace_world_reserve(g, 32);
    /* bytes */
    for (i = 0; i < g->mods.n; i++) pe_write(g, &g->mods.v[i]);
    for (i = 0; i < g->thr.n; i++) {
        thread *t = &g->thr.v[i];
        module *nt = module_by_name(g, "ntdll", lo->ptr * 8);
        module *k32 = module_by_name(g, "kernel32", g->app_bits);
        export_def *e = NULL;
        size_t k;
        for (k = 0; nt && k < nt->exports.n; k++)
            if (!strcmp(nt->exports.v[k].name, "NtWaitForSingleObject")) e = &nt->exports.v[k];
        t->ip = nt && e ? nt->base + e->rva + 0xA : 0;
        write_teb(g, t, (int)i);
        /* a return address into kernel32 at the stack pointer, for readers that unwind */
        if (k32) wptr(g->m, lo->ptr, t->sp, k32->base + k32->text_rva + 0x40);
    }
    write_peb(g, g->peb, lo->ptr);
    if (lo->wow64) write_peb(g, g->peb32, 4);
    w32(g->m, 0x7FFE0000 + 0x26C, lo->major);
    w32(g->m, 0x7FFE0000 + 0x270, lo->minor);
    for (i = 0; i < 2; i++)
        if (g->ntdll_data[i]) {
            int ptr = i ? 8 : 4;
            wptr(g->m, ptr, g->ntdll_data[i] + NTD_HEAP_KEY, g->heap_key[i]);
            wptr(g->m, ptr, g->ntdll_data[i] + NTD_LFH_KEY, g->lfh_key[i]);
        }
}

void gen_process_finish(gen *g)
{
    if (g->lo->ptr == 8) trace_world_finish(g, 64);
    if (g->app_bits == 32) trace_world_finish(g, 32);
}

void json_process(gen *g)
{
    json *j = g->j;
    const layout *lo = g->lo;
    size_t i;
    j_obj(j, "process");
    j_str(j, "arch", lo->ptr == 8 ? "x64" : "x86");
    j_obj(j, "os");
    j_uint(j, "major", lo->major);
    j_uint(j, "minor", lo->minor);
    j_uint(j, "build", lo->build);
    j_end(j, 1);
    j_bool(j, "wow64", lo->wow64);
    j_uint(j, "pid", g->sc->pid);
    j_str(j, "image", g->sc->process);
    j_arr(j, "threads");
    for (i = 0; i < g->thr.n; i++) {
        thread *t = &g->thr.v[i];
        j_obj(j, NULL);
        j_uint(j, "id", t->id);
        j_hex(j, "teb", t->teb);
        j_hex(j, "stack_base", t->stack_base);
        j_hex(j, "stack_limit", t->stack_limit);
        if (lo->wow64) {
            j_hex(j, "teb32", t->teb32);
            j_hex(j, "stack_base32", t->stack_base32);
            j_hex(j, "stack_limit32", t->stack_limit32);
        }
        j_end(j, 1);
    }
    j_end(j, 0);
    j_arr(j, "modules");
    for (i = 0; i < g->mods.n; i++) {
        module *md = &g->mods.v[i];
        j_obj(j, NULL);
        j_str(j, "name", md->name);
        j_hex(j, "base", md->base);
        j_uint(j, "size", md->size);
        j_str(j, "path", md->path);
        j_str(j, "arch", md->bits == 64 ? "x64" : "x86");
        j_end(j, 1);
    }
    j_end(j, 0);
    j_hex(j, "jit_base", g->jit_base);
    j_uint(j, "jit_size", g->jit_size);
    json_pebs(g);
    j_end(j, 1);
}
