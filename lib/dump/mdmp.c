/*
** mdmp.c - minidump header, stream directory and the typed streams the analysis needs.
**
** Format: MINIDUMP_HEADER (32 bytes) -> directory of MINIDUMP_DIRECTORY (12 bytes each:
** StreamType, DataSize, Rva).  Every stream is located by (Rva, DataSize) in the file.  The file
** is hostile: a stream past EOF is clipped and reported, a count is checked against both the
** configured limit and the bytes actually present before anything is allocated, and an unknown
** stream type is listed, never fatal.  Field offsets are written next to each read; the layouts
** are those of Microsoft's minidumpapiset.h (all structures are packed, little-endian).
*/
#include <stdlib.h>
#include <string.h>
#include "dump_int.h"
#include "../common/rd.h"

#define MD_SIGNATURE 0x504D444Du   /* "MDMP" */
#define MD_VERSION   0xA793u       /* low word of Version */

static const struct { uint32_t type; const char *name; } stream_names[] = {
    {0, "UnusedStream"}, {1, "ReservedStream0"}, {2, "ReservedStream1"},
    {3, "ThreadListStream"}, {4, "ModuleListStream"}, {5, "MemoryListStream"},
    {6, "ExceptionStream"}, {7, "SystemInfoStream"}, {8, "ThreadExListStream"},
    {9, "Memory64ListStream"}, {10, "CommentStreamA"}, {11, "CommentStreamW"},
    {12, "HandleDataStream"}, {13, "FunctionTableStream"}, {14, "UnloadedModuleListStream"},
    {15, "MiscInfoStream"}, {16, "MemoryInfoListStream"}, {17, "ThreadInfoListStream"},
    {18, "HandleOperationListStream"}, {19, "TokenStream"}, {20, "JavaScriptDataStream"},
    {21, "SystemMemoryInfoStream"}, {22, "ProcessVmCountersStream"}, {23, "IptTraceStream"},
    {24, "ThreadNamesStream"},
    {0x47670001u, "BreakpadInfoStream"}, {0x47670002u, "BreakpadAssertionInfoStream"},
    {0x47670003u, "BreakpadLinuxCpuInfo"}, {0x47670007u, "BreakpadLinuxEnviron"},
    {0x4b6b0002u, "CrashpadInfoStream"},
};

static const char *stream_name(uint32_t type, int *known)
{
    size_t i;
    for (i = 0; i < HD_ARRAY_LEN(stream_names); i++)
        if (stream_names[i].type == type) {
            *known = 1;
            return stream_names[i].name;
        }
    *known = 0;
    return "unknown";
}

/* ---- strings ------------------------------------------------------------------------------ */

/* Strings decoded from one dump may not take more than this many bytes in total (a hostile dump can
** point a million handles at the same long string): 16 MB plus three times the file size. */
static uint64_t str_budget(const hd_dump *d) { return ((uint64_t)16 << 20) + 3 * d->size; }

