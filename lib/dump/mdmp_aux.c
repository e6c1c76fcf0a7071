/*
** mdmp_aux.c - the streams that refine the core ones: ThreadInfoList, ThreadNames,
** UnloadedModuleList, Exception and HandleData.
**
** Same rules as mdmp.c: counts are checked against the limits and the bytes present before any
** allocation, strings go through md_string (bounded), a broken entry is reported and skipped.
** Layouts (packed, little-endian, minidumpapiset.h):
**   MINIDUMP_THREAD_INFO_LIST   SizeOfHeader u32 +0, SizeOfEntry u32 +4, NumberOfEntries u32 +8
**   MINIDUMP_THREAD_INFO (64)   ThreadId +0, DumpFlags +4, DumpError +8, ExitStatus +0xC,
**                               CreateTime u64 +0x10, ExitTime +0x18, KernelTime +0x20,
**                               UserTime +0x28, StartAddress +0x30, Affinity +0x38
**   MINIDUMP_THREAD_NAME_LIST   NumberOfThreadNames u32 +0, then MINIDUMP_THREAD_NAME (12 bytes,
**                               pack 4): ThreadId u32 +0, RvaOfThreadName u64 +4
**   MINIDUMP_UNLOADED_MODULE_LIST  SizeOfHeader, SizeOfEntry, NumberOfEntries (u32 each)
**   MINIDUMP_UNLOADED_MODULE (24)  BaseOfImage u64 +0, SizeOfImage +8, CheckSum +0xC,
**                                  TimeDateStamp +0x10, ModuleNameRva +0x14
**   MINIDUMP_EXCEPTION_STREAM (168) ThreadId +0, ExceptionCode +8, ExceptionFlags +0xC,
**                               ExceptionRecord u64 +0x10, ExceptionAddress u64 +0x18,
**                               NumberParameters +0x20, ExceptionInformation u64[15] +0x28,
**                               ThreadContext {DataSize, Rva} +0xA0
**   MINIDUMP_HANDLE_DATA_STREAM SizeOfHeader +0, SizeOfDescriptor +4, NumberOfDescriptors +8
**   MINIDUMP_HANDLE_DESCRIPTOR (32; _2 is 40)  Handle u64 +0, TypeNameRva +8, ObjectNameRva +0xC,
**                               Attributes +0x10, GrantedAccess +0x14, HandleCount +0x18,
**                               PointerCount +0x1C
*/
#include <stdlib.h>
#include "dump_int.h"
#include "../common/rd.h"

/* The "SizeOfHeader, SizeOfEntry, count" header shared by the newer list streams.  Returns the
** number of entries present (0 with a diagnostic when the header is broken). */
static uint64_t list_header(hd_dump *d, const char *what, const uint8_t *p, size_t n, size_t min_entry,
                            uint64_t limit, uint32_t *hsize, uint32_t *esize)
{
    if (n < 12) {
        HD_DIAG_NOADDR(d, HD_SEV_ERROR, HD_ETRUNC, "minidump", "%s is %zu bytes: truncated (needs 12)", what, n);
        return 0;
    }
    *hsize = rd_le32(p);
    *esize = rd_le32(p + 4);
    if (*hsize < 12 || *hsize > n || *esize < min_entry || *esize > 4096) {
        HD_DIAG_NOADDR(d, HD_SEV_WARN, HD_ECORRUPT, "minidump", "%s: bad header (SizeOfHeader %u, SizeOfEntry %u)", what, *hsize, *esize);
        return 0;
    }
    return md_checked_count(d, what, rd_le32(p + 8), limit, n, *hsize, *esize);
}

/* Thread with ID, or NULL.  Writers list the entries in thread-list order, so the entry at the
** same index is tried first; the linear search behind it runs only while the thread list is small,
** so a hostile dump cannot make the matching quadratic. */
static hd_thread *thread_by_id(hd_dump *d, uint32_t id, size_t hint)
{
    size_t i;
    if (hint < d->threads.len && VEC_AT(&d->threads, hd_thread, hint)->id == id)
        return VEC_AT(&d->threads, hd_thread, hint);
    if (d->threads.len > 4096) return NULL;
    for (i = 0; i < d->threads.len; i++)
        if (VEC_AT(&d->threads, hd_thread, i)->id == id) return VEC_AT(&d->threads, hd_thread, i);
    return NULL;
}

hd_err md_parse_thread_info(hd_dump *d)
{
    size_t n, i, missing = 0;
    uint32_t hsize, esize;
    uint64_t cnt;
    const uint8_t *p = md_stream_bytes(d, HD_STREAM_THREAD_INFO_LIST, &n);
    if (!p) return HD_OK;
    cnt = list_header(d, "ThreadInfoListStream", p, n, 64, d->lim.max_threads, &hsize, &esize);
    for (i = 0; i < cnt; i++) {
        const uint8_t *e = p + hsize + (size_t)esize * i;
        hd_thread *t = thread_by_id(d, rd_le32(e), i);
        if (!t) { missing++; continue; }
        t->has_info = 1;
        t->dump_flags = rd_le32(e + 4);
        t->dump_error = rd_le32(e + 8);
        t->exit_status = rd_le32(e + 0xC);
        t->create_time = rd_le64(e + 0x10);
        t->exit_time = rd_le64(e + 0x18);
        t->kernel_time = rd_le64(e + 0x20);
        t->user_time = rd_le64(e + 0x28);
        t->start_address = rd_le64(e + 0x30);
        t->affinity = rd_le64(e + 0x38);
    }
    if (missing)
        HD_DIAG_NOADDR(d, HD_SEV_INFO, HD_ENOTFOUND, "minidump", "ThreadInfoListStream: %zu entries name threads that are not in the thread list", missing);
    return HD_OK;
}

