/*
** fuzz_dump.c - libFuzzer target for the reader, the address space, the process model and the
** address map: open the input as a minidump with tight limits and touch everything a command
** would (every accessor, reads at every range and region edge, PEB heaps, the usage map, the
** summary, the heap walker's marking entry point).  Built with -DHD_FUZZ=ON (clang); otherwise
** fuzz/replay.c runs it over fuzz/corpus/dump and ../shared/corpus as a CTest test.
*/
#include <stdint.h>
#include <stddef.h>
#include "heapdig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint64_t sink;   /* keeps the reads from being optimised away */

static void touch_read(const hd_dump *d, uint64_t va, size_t len)
{
    uint8_t buf[64];
    size_t got = 0;
    if (len > sizeof buf) len = sizeof buf;
    (void)hd_read(d, va, buf, len, &got);
    sink += got ? buf[0] : 0;
    sink += hd_view(d, va, len) != NULL;
    sink += hd_captured_at(d, va);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hd_limits lim;
    hd_dump *d = NULL;
    const hd_process *p;
    const hd_addr_summary *s;
    size_t i, k;
    char buf[256];
    hd_limits_default(&lim);
    lim.max_streams = 64;
    lim.max_ranges = 4096;
    lim.max_regions = 4096;
    lim.max_threads = 256;
    lim.max_modules = 256;
    lim.max_heaps = 64;
    lim.max_diags = 64;
    lim.max_handles = 256;
    if (hd_open_mem(data, size, &lim, &d) != HD_OK) return 0;
    sink += hd_dump_header(d)->flags;
    for (i = 0; i < hd_stream_count(d); i++) {
        const uint8_t *sd = NULL;
        size_t sn = 0;
        const hd_stream *st = hd_stream_at(d, i);
        if (hd_stream_data(d, st->type, &sd, &sn) == HD_OK && sn) sink += sd[sn - 1];
    }
    sink += hd_sysinfo_get(d)->build + hd_miscinfo_get(d)->pid + hd_exception_get(d)->code;
    for (i = 0; i < hd_handle_count(d); i++) sink += hd_handle_at(d, i)->type_name[0];
    for (i = 0; i < hd_thread_count(d); i++) sink += hd_thread_at(d, i)->name[0];
    for (i = 0; i < hd_module_count(d); i++) {
        const hd_module *m = hd_module_at(d, i);
        sink += m->path[0] + m->name[0] + (hd_module_find(d, m->base) != NULL);
    }
    for (i = 0; i < hd_unloaded_module_count(d); i++) sink += hd_unloaded_module_at(d, i)->name[0];
    for (i = 0; i < hd_range_count(d); i++) {
        const hd_range *r = hd_range_at(d, i);
        touch_read(d, r->base, 16);
        touch_read(d, r->base + r->size - 1, 16);   /* across the end */
        sink += hd_captured_in(d, r->base - 8, r->size + 16);
    }
    for (i = 0; i < hd_region_count(d); i++) {
        const hd_region *r = hd_region_at(d, i);
        sink += hd_region_find(d, r->base) != NULL;
        sink += hd_region_find(d, r->base + r->size - 1) != NULL;
    }
    p = hd_process_get(d);
    for (i = 0; i < p->peb_count; i++) {
        const hd_peb *pb = &p->pebs[i];
        touch_read(d, pb->address, 64);
        for (k = 0; k < pb->heap_count; k++) touch_read(d, pb->heaps[k], 64);
        sink += hd_gflags_string(pb->nt_global_flag, buf, sizeof buf)[0];
    }
    for (i = 0; i < hd_area_count(d); i++) {
        const hd_area *a = hd_area_at(d, i);
        sink += a->usage + a->detail[0] + (hd_area_find(d, a->base) == a);
        sink += hd_protect_name(a->protect, buf, sizeof buf)[0];
        sink += hd_state_name(a->state)[0] + hd_type_name(a->type)[0];
    }
    s = hd_addr_summary_get(d);
    sink += s->total + s->busy + s->protect_count;
    /* the heap walker's entry point, fed from the input, then the rebuilt map */
    if (hd_range_count(d)) {
        const hd_range *r = hd_range_at(d, 0);
        hd_heap_range hr[2] = {{r->base, r->size, r->base, 8, "Segment"}, {r->base + 1, UINT64_MAX, 1, 4, NULL}};
        (void)hd_addrmap_mark_heap(d, hr, 2);
        sink += hd_addr_summary_get(d)->usage[HD_USAGE_HEAP].size;
        sink += hd_area_find(d, r->base) != NULL;
    }
    for (i = 0; i < hd_diag_count(d); i++) sink += hd_diag_get(d, i)->msg[0];
    hd_close(d);
    return 0;
}