char *md_utf16(hd_dump *d, const uint8_t *p, size_t nchars)
{
    size_t i, o = 0;
    char *out;
    if (nchars > 32768) nchars = 32768;   /* UNICODE_STRING can hold no more; paths are shorter */
    if (d->str_bytes + nchars * 3 + 1 > str_budget(d)) {
        if (!d->str_budget_hit)
            HD_DIAG_NOADDR(d, HD_SEV_WARN, HD_ELIMIT, "minidump", "strings: more than %llu bytes of names decoded; further names are left empty (limit)",
                           (unsigned long long)str_budget(d));
        d->str_budget_hit = 1;
        return NULL;
    }
    d->str_bytes += nchars * 3 + 1;
    out = arena_alloc(&d->ar, nchars * 3 + 1);
    if (!out) return NULL;
    for (i = 0; i < nchars; i++) {
        uint32_t c = rd_le16(p + 2 * i);
        if (c == 0) break;
        if (c >= 0xD800 && c < 0xDC00 && i + 1 < nchars) {
            uint32_t c2 = rd_le16(p + 2 * i + 2);
            if (c2 >= 0xDC00 && c2 < 0xE000) {
                c = 0x10000 + ((c - 0xD800) << 10) + (c2 - 0xDC00);
                i++;
            } else {
                c = 0xFFFD;
            }
        } else if (c >= 0xD800 && c < 0xE000) {
            c = 0xFFFD;
        }
        if (c < 0x80) {
            out[o++] = (char)c;
        } else if (c < 0x800) {
            out[o++] = (char)(0xC0 | (c >> 6));
            out[o++] = (char)(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            out[o++] = (char)(0xE0 | (c >> 12));
            out[o++] = (char)(0x80 | ((c >> 6) & 0x3F));
            out[o++] = (char)(0x80 | (c & 0x3F));
        } else {   /* 4 bytes: fits because a surrogate pair consumed two input units (6 bytes) */
            out[o++] = (char)(0xF0 | (c >> 18));
            out[o++] = (char)(0x80 | ((c >> 12) & 0x3F));
            out[o++] = (char)(0x80 | ((c >> 6) & 0x3F));
            out[o++] = (char)(0x80 | (c & 0x3F));
        }
    }
    out[o] = 0;
    return out;
}

const char *md_string(hd_dump *d, uint32_t rva, const char *what)
{
    const uint8_t *p = md_span(d, rva, 4);
    uint32_t len;
    if (!p) {
        HD_DIAG(d, HD_SEV_WARN, HD_ETRUNC, "minidump", rva, "%s: string at RVA 0x%x is past the end of the file", what, rva);
        return NULL;
    }
    len = rd_le32(p);                       /* MINIDUMP_STRING.Length: bytes, without the NUL */
    if (len % 2 || !md_span(d, (uint64_t)rva + 4, len)) {
        HD_DIAG(d, HD_SEV_WARN, HD_ETRUNC, "minidump", rva, "%s: string at RVA 0x%x has a bad length %u", what, rva, len);
        return NULL;
    }
    return md_utf16(d, p + 4, len / 2);
}

/* ---- streams ------------------------------------------------------------------------------ */

static const hd_stream *find_stream(const hd_dump *d, uint32_t type)
{
    size_t i;
    for (i = 0; i < d->streams.len; i++) {
        const hd_stream *s = VEC_AT(&d->streams, const hd_stream, i);
        if (s->type == type) return s;
    }
    return NULL;
}

hd_err hd_stream_data(const hd_dump *d, uint32_t type, const uint8_t **data, size_t *size)
{
    const hd_stream *s = find_stream(d, type);
    uint64_t n;
    if (!s) return HD_ENOTFOUND;
    n = s->rva >= d->size ? 0 : HD_MIN((uint64_t)s->size, d->size - s->rva);
    *data = n ? d->base + s->rva : NULL;
    *size = (size_t)n;
    return HD_OK;
}

const uint8_t *md_stream_bytes(const hd_dump *d, uint32_t type, size_t *n)
{
    const uint8_t *p = NULL;
    *n = 0;
    if (hd_stream_data(d, type, &p, n) != HD_OK) return NULL;
    return p;
}

uint64_t md_checked_count_of(hd_dump *d, const char *what, const char *noun, uint64_t count, uint64_t limit,
                             size_t stream_size, size_t off, size_t entry)
{
    uint64_t fit = stream_size > off ? (stream_size - off) / entry : 0;
    uint64_t n = count;
    if (n > fit) {
        HD_DIAG_NOADDR(d, HD_SEV_ERROR, HD_ETRUNC, "minidump",
                       "%s: %llu %s announced, only %llu fit in the stream: truncated", what,
                       (unsigned long long)count, noun, (unsigned long long)fit);
        n = fit;
    }
    if (n > limit) {
        HD_DIAG_NOADDR(d, HD_SEV_WARN, HD_ELIMIT, "minidump", "%s: %llu %s, only the first %llu are read (limit)",
                       what, (unsigned long long)n, noun, (unsigned long long)limit);
        n = limit;
    }
    return n;
}

uint64_t md_checked_count(hd_dump *d, const char *what, uint64_t count, uint64_t limit,
                          size_t stream_size, size_t off, size_t entry)
{
    return md_checked_count_of(d, what, "entries", count, limit, stream_size, off, entry);
}

static hd_err parse_directory(hd_dump *d)
{
    const uint8_t *h = md_span(d, 0, 32), *dir;
    uint64_t n, fit, i;
    if (!h) {
        /* a short file that does not start like "MDMP" is not a minidump at all */
        if (d->size && memcmp(d->base, "MDMP", (size_t)HD_MIN(d->size, (uint64_t)4)) != 0)
            return HD_DIAG_NOADDR(d, HD_SEV_ERROR, HD_EFORMAT, "minidump", "file is %llu bytes and does not start with MDMP", (unsigned long long)d->size);
        return HD_DIAG_NOADDR(d, HD_SEV_ERROR, HD_ETRUNC, "minidump", "file is %llu bytes, too short for a minidump header (32 bytes)", (unsigned long long)d->size);
    }
    d->hdr.signature = rd_le32(h);
    d->hdr.version = rd_le32(h + 4);
    d->hdr.stream_count = rd_le32(h + 8);
    d->hdr.directory_rva = rd_le32(h + 12);
    d->hdr.checksum = rd_le32(h + 16);
    d->hdr.timestamp = rd_le32(h + 20);
    d->hdr.flags = rd_le64(h + 24);
    if (d->hdr.signature != MD_SIGNATURE)
        return HD_DIAG_NOADDR(d, HD_SEV_ERROR, HD_EFORMAT, "minidump", "no MDMP signature (found 0x%08x)", d->hdr.signature);
    if ((d->hdr.version & 0xFFFF) != MD_VERSION)
        return HD_DIAG_NOADDR(d, HD_SEV_ERROR, HD_EFORMAT, "minidump", "unknown minidump version 0x%08x", d->hdr.version);
    n = d->hdr.stream_count;
    fit = d->hdr.directory_rva < d->size ? (d->size - d->hdr.directory_rva) / 12 : 0;
    if (n > fit) {
        HD_DIAG(d, HD_SEV_ERROR, HD_ETRUNC, "minidump", d->hdr.directory_rva,
                "stream directory at 0x%x announces %llu streams, only %llu fit in the file: truncated",
                d->hdr.directory_rva, (unsigned long long)n, (unsigned long long)fit);
        n = fit;
    }
    if (n > d->lim.max_streams) {
        HD_DIAG_NOADDR(d, HD_SEV_WARN, HD_ELIMIT, "minidump", "%llu streams, only the first %u are read (limit)", (unsigned long long)n, d->lim.max_streams);
        n = d->lim.max_streams;
    }
    if (vec_reserve(&d->streams, (size_t)n) != HD_OK) return HD_ENOMEM;
    dir = d->base + d->hdr.directory_rva;
    for (i = 0; i < n; i++) {
        const uint8_t *e = dir + 12 * i;
        hd_stream *s;
        uint32_t type = rd_le32(e);
        if (type == 0) continue;   /* UnusedStream padding */
        s = vec_push(&d->streams);
        s->type = type;
        s->size = rd_le32(e + 4);
        s->rva = rd_le32(e + 8);
        s->name = stream_name(type, &s->known);
        if (ck_span(s->rva, s->size, d->size)) {
            s->truncated = 1;
            HD_DIAG(d, s->known ? HD_SEV_ERROR : HD_SEV_WARN, HD_ETRUNC, "minidump", s->rva,
                    "%s (type %u) at RVA 0x%x size %u runs past the end of the file (%llu bytes)",
                    s->name, type, s->rva, s->size, (unsigned long long)d->size);
        }
        if (find_stream(d, type) != s)
            HD_DIAG(d, HD_SEV_WARN, HD_ECORRUPT, "minidump", s->rva, "duplicate %s (type %u); the first one is used", s->name, type);
    }
    return HD_OK;
}

/* MINIDUMP_SYSTEM_INFO: Arch u16 +0, Level +2, Revision +4, NumberOfProcessors u8 +6,
** ProductType u8 +7, Major +8, Minor +0xC, Build +0x10, PlatformId +0x14, CSDVersionRva +0x18,
** SuiteMask u16 +0x1C; 56 bytes with the CPU union. */
static void parse_sysinfo(hd_dump *d)
{
    size_t n;
    const uint8_t *p = md_stream_bytes(d, HD_STREAM_SYSTEM_INFO, &n);
    hd_sysinfo *s = &d->sys;
    s->csd_version = "";
    if (!p) return;
    if (n < 32) {
        HD_DIAG_NOADDR(d, HD_SEV_ERROR, HD_ETRUNC, "minidump", "SystemInfoStream is %zu bytes: truncated (needs 32)", n);
        return;
    }
    s->present = 1;
    s->processor_arch = rd_le16(p);
    switch (s->processor_arch) {
    case 0: s->arch = HD_ARCH_X86; break;
    case 9: s->arch = HD_ARCH_X64; break;
    case 5: s->arch = HD_ARCH_ARM; break;
    case 12: s->arch = HD_ARCH_ARM64; break;
    default: s->arch = HD_ARCH_UNKNOWN; break;
    }
    s->processor_level = rd_le16(p + 2);
    s->processor_revision = rd_le16(p + 4);
    s->processor_count = p[6];
    s->product_type = p[7];
    s->major = rd_le32(p + 8);
    s->minor = rd_le32(p + 0xC);
    s->build = rd_le32(p + 0x10);
    s->platform_id = rd_le32(p + 0x14);
    s->suite_mask = rd_le16(p + 0x1C);
    if (rd_le32(p + 0x18)) {
        const char *csd = md_string(d, rd_le32(p + 0x18), "SystemInfo CSDVersion");
        if (csd) s->csd_version = csd;
    }
}

/* MINIDUMP_MISC_INFO (24 bytes): SizeOfInfo +0, Flags1 +4, ProcessId +8, ProcessCreateTime +0xC,
**   ProcessUserTime +0x10, ProcessKernelTime +0x14.
** _2 (44): ProcessorMaxMhz +0x18, ProcessorCurrentMhz +0x1C, ProcessorMhzLimit +0x20,
**   ProcessorMaxIdleState +0x24, ProcessorCurrentIdleState +0x28.
** _3 (232): ProcessIntegrityLevel +0x2C, ProcessExecuteFlags +0x30, ProtectedProcess +0x34,
**   TimeZoneId +0x38, TIME_ZONE_INFORMATION +0x3C (Bias +0x3C, StandardName WCHAR[32] +0x40, 172 bytes).
** _4 (832): BuildString WCHAR[260] +0xE8, DbgBldStr WCHAR[40] +0x2F0.
** _5 (1364): XSTATE_CONFIG_FEATURE_MSC_INFO +0x340 (528 bytes), ProcessCookie +0x550.
** Flags1: 1 process id, 2 times, 4 power info, 0x10 integrity, 0x20 execute flags, 0x40 time zone,
** 0x80 protected process, 0x100 build string, 0x200 process cookie.  A field is used only when
** both SizeOfInfo and the stream bytes reach it. */
static void parse_miscinfo(hd_dump *d)
{
    size_t n;
    const uint8_t *p = md_stream_bytes(d, HD_STREAM_MISC_INFO, &n);
    hd_miscinfo *m = &d->misc;
    size_t have;
    m->build_string = "";
    m->dbg_bld_str = "";
    m->time_zone_name = "";
    if (!p) return;
    if (n < 24) {
        HD_DIAG_NOADDR(d, HD_SEV_ERROR, HD_ETRUNC, "minidump", "MiscInfoStream is %zu bytes: truncated (needs 24)", n);
        return;
    }
    m->present = 1;
    m->size_of_info = rd_le32(p);
    m->flags1 = rd_le32(p + 4);
    switch (m->size_of_info) {
    case 24: m->level = 1; break;
    case 44: m->level = 2; break;
    case 232: m->level = 3; break;
    case 832: m->level = 4; break;
    case 1364: m->level = 5; break;
    default:
        m->level = 0;
        HD_DIAG_NOADDR(d, HD_SEV_INFO, HD_ECORRUPT, "minidump", "MiscInfoStream: SizeOfInfo %u is not a known MINIDUMP_MISC_INFO size", m->size_of_info);
    }
    have = HD_MIN((size_t)m->size_of_info, n);
    if (m->size_of_info > n)
        HD_DIAG_NOADDR(d, HD_SEV_WARN, HD_ETRUNC, "minidump", "MiscInfoStream: SizeOfInfo %u but the stream holds %zu bytes", m->size_of_info, n);
    if (m->flags1 & 1) { m->has_pid = 1; m->pid = rd_le32(p + 8); }
    if (m->flags1 & 2) {
        m->has_times = 1;
        m->create_time = rd_le32(p + 0xC);
        m->user_time = rd_le32(p + 0x10);
        m->kernel_time = rd_le32(p + 0x14);
    }
    if ((m->flags1 & 4) && have >= 44) {
        m->has_power = 1;
        m->processor_max_mhz = rd_le32(p + 0x18);
        m->processor_current_mhz = rd_le32(p + 0x1C);
        m->processor_mhz_limit = rd_le32(p + 0x20);
        m->processor_max_idle_state = rd_le32(p + 0x24);
        m->processor_current_idle_state = rd_le32(p + 0x28);
    }
    if (have >= 232) {
        if (m->flags1 & 0x10) { m->has_integrity = 1; m->process_integrity_level = rd_le32(p + 0x2C); }
        if (m->flags1 & 0x20) { m->has_execute_flags = 1; m->process_execute_flags = rd_le32(p + 0x30); }
        if (m->flags1 & 0x80) { m->has_protected = 1; m->protected_process = rd_le32(p + 0x34); }
        if (m->flags1 & 0x40) {
            char *tz = md_utf16(d, p + 0x40, 32);
            m->has_timezone = 1;
            m->time_zone_id = rd_le32(p + 0x38);
            m->time_zone_bias = (int32_t)rd_le32(p + 0x3C);
            if (tz) m->time_zone_name = tz;
        }
    }
    if (have >= 832 && (m->flags1 & 0x100)) {   /* MINIDUMP_MISC4_BUILDSTRING */
        char *b = md_utf16(d, p + 0xE8, 260), *g = md_utf16(d, p + 0x2F0, 40);
        if (b) { m->has_build_string = 1; m->build_string = b; }
        if (g) m->dbg_bld_str = g;
    }
    if (have >= 1364 && (m->flags1 & 0x200)) { m->has_process_cookie = 1; m->process_cookie = rd_le32(p + 0x550); }
}

/* MINIDUMP_THREAD (48 bytes): ThreadId +0, SuspendCount +4, PriorityClass +8, Priority +0xC,
** Teb u64 +0x10, Stack {Start u64 +0x18, DataSize u32 +0x20, Rva u32 +0x24},
** ThreadContext {DataSize +0x28, Rva +0x2C}.  ThreadExListStream has MINIDUMP_THREAD_EX (64
** bytes: the same plus BackingStore); it is read only when there is no ThreadListStream. */
static hd_err parse_threads(hd_dump *d)
{
    size_t n, i, esize = 48;
    uint64_t cnt;
    const char *what = "ThreadListStream";
    const uint8_t *p = md_stream_bytes(d, HD_STREAM_THREAD_LIST, &n);
    if (!p && (p = md_stream_bytes(d, HD_STREAM_THREAD_EX_LIST, &n)) != NULL) {
        esize = 64;
        what = "ThreadExListStream";
    }
    if (!p) return HD_OK;
    if (n < 4) {
        HD_DIAG_NOADDR(d, HD_SEV_ERROR, HD_ETRUNC, "minidump", "%s is %zu bytes: truncated", what, n);
        return HD_OK;
    }
    cnt = md_checked_count(d, what, rd_le32(p), d->lim.max_threads, n, 4, esize);
    if (vec_reserve(&d->threads, (size_t)cnt) != HD_OK) return HD_ENOMEM;
    for (i = 0; i < cnt; i++) {
        const uint8_t *e = p + 4 + esize * i;
        hd_thread *t = vec_push(&d->threads);
        t->id = rd_le32(e);
        t->suspend_count = rd_le32(e + 4);
        t->priority_class = rd_le32(e + 8);
        t->priority = rd_le32(e + 0xC);
        t->teb = rd_le64(e + 0x10);
        t->stack_start = rd_le64(e + 0x18);
        t->stack_size = rd_le32(e + 0x20);
        t->name = "";
    }
    return HD_OK;
}

static const char *file_part(const char *path)
{
    const char *s = path, *p;
    for (p = path; *p; p++)
        if (*p == '\\' || *p == '/') s = p + 1;
    return s;
}

/* The 24 bytes MINIDUMP_MODULE and MINIDUMP_UNLOADED_MODULE share: BaseOfImage u64 +0,
** SizeOfImage +8, CheckSum +0xC, TimeDateStamp +0x10, ModuleNameRva +0x14. */
void md_module_common(hd_dump *d, const uint8_t *e, hd_module *m, const char *what)
{
    const char *path;
    m->base = rd_le64(e);
    m->size = rd_le32(e + 8);
    m->checksum = rd_le32(e + 0xC);
    m->timestamp = rd_le32(e + 0x10);
    path = md_string(d, rd_le32(e + 0x14), what);
    m->path = path ? path : "";
    m->name = file_part(m->path);
    m->pdb_name = "";
}

/* CodeView record "RSDS": Signature +0, GUID +4 (16 bytes), Age +0x14, PDB name (UTF-8) +0x18. */
static void parse_codeview(hd_dump *d, hd_module *m, uint32_t size, uint32_t rva)
{
    const uint8_t *cv;
    size_t len;
    if (size < 0x19 || size > 0x10000 || !(cv = md_span(d, rva, size))) return;
    if (rd_le32(cv) != 0x53445352u) return;   /* "RSDS" */
    m->has_pdb = 1;
    memcpy(m->pdb_guid, cv + 4, 16);
    m->pdb_age = rd_le32(cv + 0x14);
    for (len = 0; 0x18 + len < size && cv[0x18 + len]; len++) {}
    m->pdb_name = arena_strndup(&d->ar, (const char *)cv + 0x18, len);
}

static int cmp_module(const void *a, const void *b)
{
    const hd_module *x = a, *y = b;
    return x->base < y->base ? -1 : x->base > y->base;
}

/* MINIDUMP_MODULE (108 bytes): BaseOfImage u64 +0, SizeOfImage +8, CheckSum +0xC,
** TimeDateStamp +0x10, ModuleNameRva +0x14, VS_FIXEDFILEINFO +0x18 (52 bytes: signature
** 0xFEEF04BD, FileVersionMS +8, FileVersionLS +0xC), CvRecord {size +0x4C, rva +0x50},
** MiscRecord +0x54, Reserved0/1. */
static hd_err parse_modules(hd_dump *d)
{
    size_t n, i;
    uint64_t cnt;
    const uint8_t *p = md_stream_bytes(d, HD_STREAM_MODULE_LIST, &n);
    if (!p) return HD_OK;
    if (n < 4) {
        HD_DIAG_NOADDR(d, HD_SEV_ERROR, HD_ETRUNC, "minidump", "ModuleListStream is %zu bytes: truncated", n);
        return HD_OK;
    }
    cnt = md_checked_count(d, "ModuleListStream", rd_le32(p), d->lim.max_modules, n, 4, 108);
    if (vec_reserve(&d->modules, (size_t)cnt) != HD_OK) return HD_ENOMEM;
    for (i = 0; i < cnt; i++) {
        const uint8_t *e = p + 4 + 108 * i;
        hd_module *m = vec_push(&d->modules);
        md_module_common(d, e, m, "module name");
        if (rd_le32(e + 0x18) == 0xFEEF04BDu) {
            uint32_t ms = rd_le32(e + 0x18 + 8), ls = rd_le32(e + 0x18 + 0xC);
            m->has_version = 1;
            m->version[0] = (uint16_t)(ms >> 16);
            m->version[1] = (uint16_t)ms;
            m->version[2] = (uint16_t)(ls >> 16);
            m->version[3] = (uint16_t)ls;
        }
        parse_codeview(d, m, rd_le32(e + 0x4C), rd_le32(e + 0x50));
    }
    hd_sort(d->modules.data, d->modules.len, sizeof(hd_module), cmp_module);
    return HD_OK;
}

static int cmp_region(const void *a, const void *b)
{
    const hd_region *x = a, *y = b;
    if (x->base != y->base) return x->base < y->base ? -1 : 1;
    if (x->size != y->size) return x->size > y->size ? -1 : 1;   /* equal bases: the larger first */
    if (x->alloc_base != y->alloc_base) return x->alloc_base < y->alloc_base ? -1 : 1;
    if (x->state != y->state) return x->state < y->state ? -1 : 1;
    if (x->type != y->type) return x->type < y->type ? -1 : 1;
    return x->protect < y->protect ? -1 : x->protect > y->protect;
}

/* MINIDUMP_MEMORY_INFO_LIST: SizeOfHeader u32 +0, SizeOfEntry u32 +4, NumberOfEntries u64 +8;
** entries MINIDUMP_MEMORY_INFO (48 bytes): BaseAddress +0, AllocationBase +8,
** AllocationProtect +0x10, RegionSize +0x18, State +0x20, Protect +0x24, Type +0x28. */
static hd_err parse_meminfo(hd_dump *d)
{
    size_t n, i;
    uint32_t hsize, esize;
    uint64_t cnt;
    const uint8_t *p = md_stream_bytes(d, HD_STREAM_MEMORY_INFO_LIST, &n);
    if (!p) return HD_OK;
    if (n < 16) {
        HD_DIAG_NOADDR(d, HD_SEV_ERROR, HD_ETRUNC, "minidump", "MemoryInfoListStream is %zu bytes: truncated", n);
        return HD_OK;
    }
    hsize = rd_le32(p);
    esize = rd_le32(p + 4);
    if (hsize < 16 || hsize > n || esize < 48 || esize > 4096) {
        HD_DIAG_NOADDR(d, HD_SEV_WARN, HD_ECORRUPT, "minidump", "MemoryInfoListStream: bad header (SizeOfHeader %u, SizeOfEntry %u)", hsize, esize);
        return HD_OK;
    }
    cnt = md_checked_count(d, "MemoryInfoListStream", rd_le64(p + 8), d->lim.max_regions, n, hsize, esize);
    if (vec_reserve(&d->regions, (size_t)cnt) != HD_OK) return HD_ENOMEM;
    for (i = 0; i < cnt; i++) {
        const uint8_t *e = p + hsize + (size_t)esize * i;
        hd_region *r;
        uint64_t base = rd_le64(e), size = rd_le64(e + 0x18), end;
        if (size == 0) {
            HD_DIAG(d, HD_SEV_INFO, HD_ECORRUPT, "minidump", base, "MemoryInfoList: zero-length region at 0x%llx ignored", (unsigned long long)base);
            continue;
        }
        if (ck_add(base, size, &end)) {
            HD_DIAG(d, HD_SEV_WARN, HD_ECORRUPT, "minidump", base, "MemoryInfoList: region 0x%llx + 0x%llx wraps the address space; clipped",
                    (unsigned long long)base, (unsigned long long)size);
            size = UINT64_MAX - base;
            if (size == 0) continue;
        }
        r = vec_push(&d->regions);
        r->base = base;
        r->alloc_base = rd_le64(e + 8);
        r->alloc_protect = rd_le32(e + 0x10);
        r->size = size;
        r->state = rd_le32(e + 0x20);
        r->protect = rd_le32(e + 0x24);
        r->type = rd_le32(e + 0x28);
    }
    d->has_meminfo = 1;
    hd_sort(d->regions.data, d->regions.len, sizeof(hd_region), cmp_region);
    /* Overlapping regions make "which region holds VA" ambiguous.  Deterministic rule: the region
    ** with the lower base wins (equal bases: the larger one; then the other fields break ties, so
    ** the result never depends on the listing order); a later region is trimmed to start where the
    ** kept one ends, or dropped when wholly covered. */
    {
        size_t o = 0;
        uint64_t end = 0;
        for (i = 0; i < d->regions.len; i++) {
            hd_region r = *VEC_AT(&d->regions, hd_region, i);
            if (o && r.base < end) {
                uint64_t cut = end - r.base;
                if (cut >= r.size) {
                    HD_DIAG(d, HD_SEV_WARN, HD_ECORRUPT, "minidump", r.base, "MemoryInfoList region 0x%llx (+0x%llx) overlaps an earlier region and is wholly covered; dropped",
                            (unsigned long long)r.base, (unsigned long long)r.size);
                    continue;
                }
                HD_DIAG(d, HD_SEV_WARN, HD_ECORRUPT, "minidump", r.base, "MemoryInfoList region 0x%llx overlaps the previous region (ends 0x%llx); trimmed",
                        (unsigned long long)r.base, (unsigned long long)end);
                r.base += cut;
                r.size -= cut;
            }
            *VEC_AT(&d->regions, hd_region, o) = r;
            o++;
            end = r.base + r.size;
        }
        d->regions.len = o;
    }
    return HD_OK;
}

/* Without a MemoryInfoList, regions are the captured ranges (state unknown: MEM_COMMIT). */
static hd_err synth_regions(hd_dump *d)
{
    size_t i;
    if (vec_reserve(&d->regions, d->ranges.len) != HD_OK) return HD_ENOMEM;
    for (i = 0; i < d->ranges.len; i++) {
        const hd_range *g = VEC_AT(&d->ranges, hd_range, i);
        hd_region *r = vec_push(&d->regions);
        r->base = r->alloc_base = g->base;
        r->size = g->size;
        r->state = HD_MEM_COMMIT;
    }
    return HD_OK;
}

hd_err md_parse(hd_dump *d)
{
    hd_err e;
    if ((e = parse_directory(d)) != HD_OK) return e;
    parse_sysinfo(d);
    parse_miscinfo(d);
    if ((e = parse_threads(d)) != HD_OK) return e;
    if ((e = md_parse_thread_info(d)) != HD_OK) return e;
    if ((e = md_parse_thread_names(d)) != HD_OK) return e;
    if ((e = parse_modules(d)) != HD_OK) return e;
    if ((e = md_parse_unloaded(d)) != HD_OK) return e;
    md_parse_exception(d);
    if ((e = md_parse_handles(d)) != HD_OK) return e;
    if ((e = md_parse_memory(d)) != HD_OK) return e;
    if ((e = parse_meminfo(d)) != HD_OK) return e;
    if (!d->has_meminfo && (e = synth_regions(d)) != HD_OK) return e;
    return HD_OK;
}

void md_free(hd_dump *d)
{
    vec_free(&d->streams);
    vec_free(&d->handles);
    vec_free(&d->threads);
    vec_free(&d->modules);
    vec_free(&d->unloaded);
    vec_free(&d->regions);
    vec_free(&d->alloc_runs);
    vec_free(&d->ranges);
}

/* ---- public accessors ------------------------------------------------------------------- */

const hd_header *hd_dump_header(const hd_dump *d) { return &d->hdr; }
size_t hd_stream_count(const hd_dump *d) { return d->streams.len; }
const hd_stream *hd_stream_at(const hd_dump *d, size_t i) { return vec_at(&d->streams, i); }
uint64_t hd_file_size(const hd_dump *d) { return d->size; }
const hd_sysinfo *hd_sysinfo_get(const hd_dump *d) { return &d->sys; }
const hd_miscinfo *hd_miscinfo_get(const hd_dump *d) { return &d->misc; }
const hd_exception *hd_exception_get(const hd_dump *d) { return &d->exc; }
size_t hd_handle_count(const hd_dump *d) { return d->handles.len; }
const hd_handle *hd_handle_at(const hd_dump *d, size_t i) { return vec_at(&d->handles, i); }
size_t hd_thread_count(const hd_dump *d) { return d->threads.len; }
const hd_thread *hd_thread_at(const hd_dump *d, size_t i) { return vec_at(&d->threads, i); }
size_t hd_module_count(const hd_dump *d) { return d->modules.len; }
const hd_module *hd_module_at(const hd_dump *d, size_t i) { return vec_at(&d->modules, i); }
size_t hd_unloaded_module_count(const hd_dump *d) { return d->unloaded.len; }
const hd_module *hd_unloaded_module_at(const hd_dump *d, size_t i) { return vec_at(&d->unloaded, i); }
int hd_has_memory_info(const hd_dump *d) { return d->has_meminfo; }
size_t hd_region_count(const hd_dump *d) { return d->regions.len; }
const hd_region *hd_region_at(const hd_dump *d, size_t i) { return vec_at(&d->regions, i); }

const hd_module *hd_module_find(const hd_dump *d, uint64_t va)
{
    size_t lo = 0, hi = d->modules.len;
    while (lo < hi) {   /* first module with base > va */
        size_t mid = lo + (hi - lo) / 2;
        if (VEC_AT(&d->modules, hd_module, mid)->base <= va) lo = mid + 1; else hi = mid;
    }
    if (lo == 0) return NULL;
    {
        const hd_module *m = VEC_AT(&d->modules, hd_module, lo - 1);
        return va - m->base < m->size ? m : NULL;
    }
}

const hd_region *hd_region_find(const hd_dump *d, uint64_t va)
{
    size_t lo = 0, hi = d->regions.len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (VEC_AT(&d->regions, hd_region, mid)->base <= va) lo = mid + 1; else hi = mid;
    }
    if (lo == 0) return NULL;
    {
        const hd_region *r = VEC_AT(&d->regions, hd_region, lo - 1);
        return va - r->base < r->size ? r : NULL;
    }
}

