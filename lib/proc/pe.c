/*
** pe.c - PE images as the loader mapped them, read from the memory captured in the dump:
** headers, section table, export directory, CodeView record.  Used to name code addresses
** (module!export+0xoff) and to find a module's PDB identity when the module list lacks it.
**
** What is walked (all offsets relative to the image base; the image is *mapped*, so RVAs are
** read directly, never converted to file offsets):
**
**   +0x00  IMAGE_DOS_HEADER   "MZ", e_lfanew (u32) at +0x3C
**   +L     "PE\0\0"
**   +L+4   IMAGE_FILE_HEADER  Machine u16 +0, NumberOfSections u16 +2, TimeDateStamp +4,
**                             SizeOfOptionalHeader u16 +0x10, Characteristics u16 +0x12
**   +L+24  optional header    Magic u16 +0 (0x10b PE32 / 0x20b PE32+), AddressOfEntryPoint +0x10,
**                             ImageBase (u32 +0x1C PE32 | u64 +0x18 PE32+), SizeOfImage +0x38,
**                             SizeOfHeaders +0x3C, CheckSum +0x40, Subsystem u16 +0x44,
**                             DllCharacteristics u16 +0x46, NumberOfRvaAndSizes (+0x5C | +0x6C),
**                             DataDirectory[] {rva, size} (+0x60 | +0x70): [0] export, [6] debug
**   +L+24+SizeOfOptionalHeader  IMAGE_SECTION_HEADER[n], 40 bytes: Name[8], VirtualSize +8,
**                             VirtualAddress +0xC, SizeOfRawData +0x10, Characteristics +0x24
**   export directory (40 bytes): Name rva +0xC, Base +0x10, NumberOfFunctions +0x14,
**                             NumberOfNames +0x18, AddressOfFunctions +0x1C (u32 rvas),
**                             AddressOfNames +0x20 (u32 rvas), AddressOfNameOrdinals +0x24 (u16)
**   debug directory: IMAGE_DEBUG_DIRECTORY[size/28]: Type u32 +0xC (2 = CODEVIEW),
**                             SizeOfData +0x10, AddressOfRawData (rva) +0x14
**   CodeView "RSDS": GUID +4, Age +0x14, PDB path +0x18 (NUL-terminated UTF-8)
**
** Hostile input: every count is bounded by the format (ordinals are 16-bit, at most 96 sections,
** 16 data directories) and by the bytes captured; an export whose address or name is not
** captured is counted in exports_unreadable and skipped.  An RVA is only followed when it lies
** inside SizeOfImage.
*/
#include <stdlib.h>   /* qsort, calloc, free */
#include <string.h>   /* memcpy, strcmp */
#include "../as/as.h"
#include "pe.h"

#define PE_MAX_SECTIONS 96          /* the PE/COFF specification's limit */
#define PE_MAX_EXPORTS  65536       /* ordinals are 16-bit */
#define PE_MAX_NAME     1024        /* longest export / forwarder name kept */
#define PE_MAX_DEBUG    32          /* debug directory entries looked at */

struct hd_pecache {
    size_t n_loaded, n_unloaded;
    hd_pe *loaded, *unloaded;
    unsigned char *done_loaded, *done_unloaded;
};

/* A NUL-terminated string at VA, at most PE_MAX_NAME bytes, into the arena; NULL when it is not
** captured or not terminated within the limit. */
static const char *read_cstr(hd_dump *d, uint64_t va)
{
    uint64_t avail = hd_captured_at(d, va);
    size_t n = (size_t)HD_MIN(avail, (uint64_t)PE_MAX_NAME + 1), len;
    const uint8_t *p;
    if (n == 0 || !(p = hd_view(d, va, n))) return NULL;
    for (len = 0; len < n && p[len]; len++) {}
    if (len == n) return NULL;
    return arena_strndup(&d->ar, (const char *)p, len);
}

/* 1 when [rva, rva+len) lies inside an image of SIZE bytes (size 0: unknown, accept). */
static int in_image(uint64_t size, uint64_t rva, uint64_t len)
{
    return size == 0 || !ck_span(rva, len, size);
}

static int cmp_export(const void *a, const void *b)
{
    const hd_pe_export *x = a, *y = b;
    if (x->rva != y->rva) return x->rva < y->rva ? -1 : 1;
    if (!x->name != !y->name) return x->name ? -1 : 1;   /* named before ordinal-only */
    if (x->name && y->name) {
        int c = strcmp(x->name, y->name);
        if (c) return c;
    }
    return x->ordinal < y->ordinal ? -1 : x->ordinal > y->ordinal;
}

