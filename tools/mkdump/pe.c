/*
** pe.c - minimal but valid PE images, mapped as a loader would map them, so that a symbolizer
** can read module!function names from the export directory in the dump's memory.
**
** Image layout (RVAs):  0x0000 headers (1 page: DOS header, "PE\0\0", file header, optional
** header PE32/PE32+, 3 section headers) | .text (functions, one after the other; each export's
** range ends where the next export begins) | .rdata (IMAGE_EXPORT_DIRECTORY, the three arrays,
** names sorted with strcmp as the loader's binary search needs) | .data (ntdll: ProcessHeaps
** array and keys, see process.c).  Code bytes are left zero: they would only cost disk space.
*/
#include <stdlib.h>
#include <string.h>
#include "mkdump.h"

#define HDR_SIZE 0x1000u
#define E_LFANEW 0x80u

static int cmp_rva(const void *a, const void *b)
{
    const export_def *x = a, *y = b;
    return x->rva < y->rva ? -1 : x->rva > y->rva;
}

/* Exports sorted by RVA, with their sizes; section sizes and SizeOfImage. */
void pe_plan(gen *g, module *md)
{
    size_t i, names = 0, nexp = md->exports.n;
    u32 end = HDR_SIZE, data_size;
    (void)g;
    if (nexp) qsort(md->exports.v, nexp, sizeof(export_def), cmp_rva);
    for (i = 0; i < nexp; i++) {
        export_def *e = &md->exports.v[i];
        if (i + 1 < nexp) {
            if (md->exports.v[i + 1].rva < e->rva + e->size)
                die("module %s: export %s (rva 0x%x, size 0x%x) overlaps %s", md->file, e->name, e->rva, e->size,
                    md->exports.v[i + 1].name);
            e->size = md->exports.v[i + 1].rva - e->rva;
        }
        if (e->rva + e->size > end) end = e->rva + e->size;
        names += strlen(e->name) + 1;
    }
    md->text_rva = HDR_SIZE;
    md->text_size = (u32)ALIGN_UP(end - HDR_SIZE + 0x100, PAGE);
    md->rdata_rva = md->text_rva + md->text_size;
    md->rdata_size = (u32)ALIGN_UP(40 + nexp * 10 + names + strlen(md->file) + 1, PAGE);
    md->data_rva = md->rdata_rva + md->rdata_size;
    data_size = md->data_size ? md->data_size : PAGE;
    md->data_size = (u32)ALIGN_UP(data_size, PAGE);
    if (md->size < (u64)md->data_rva + md->data_size) md->size = (u64)md->data_rva + md->data_size;
    md->size = ALIGN_UP(md->size, PAGE);
}