/* Region I continues region I-1's allocation: same AllocationBase, adjacent, both busy. */
static int continues(const hd_region *r, size_t i)
{
    return i > 0 && r[i].alloc_base == r[i - 1].alloc_base && r[i].state != HD_MEM_FREE &&
           r[i - 1].state != HD_MEM_FREE && r[i - 1].base + r[i - 1].size == r[i].base;
}

int md_alloc_span(hd_dump *d, uint64_t va, uint64_t *base, uint64_t *size)
{
    const hd_region *r = hd_region_find(d, va), *g = d->regions.data;
    size_t i, first, last;
    *base = *size = 0;
    if (!r || r->state == HD_MEM_FREE) return 0;
    if (d->alloc_runs.len != d->regions.len) {   /* first call: index of each run's first and last region, O(n) */
        vec_free(&d->alloc_runs);
        vec_init(&d->alloc_runs, sizeof(size_t) * 2);
        if (vec_reserve(&d->alloc_runs, d->regions.len) != HD_OK) return 0;
        d->alloc_runs.len = d->regions.len;
        for (i = 0; i < d->regions.len; i++)
            ((size_t *)d->alloc_runs.data)[2 * i] = continues(g, i) ? ((size_t *)d->alloc_runs.data)[2 * (i - 1)] : i;
        for (i = d->regions.len; i-- > 0;)
            ((size_t *)d->alloc_runs.data)[2 * i + 1] = i + 1 < d->regions.len && continues(g, i + 1) ? ((size_t *)d->alloc_runs.data)[2 * (i + 1) + 1] : i;
    }
    i = (size_t)(r - g);
    first = ((size_t *)d->alloc_runs.data)[2 * i];
    last = ((size_t *)d->alloc_runs.data)[2 * i + 1];
    *base = g[first].base;
    *size = g[last].base + g[last].size - *base;
    return 1;
}