static void parse_exports(hd_dump *d, uint64_t base, uint64_t size, uint32_t dir_rva,
                          uint32_t dir_size, const char *what, hd_pe *pe)
{
    uint64_t dir = base + dir_rva;
    const uint8_t *p;
    uint32_t nfun, nnames, afun, anames, aords, i;
    hd_pe_export *ex;
    const char **names;
    const char *dll;
    size_t kept = 0;

    pe->has_exports = 1;
    pe->export_dll = "";
    if (!in_image(size, dir_rva, 40)) {
        HD_DIAG(d, HD_SEV_WARN, HD_ECORRUPT, "pe", dir, "%s: export directory rva 0x%x lies outside the image", what, dir_rva);
        return;
    }
    if (!(p = hd_view(d, dir, 40))) return;   /* not captured: nothing to say */
    nfun = rd_le32(p + 0x14);
    nnames = rd_le32(p + 0x18);
    afun = rd_le32(p + 0x1C);
    anames = rd_le32(p + 0x20);
    aords = rd_le32(p + 0x24);
    pe->export_base = rd_le32(p + 0x10);
    dll = in_image(size, rd_le32(p + 0xC), 1) ? read_cstr(d, base + rd_le32(p + 0xC)) : NULL;
    pe->export_dll = dll ? dll : "";
    pe->exports_read = 1;
    if (nfun > PE_MAX_EXPORTS || nnames > nfun) {
        HD_DIAG(d, HD_SEV_WARN, HD_ECORRUPT, "pe", dir,
                "%s: export directory claims %u functions and %u names (at most %u functions, names <= functions)",
                what, nfun, nnames, PE_MAX_EXPORTS);
        if (nfun > PE_MAX_EXPORTS) nfun = PE_MAX_EXPORTS;
        if (nnames > nfun) nnames = nfun;
    }
    if (nfun == 0) return;
    if (!in_image(size, afun, (uint64_t)nfun * 4) || (nnames && (!in_image(size, anames, (uint64_t)nnames * 4) ||
                                                                 !in_image(size, aords, (uint64_t)nnames * 2)))) {
        HD_DIAG(d, HD_SEV_WARN, HD_ECORRUPT, "pe", dir, "%s: export tables lie outside the image", what);
        return;
    }
    /* Name of each function index (first name wins; the table is sorted by name). */
    names = calloc(nfun, sizeof *names);
    ex = arena_alloc(&d->ar, (size_t)nfun * sizeof *ex);
    if (!names || !ex) {
        free(names);
        HD_DIAG(d, HD_SEV_WARN, HD_ENOMEM, "pe", dir, "%s: out of memory reading %u exports", what, nfun);
        return;
    }
    for (i = 0; i < nnames; i++) {
        uint32_t name_rva;
        uint16_t ord;
        const char *s;
        if (as_u32(d, base + anames + (uint64_t)i * 4, &name_rva) != HD_OK ||
            as_u16(d, base + aords + (uint64_t)i * 2, &ord) != HD_OK) {
            pe->exports_unreadable++;
            continue;
        }
        if (ord >= nfun) {
            HD_DIAG(d, HD_SEV_WARN, HD_ECORRUPT, "pe", base + aords + (uint64_t)i * 2,
                    "%s: export name %u has ordinal index %u beyond %u functions", what, i, ord, nfun);
            continue;
        }
        if (names[ord]) continue;
        s = in_image(size, name_rva, 1) ? read_cstr(d, base + name_rva) : NULL;
        if (!s) { pe->exports_unreadable++; continue; }
        names[ord] = s;
    }
    for (i = 0; i < nfun; i++) {
        uint32_t rva;
        hd_pe_export *e;
        if (as_u32(d, base + afun + (uint64_t)i * 4, &rva) != HD_OK) { pe->exports_unreadable++; continue; }
        if (rva == 0) continue;          /* unused ordinal */
        e = &ex[kept++];
        e->rva = rva;
        e->ordinal = pe->export_base + i;
        e->name = names[i];
        /* A forwarder's "rva" points inside the export directory, at "DLL.Name". */
        if (rva >= dir_rva && rva - dir_rva < dir_size) {
            const char *fw = read_cstr(d, base + rva);
            e->forwarder = fw ? fw : "?";
        }
    }
    free(names);
    hd_sort(ex, kept, sizeof *ex, cmp_export);
    pe->exports = ex;
    pe->export_count = kept;
}