hd_err md_parse_thread_names(hd_dump *d)
{
    size_t n, i, missing = 0;
    uint64_t cnt;
    const uint8_t *p = md_stream_bytes(d, HD_STREAM_THREAD_NAMES, &n);
    if (!p) return HD_OK;
    if (n < 4) {
        HD_DIAG_NOADDR(d, HD_SEV_ERROR, HD_ETRUNC, "minidump", "ThreadNamesStream is %zu bytes: truncated (needs 4)", n);
        return HD_OK;
    }
    cnt = md_checked_count(d, "ThreadNamesStream", rd_le32(p), d->lim.max_threads, n, 4, 12);
    for (i = 0; i < cnt; i++) {
        const uint8_t *e = p + 4 + 12 * i;
        uint64_t rva = rd_le64(e + 4);
        hd_thread *t = thread_by_id(d, rd_le32(e), i);
        const char *name;
        if (!t) { missing++; continue; }
        if (rva > UINT32_MAX) {
            HD_DIAG_NOADDR(d, HD_SEV_WARN, HD_ETRUNC, "minidump", "ThreadNamesStream: name of thread %u at RVA 0x%llx is past the end of the file",
                           t->id, (unsigned long long)rva);
            continue;
        }
        name = md_string(d, (uint32_t)rva, "thread name");
        if (name) t->name = name;
    }
    if (missing)
        HD_DIAG_NOADDR(d, HD_SEV_INFO, HD_ENOTFOUND, "minidump", "ThreadNamesStream: %zu names for threads that are not in the thread list", missing);
    return HD_OK;
}

hd_err md_parse_unloaded(hd_dump *d)
{
    size_t n, i;
    uint32_t hsize, esize;
    uint64_t cnt;
    const uint8_t *p = md_stream_bytes(d, HD_STREAM_UNLOADED_MODULE_LIST, &n);
    if (!p) return HD_OK;
    cnt = list_header(d, "UnloadedModuleListStream", p, n, 24, d->lim.max_modules, &hsize, &esize);
    if (vec_reserve(&d->unloaded, (size_t)cnt) != HD_OK) return HD_ENOMEM;
    for (i = 0; i < cnt; i++) {
        const uint8_t *e = p + hsize + (size_t)esize * i;
        hd_module *m = vec_push(&d->unloaded);
        md_module_common(d, e, m, "unloaded module name");
        m->unloaded = 1;
    }
    return HD_OK;
}

void md_parse_exception(hd_dump *d)
{
    size_t n, i;
    const uint8_t *p = md_stream_bytes(d, HD_STREAM_EXCEPTION, &n);
    hd_exception *x = &d->exc;
    if (!p) return;
    if (n < 0xA0) {
        HD_DIAG_NOADDR(d, HD_SEV_ERROR, HD_ETRUNC, "minidump", "ExceptionStream is %zu bytes: truncated (needs 168)", n);
        return;
    }
    x->present = 1;
    x->thread_id = rd_le32(p);
    x->code = rd_le32(p + 8);
    x->flags = rd_le32(p + 0xC);
    x->record = rd_le64(p + 0x10);
    x->address = rd_le64(p + 0x18);
    x->nparams = rd_le32(p + 0x20);
    if (x->nparams > 15) {
        HD_DIAG_NOADDR(d, HD_SEV_WARN, HD_ECORRUPT, "minidump", "ExceptionStream: NumberParameters %u exceeds the limit of 15; only 15 read", x->nparams);
        x->nparams = 15;
    }
    for (i = 0; i < x->nparams; i++) x->params[i] = rd_le64(p + 0x28 + 8 * i);
}

hd_err md_parse_handles(hd_dump *d)
{
    size_t n, i;
    uint32_t hsize, esize;
    uint64_t cnt;
    const uint8_t *p = md_stream_bytes(d, HD_STREAM_HANDLE_DATA, &n);
    if (!p) return HD_OK;
    if (n >= 16 && rd_le32(p) == 16 && rd_le32(p + 8) == 0) return HD_OK;   /* empty, common */
    cnt = list_header(d, "HandleDataStream", p, n, 32, d->lim.max_handles, &hsize, &esize);
    if (vec_reserve(&d->handles, (size_t)cnt) != HD_OK) return HD_ENOMEM;
    for (i = 0; i < cnt; i++) {
        const uint8_t *e = p + hsize + (size_t)esize * i;
        hd_handle *h = vec_push(&d->handles);
        uint32_t trva = rd_le32(e + 8), orva = rd_le32(e + 0xC);
        const char *s;
        h->handle = rd_le64(e);
        h->type_name = h->object_name = "";
        if (trva && (s = md_string(d, trva, "handle type name")) != NULL) h->type_name = s;
        if (orva && (s = md_string(d, orva, "handle object name")) != NULL) h->object_name = s;
        h->attributes = rd_le32(e + 0x10);
        h->granted_access = rd_le32(e + 0x14);
        h->handle_count = rd_le32(e + 0x18);
        h->pointer_count = rd_le32(e + 0x1C);
    }
    return HD_OK;
}