const char *hd_arch_name(hd_arch a)
{
    switch (a) {
    case HD_ARCH_X86: return "x86";
    case HD_ARCH_X64: return "x64";
    case HD_ARCH_ARM: return "arm";
    case HD_ARCH_ARM64: return "arm64";
    default: return "unknown";
    }
}

const char *hd_dump_flag_name(uint64_t bit)
{
    static const char *const names[] = {
        "MiniDumpWithDataSegs", "MiniDumpWithFullMemory", "MiniDumpWithHandleData",
        "MiniDumpFilterMemory", "MiniDumpScanMemory", "MiniDumpWithUnloadedModules",
        "MiniDumpWithIndirectlyReferencedMemory", "MiniDumpFilterModulePaths",
        "MiniDumpWithProcessThreadData", "MiniDumpWithPrivateReadWriteMemory",
        "MiniDumpWithoutOptionalData", "MiniDumpWithFullMemoryInfo", "MiniDumpWithThreadInfo",
        "MiniDumpWithCodeSegs", "MiniDumpWithoutAuxiliaryState", "MiniDumpWithFullAuxiliaryState",
        "MiniDumpWithPrivateWriteCopyMemory", "MiniDumpIgnoreInaccessibleMemory",
        "MiniDumpWithTokenInformation", "MiniDumpWithModuleHeaders", "MiniDumpFilterTriage",
        "MiniDumpWithAvxXStateContext", "MiniDumpWithIptTrace", "MiniDumpScanInaccessiblePartialPages",
    };
    unsigned i;
    for (i = 0; i < HD_ARRAY_LEN(names); i++)
        if (bit == ((uint64_t)1 << i)) return names[i];
    return NULL;
}