static void parse_debug(hd_dump *d, uint64_t base, uint64_t size, uint32_t rva, uint32_t dsize, hd_pe *pe)
{
    uint32_t i, n = dsize / 28;
    if (n > PE_MAX_DEBUG) n = PE_MAX_DEBUG;
    if (!in_image(size, rva, (uint64_t)n * 28)) return;
    for (i = 0; i < n; i++) {
        const uint8_t *e = hd_view(d, base + rva + (uint64_t)i * 28, 28), *cv;
        uint32_t len, at;
        size_t k;
        if (!e) return;
        if (rd_le32(e + 0xC) != 2) continue;          /* IMAGE_DEBUG_TYPE_CODEVIEW */
        len = rd_le32(e + 0x10);
        at = rd_le32(e + 0x14);
        if (len < 0x19 || len > 0x1000 || at == 0 || !in_image(size, at, len)) continue;
        if (!(cv = hd_view(d, base + at, len)) || rd_le32(cv) != 0x53445352u) continue;   /* "RSDS" */
        pe->has_codeview = 1;
        memcpy(pe->cv_guid, cv + 4, 16);
        pe->cv_age = rd_le32(cv + 0x14);
        for (k = 0; 0x18 + k < len && cv[0x18 + k]; k++) {}
        pe->cv_pdb_name = arena_strndup(&d->ar, (const char *)cv + 0x18, k);
        if (!pe->cv_pdb_name) pe->cv_pdb_name = "";
        return;
    }
}

void pe_parse(hd_dump *d, uint64_t base, uint64_t size, const char *what, hd_pe *pe)
{
    const uint8_t *p;
    uint32_t lfanew, nsec, optsz, ndirs, i;
    uint64_t nt, opt, sec;
    unsigned dd_off;
    uint32_t exp_rva = 0, exp_size = 0, dbg_rva = 0, dbg_size = 0;

    memset(pe, 0, sizeof *pe);
    pe->export_dll = "";
    pe->cv_pdb_name = "";
    if (!(p = hd_view(d, base, 0x40)) || p[0] != 'M' || p[1] != 'Z') return;
    lfanew = rd_le32(p + 0x3C);
    if (lfanew > 0x10000000u || !in_image(size, lfanew, 24)) {
        HD_DIAG(d, HD_SEV_WARN, HD_ECORRUPT, "pe", base, "%s: e_lfanew 0x%x lies outside the image", what, lfanew);
        return;
    }
    nt = base + lfanew;
    if (!(p = hd_view(d, nt, 24))) return;
    if (rd_le32(p) != 0x00004550u) {   /* "PE\0\0" */
        HD_DIAG(d, HD_SEV_WARN, HD_ECORRUPT, "pe", nt, "%s: no PE signature at e_lfanew 0x%x", what, lfanew);
        return;
    }
    pe->machine = rd_le16(p + 4);
    nsec = rd_le16(p + 6);
    pe->timestamp = rd_le32(p + 8);
    optsz = rd_le16(p + 0x14);
    pe->characteristics = rd_le16(p + 0x16);
    opt = nt + 24;
    if (optsz < 0x60 || !(p = hd_view(d, opt, optsz))) {
        if (optsz < 0x60)
            HD_DIAG(d, HD_SEV_WARN, HD_ECORRUPT, "pe", opt, "%s: optional header of %u bytes is too short", what, optsz);
        return;
    }
    pe->magic = rd_le16(p);
    if (pe->magic == 0x10b) {
        pe->image_base = rd_le32(p + 0x1C);
        ndirs = rd_le32(p + 0x5C);
        dd_off = 0x60;
    } else if (pe->magic == 0x20b && optsz >= 0x70) {
        pe->image_base = rd_le64(p + 0x18);
        ndirs = rd_le32(p + 0x6C);
        dd_off = 0x70;
    } else {
        HD_DIAG(d, HD_SEV_WARN, HD_ECORRUPT, "pe", opt, "%s: unknown optional header magic 0x%x", what, pe->magic);
        return;
    }
    pe->headers = 1;
    pe->entry_rva = rd_le32(p + 0x10);
    pe->size_of_image = rd_le32(p + 0x38);
    pe->size_of_headers = rd_le32(p + 0x3C);
    pe->checksum = rd_le32(p + 0x40);
    pe->subsystem = rd_le16(p + 0x44);
    pe->dll_characteristics = rd_le16(p + 0x46);
    if (size && pe->size_of_image != size)
        HD_DIAG(d, HD_SEV_INFO, HD_ECORRUPT, "pe", base, "%s: SizeOfImage 0x%x differs from the module list's 0x%llx",
                what, pe->size_of_image, (unsigned long long)size);
    if (!size) size = pe->size_of_image;
    if (ndirs > 16) ndirs = 16;
    if (dd_off + (uint64_t)ndirs * 8 > optsz) ndirs = (optsz - dd_off) / 8;
    if (ndirs > 0) { exp_rva = rd_le32(p + dd_off); exp_size = rd_le32(p + dd_off + 4); }
    if (ndirs > 6) { dbg_rva = rd_le32(p + dd_off + 48); dbg_size = rd_le32(p + dd_off + 52); }

    /* sections */
    if (nsec > PE_MAX_SECTIONS) {
        HD_DIAG(d, HD_SEV_WARN, HD_ECORRUPT, "pe", nt, "%s: %u sections (the format allows %u)", what, nsec, PE_MAX_SECTIONS);
        nsec = PE_MAX_SECTIONS;
    }
    sec = opt + optsz;
    if (nsec && (p = hd_view(d, sec, (size_t)nsec * 40)) != NULL) {
        hd_pe_section *s = arena_alloc(&d->ar, nsec * sizeof *s);
        if (s) {
            for (i = 0; i < nsec; i++) {
                const uint8_t *h = p + (size_t)i * 40;
                memcpy(s[i].name, h, 8);
                s[i].name[8] = 0;
                s[i].vsize = rd_le32(h + 8);
                s[i].rva = rd_le32(h + 0xC);
                s[i].raw_size = rd_le32(h + 0x10);
                s[i].characteristics = rd_le32(h + 0x24);
                if (s[i].vsize == 0) s[i].vsize = s[i].raw_size;
            }
            pe->sections = s;
            pe->section_count = nsec;
        }
    }
    if (exp_rva && exp_size) parse_exports(d, base, size, exp_rva, exp_size, what, pe);
    if (dbg_rva && dbg_size) parse_debug(d, base, size, dbg_rva, dbg_size, pe);
}