static int cmp_name(const void *a, const void *b)
{
    const export_def *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

void pe_write(gen *g, module *md)
{
    vm *m = g->m;
    u8 h[HDR_SIZE];
    u8 *fh = h + E_LFANEW + 4, *oh = fh + 20, *sh;
    int pe64 = md->bits == 64;
    u32 opt_size = pe64 ? 0xF0 : 0xE0, dd = pe64 ? 0x70 : 0x60;
    size_t i, n = md->exports.n;
    u64 b = md->base, ed = b + md->rdata_rva, funcs = ed + 40, names = funcs + 4 * n, ords = names + 4 * n,
        str = ords + 2 * n;
    export_def **byname;
    static const struct { const char *name; u32 chars; } sec[3] = {
        {".text", 0x60000020u}, {".rdata", 0x40000040u}, {".data", 0xC0000040u}};
    u32 srva[3], ssize[3], raw = 0x400;

    if (!vm_live(m)) return;
    memset(h, 0, sizeof h);
    h[0] = 'M';
    h[1] = 'Z';
    put16(h + 2, 0x90);
    put16(h + 4, 3);
    put16(h + 8, 4);
    put16(h + 0xC, 0xFFFF);
    put16(h + 0x10, 0xB8);
    put16(h + 0x18, 0x40);
    put32(h + 0x3C, E_LFANEW);
    memcpy(h + E_LFANEW, "PE\0\0", 4);
    /* IMAGE_FILE_HEADER */
    put16(fh, pe64 ? 0x8664 : 0x14C);
    put16(fh + 2, 3);
    put32(fh + 4, md->timestamp);
    put16(fh + 16, (u16)opt_size);
    put16(fh + 18, (u16)((strstr(md->file, ".exe") || strstr(md->file, ".EXE") ? 0x0022 : 0x2022) | (pe64 ? 0 : 0x0100)));
    /* IMAGE_OPTIONAL_HEADER32/64 */
    put16(oh, pe64 ? 0x20B : 0x10B);
    oh[2] = 14;
    put32(oh + 4, md->text_size);
    put32(oh + 8, md->rdata_size + md->data_size);
    put32(oh + 0x10, md->text_rva);
    put32(oh + 0x14, md->text_rva);
    if (pe64) {
        put64(oh + 0x18, b);
    } else {
        put32(oh + 0x18, md->rdata_rva);
        put32(oh + 0x1C, (u32)b);
    }
    put32(oh + 0x20, PAGE);
    put32(oh + 0x24, 0x200);
    put16(oh + 0x28, (u16)g->lo->major);
    put16(oh + 0x2A, (u16)g->lo->minor);
    put16(oh + 0x2C, (u16)g->lo->major);
    put16(oh + 0x2E, (u16)g->lo->minor);
    put16(oh + 0x30, (u16)g->lo->major);
    put16(oh + 0x32, (u16)g->lo->minor);
    put32(oh + 0x38, (u32)md->size);
    put32(oh + 0x3C, 0x400);
    put32(oh + 0x40, md->checksum);
    put16(oh + 0x44, strstr(md->file, ".exe") ? 3 : 2);
    put16(oh + 0x46, 0x0140);   /* DYNAMIC_BASE | NX_COMPAT */
    if (pe64) {
        put64(oh + 0x48, 0x100000);
        put64(oh + 0x50, 0x1000);
        put64(oh + 0x58, 0x100000);
        put64(oh + 0x60, 0x1000);
        put32(oh + 0x6C, 16);
    } else {
        put32(oh + 0x48, 0x100000);
        put32(oh + 0x4C, 0x1000);
        put32(oh + 0x50, 0x100000);
        put32(oh + 0x54, 0x1000);
        put32(oh + 0x5C, 16);
    }
    put32(oh + dd, md->rdata_rva);   /* IMAGE_DIRECTORY_ENTRY_EXPORT */
    put32(oh + dd + 4, (u32)(str - ed + 0x10 * 0) + 0);
    sh = oh + opt_size;
    srva[0] = md->text_rva;  ssize[0] = md->text_size;
    srva[1] = md->rdata_rva; ssize[1] = md->rdata_size;
    srva[2] = md->data_rva;  ssize[2] = md->data_size;
    for (i = 0; i < 3; i++) {
        u8 *s = sh + 40 * i;
        memcpy(s, sec[i].name, strlen(sec[i].name));
        put32(s + 8, ssize[i]);
        put32(s + 0xC, srva[i]);
        put32(s + 0x10, ssize[i]);
        put32(s + 0x14, raw);
        put32(s + 0x24, sec[i].chars);
        raw += ssize[i];
    }

    /* Export directory: functions in name order, ordinal base 1. */
    byname = xmalloc((n ? n : 1) * sizeof *byname);
    for (i = 0; i < n; i++) byname[i] = &md->exports.v[i];
    if (n) qsort(byname, n, sizeof *byname, cmp_name);
    {
        u8 d[40];
        u64 s = str;
        memset(d, 0, sizeof d);
        put32(d + 4, md->timestamp);
        put32(d + 0xC, (u32)(s - b));                 /* Name */
        vm_write(m, s, md->file, strlen(md->file) + 1);
        s += strlen(md->file) + 1;
        put32(d + 0x10, 1);                           /* Base */
        put32(d + 0x14, (u32)n);
        put32(d + 0x18, (u32)n);
        put32(d + 0x1C, (u32)(funcs - b));
        put32(d + 0x20, (u32)(names - b));
        put32(d + 0x24, (u32)(ords - b));
        vm_write(m, ed, d, sizeof d);
        for (i = 0; i < n; i++) {
            size_t len = strlen(byname[i]->name) + 1;
            w32(m, funcs + 4 * i, byname[i]->rva);
            w32(m, names + 4 * i, (u32)(s - b));
            w16(m, ords + 2 * i, (u16)i);
            vm_write(m, s, byname[i]->name, len);
            s += len;
        }
        put32(oh + dd + 4, (u32)(s - ed));
    }
    free(byname);
    vm_write(m, b, h, sizeof h);
}