/* ---- open / close --------------------------------------------------------------------- */

static hd_err open_common(hd_dump *d, const hd_limits *lim)
{
    if (lim) d->lim = *lim; else hd_limits_default(&d->lim);
    arena_init(&d->ar);
    vec_init(&d->diags.items, sizeof(hd_diag));
    vec_init(&d->streams, sizeof(hd_stream));
    vec_init(&d->threads, sizeof(hd_thread));
    vec_init(&d->handles, sizeof(hd_handle));
    vec_init(&d->modules, sizeof(hd_module));
    vec_init(&d->unloaded, sizeof(hd_module));
    vec_init(&d->regions, sizeof(hd_region));
    vec_init(&d->alloc_runs, sizeof(size_t) * 2);
    vec_init(&d->ranges, sizeof(hd_range));
    vec_init(&d->peb_heaps[0], sizeof(uint64_t));
    vec_init(&d->peb_heaps[1], sizeof(uint64_t));
    return md_parse(d);
}

/* Fatal errors are those after which nothing can be said about the dump. */
static int fatal(hd_err e) { return e == HD_EFORMAT || e == HD_ETRUNC || e == HD_ENOMEM || e == HD_EIO; }

hd_err hd_open_mem(const void *data, size_t size, const hd_limits *lim, hd_dump **out)
{
    hd_dump *d = calloc(1, sizeof *d);
    hd_err e;
    *out = NULL;
    if (!d) return HD_ENOMEM;
    d->base = data;
    d->size = size;
    e = open_common(d, lim);
    if (fatal(e)) { hd_close(d); return e; }
    *out = d;
    return HD_OK;
}

