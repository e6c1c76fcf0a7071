/*
** capture.c - what heap analysis a dump allows: from the dump flags (MINIDUMP_TYPE) and how much
** of each PEB-listed heap's allocation the dump holds (through the address map), a verdict, one
** sentence why, and what to capture instead.  `info` prints it; every command that finds no heap
** to walk says it.
*/
#include <string.h>
#include "heapdig.h"

hd_heap_capture hd_heap_capture_of(hd_dump *d, uint64_t h, uint64_t process_heap)
{
    hd_heap_capture f;
    const hd_area *a = hd_area_find(d, h), *first = hd_area_count(d) ? hd_area_at(d, 0) : NULL;
    size_t i;
    memset(&f, 0, sizeof f);
    f.handle = h;
    f.process_heap = h == process_heap;
    f.header_captured = hd_view(d, h, 0x100) != NULL;
    if (!a || !first) return f;
    /* the areas of this heap around the handle (the map claims the whole allocation) */
    i = (size_t)(a - first);
    while (i > 0 && hd_area_at(d, i - 1)->usage == HD_USAGE_HEAP && hd_area_at(d, i - 1)->heap == h) i--;
    for (; i < hd_area_count(d); i++) {
        const hd_area *x = hd_area_at(d, i);
        if (x->base > h && !(x->usage == HD_USAGE_HEAP && x->heap == h)) break;
        if (x->usage != HD_USAGE_HEAP || x->heap != h) continue;
        if (x->state == HD_MEM_COMMIT) f.committed += x->size;
        f.captured += x->captured;
    }
    if (!hd_has_memory_info(d)) f.committed = 0;   /* the areas are captured ranges: unknown */
    return f;
}

static const char *const names[] = {"full", "partial", "none", "unknown"};

static hd_capture_verdict make(hd_dump *d, hd_capture v, const char *why)
{
    hd_capture_verdict r;
    r.verdict = v;
    r.name = names[v];
    r.why = why;
    if (v == HD_CAPTURE_FULL)
        r.advice = NULL;
    else if (hd_dump_header(d)->flags & HD_MDT_WITH_FULL_MEMORY)
        r.advice = "a full-memory dump should hold every heap: this file looks truncated or damaged (see the diagnostics); capture it again";
    else
        r.advice = "for heap analysis capture a full dump: procdump -ma PID (or Task Manager > Create dump file)";
    return r;
}

hd_capture_verdict hd_capture_verdict_get(hd_dump *d)
{
    const hd_process *p = hd_process_get(d);
    uint64_t flags = hd_dump_header(d)->flags;
    size_t i, k, n = 0, full = 0, some = 0;
    int no_heap_memory, complete;
    for (i = 0; i < p->peb_count; i++) {
        const hd_peb *pb = &p->pebs[i];
        size_t cnt = pb->heap_count ? pb->heap_count : (pb->process_heap ? 1 : 0);
        for (k = 0; k < cnt; k++) {
            hd_heap_capture f = hd_heap_capture_of(d, pb->heap_count ? pb->heaps[k] : pb->process_heap, pb->process_heap);
            n++;
            /* complete: every committed byte captured (known only with a MemoryInfoList) */
            if (f.captured && f.committed && f.captured >= f.committed) full++;
            else if (f.captured && !hd_has_memory_info(d) && f.header_captured) full++;
            if (f.captured) some++;
        }
    }
    no_heap_memory = !(flags & (HD_MDT_WITH_FULL_MEMORY | HD_MDT_WITH_PRIVATE_RW_MEMORY | HD_MDT_WITH_INDIRECT_MEMORY));
    complete = (flags & (HD_MDT_WITH_FULL_MEMORY | HD_MDT_WITH_PRIVATE_RW_MEMORY)) != 0;
    if (no_heap_memory && !some)
        return make(d, HD_CAPTURE_NONE, "the dump flags capture no heap memory (thread stacks at most): heaps cannot be analysed");
    if (p->peb_count == 0)
        return make(d, HD_CAPTURE_UNKNOWN, "no PEB could be read (no thread's TEB is captured), so the heap list is unknown");
    if (n == 0 && !p->pebs[0].readable) return make(d, HD_CAPTURE_UNKNOWN, "the PEB is not captured, so the heap list is unknown");
    if (n == 0) return make(d, HD_CAPTURE_UNKNOWN, "the PEB lists no heap and has no ProcessHeap");
    if (full == n && (complete || hd_has_memory_info(d)))
        return make(d, HD_CAPTURE_FULL, "every listed heap's committed memory is in the dump");
    if (some)
        return make(d, HD_CAPTURE_PARTIAL,
                    complete ? "some heap memory is missing from the dump: walks give lower bounds"
                             : "only the pieces of the heaps that stacks referenced are in the dump: walks give lower bounds");
    return make(d, HD_CAPTURE_NONE, "no memory of the listed heaps is in the dump: heaps cannot be analysed");
}