/* ---- the per-module cache ------------------------------------------------------------------ */

static void pecache_free(hd_dump *d)
{
    struct hd_pecache *c = d->pe;
    if (!c) return;
    free(c->loaded);
    free(c->unloaded);
    free(c->done_loaded);
    free(c->done_unloaded);
    free(c);
    d->pe = NULL;
}

static struct hd_pecache *pecache(hd_dump *d)
{
    struct hd_pecache *c;
    if (d->pe) return d->pe;
    c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->n_loaded = d->modules.len;
    c->n_unloaded = d->unloaded.len;
    c->loaded = calloc(c->n_loaded + 1, sizeof *c->loaded);
    c->unloaded = calloc(c->n_unloaded + 1, sizeof *c->unloaded);
    c->done_loaded = calloc(c->n_loaded + 1, 1);
    c->done_unloaded = calloc(c->n_unloaded + 1, 1);
    d->pe = c;
    if (!c->loaded || !c->unloaded || !c->done_loaded || !c->done_unloaded || core_on_close(d, pecache_free) != HD_OK) {
        pecache_free(d);
        return NULL;
    }
    return c;
}

const hd_pe *hd_module_pe(hd_dump *d, const hd_module *m)
{
    static const hd_pe empty = {.export_dll = "", .cv_pdb_name = ""};
    struct hd_pecache *c;
    const hd_module *lo = d->modules.data, *ulo = d->unloaded.data;
    hd_pe *slot;
    unsigned char *done;
    if (!m || !(c = pecache(d))) return m ? &empty : NULL;
    if (lo && m >= lo && m < lo + c->n_loaded) {
        slot = &c->loaded[m - lo];
        done = &c->done_loaded[m - lo];
    } else if (ulo && m >= ulo && m < ulo + c->n_unloaded) {
        slot = &c->unloaded[m - ulo];
        done = &c->done_unloaded[m - ulo];
    } else {
        return NULL;   /* not a module of this dump */
    }
    if (!*done) {
        pe_parse(d, m->base, m->size, m->name, slot);
        *done = 1;
    }
    return slot;
}

const hd_pe_section *hd_pe_section_find(const hd_pe *pe, uint32_t rva)
{
    size_t i;
    if (!pe) return NULL;
    for (i = 0; i < pe->section_count; i++) {
        const hd_pe_section *s = &pe->sections[i];
        if (rva >= s->rva && rva - s->rva < s->vsize) return s;
    }
    return NULL;
}

const hd_pe_export *hd_pe_export_find(const hd_pe *pe, uint32_t rva)
{
    size_t lo = 0, hi;
    const hd_pe_section *sec;
    if (!pe || !pe->export_count) return NULL;
    hi = pe->export_count;
    while (lo < hi) {   /* first export with rva > RVA */
        size_t mid = lo + (hi - lo) / 2;
        if (pe->exports[mid].rva <= rva) lo = mid + 1; else hi = mid;
    }
    sec = hd_pe_section_find(pe, rva);
    while (lo > 0) {
        const hd_pe_export *e = &pe->exports[--lo];
        /* Among exports at one rva the sort puts named ones first: take the first of the run. */
        while (lo > 0 && pe->exports[lo - 1].rva == e->rva) e = &pe->exports[--lo];
        if (e->forwarder) continue;
        if (sec && hd_pe_section_find(pe, e->rva) != sec) return NULL;
        return e;
    }
    return NULL;
}