hd_err hd_open(const char *path, const hd_limits *lim, hd_dump **out)
{
    hd_dump *d;
    hd_err e;
    *out = NULL;
    if (!path) return HD_EINVAL;
    d = calloc(1, sizeof *d);
    if (!d) return HD_ENOMEM;
    d->path = malloc(strlen(path) + 1);
    if (!d->path) { free(d); return HD_ENOMEM; }
    strcpy(d->path, path);
    e = file_map(path, &d->base, &d->size, &d->map_cookie);
    if (e != HD_OK) { free(d->path); free(d); return e; }
    e = open_common(d, lim);
    if (fatal(e)) { hd_close(d); return e; }
    *out = d;
    return HD_OK;
}

hd_err core_on_close(hd_dump *d, void (*fn)(hd_dump *d))
{
    if (d->n_on_close >= HD_ARRAY_LEN(d->on_close)) return HD_ELIMIT;
    d->on_close[d->n_on_close++] = fn;
    return HD_OK;
}

void hd_close(hd_dump *d)
{
    size_t i;
    if (!d) return;
    for (i = d->n_on_close; i-- > 0;) d->on_close[i](d);   /* higher layers first */
    md_free(d);
    vec_free(&d->peb_heaps[0]);
    vec_free(&d->peb_heaps[1]);
    diag_free(&d->diags);
    arena_free(&d->ar);
    if (d->map_cookie) file_unmap(d->base, d->size, d->map_cookie);
    free(d->path);
    free(d);
}

const char *hd_path(const hd_dump *d) { return d->path ? d->path : "<memory>"; }

void hd_set_progress(hd_dump *d, hd_progress_fn fn, void *user)
{
    d->progress = fn;
    d->progress_user = user;
}
