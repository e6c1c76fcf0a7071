/*
** fuzz_pe.c - libFuzzer target for the PE image reader (lib/proc/pe.c) and the export-based
** symbolizer: the input is a PE image as the loader maps it.  It is wrapped in a minimal
** minidump (header, ModuleList with one module at 0x10000000, MemoryList with the input as that
** module's memory), then the image is parsed and addresses across it are named.
** Seeds: corpus/pe (tests/data/winprog's prog.exe mapped, x64 and x86).
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "heapdig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BASE 0x10000000ull

static void w32(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24); }
static void w64(uint8_t *p, uint64_t v) { w32(p, (uint32_t)v); w32(p + 4, (uint32_t)(v >> 32)); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* layout: header 32, directory 2 x 12, module list 4 + 108, name string, memory list 4 + 16, data */
    const size_t dir = 32, ml = dir + 24, name = ml + 112, mem = name + 16, img = mem + 20;
    uint8_t *f;
    hd_dump *d = NULL;
    size_t i;
    if (size > (1u << 24)) return 0;
    if (!(f = calloc(1, img + size + 1))) return 0;
    w32(f, 0x504D444Du);
    w32(f + 4, 0xA793u);
    w32(f + 8, 2);
    w32(f + 12, (uint32_t)dir);
    w32(f + dir, 4);                      /* ModuleListStream */
    w32(f + dir + 4, 112);
    w32(f + dir + 8, (uint32_t)ml);
    w32(f + dir + 12, 5);                 /* MemoryListStream */
    w32(f + dir + 16, 20);
    w32(f + dir + 20, (uint32_t)mem);
    w32(f + ml, 1);
    w64(f + ml + 4, BASE);
    w32(f + ml + 4 + 8, (uint32_t)size);
    w32(f + ml + 4 + 0x14, (uint32_t)name);
    w32(f + name, 6);                     /* L"m.dll" */
    f[name + 4] = 'm'; f[name + 6] = '.'; f[name + 8] = 'd';
    w32(f + mem, 1);
    w64(f + mem + 4, BASE);
    w32(f + mem + 12, (uint32_t)size);
    w32(f + mem + 16, (uint32_t)img);
    if (size) memcpy(f + img, data, size);
    if (hd_open_mem(f, img + size, NULL, &d) == HD_OK) {
        const hd_pe *pe = hd_module_count(d) ? hd_module_pe(d, hd_module_at(d, 0)) : NULL;
        if (pe) {
            for (i = 0; i < pe->export_count && i < 1024; i++) {
                const hd_frame *fr;
                (void)hd_pe_export_find(pe, pe->exports[i].rva);
                (void)hd_symbolize(d, BASE + pe->exports[i].rva + 3, &fr);
            }
            for (i = 0; i < pe->section_count; i++) (void)hd_pe_section_find(pe, pe->sections[i].rva);
        }
        for (i = 0; i < size; i += 997) {
            const hd_frame *fr;
            (void)hd_symbolize(d, BASE + i, &fr);
        }
        hd_close(d);
    }
    free(f);
    return 0;
}
