/*
** list.c - walking a LIST_ENTRY list of the dumped process without trusting it.
**
**   head ⇄ e1 ⇄ e2 ⇄ ... ⇄ eN ⇄ head      (Flink at +0, Blink at +ptr; links point at links)
**
** Forward from the head, every step checks the next entry's Blink against where we came from.
** When a step fails the problem is put where it is (the reporting rules of docs/manifest.md):
**   - the next entry is not captured but lies in committed memory (MemoryInfoList; without one:
**     inside one of the heap's segments) -> "memory not captured" at that entry (the first missing
**     byte), a warning;
**   - otherwise the entry we came from holds a bad Flink (NULL, pointing at unmapped memory, or at
**     an entry whose Blink disagrees, as a list made cyclic) -> "broken link" at that entry, an error.
** Then the list is walked backward from the head's Blink down to where the forward walk stopped,
** so that one bad link or one missing entry loses only itself.  Bounded by max_list and Brent's
** cycle check; O(1) memory.
*/
#include <stdarg.h>
#include <stdio.h>
#include "heap_int.h"

static void report(hd_dump *d, hh_walk *w, hh_heap *h, hd_severity sev, hd_err code, uint64_t addr, const char *fmt, ...)
    HD_PRINTF(7, 8);
static void report(hd_dump *d, hh_walk *w, hh_heap *h, hd_severity sev, hd_err code, uint64_t addr, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (w) {
        hh_damage(w, sev, code, addr, "%s", msg);
    } else {
        diag_add(d, sev, code, "heap", 1, addr, __FILE__, __LINE__, "heap 0x%llx: %s", (unsigned long long)h->pub.address, msg);
        hh_problem(d, h, "0x%llx: %s", (unsigned long long)addr, msg);
    }
}

/* 1 when X, not captured, is in memory the process had committed (so it is missing from the dump
** rather than a wild pointer). */
static int committed_missing(const hd_dump *d, const hh_heap *h, uint64_t x)
{
    size_t i;
    if (d->has_meminfo) {
        const hd_region *g = hd_region_find(d, x);
        return g && g->state == HD_MEM_COMMIT;
    }
    for (i = 0; i < h->pub.segment_count; i++)
        if (x >= h->pub.segments[i].address && x < h->pub.segments[i].last_valid_entry) return 1;
    /* no MemoryInfoList and outside the known segments: plausible when aligned and in user space */
    return (x & (h->c->ptr - 1)) == 0 && x < (h->c->ptr == 8 ? (uint64_t)1 << 47 : (uint64_t)1 << 32);
}

static int readable(const hd_dump *d, uint64_t x, unsigned ptr) { return x && hd_view(d, x, 2u * ptr) != NULL; }

unsigned hh_list_walk(hd_dump *d, hh_walk *w, hh_heap *h, uint64_t head, const char *what, unsigned link_offset,
                      uint64_t *missing, int (*fn)(void *user, uint64_t link, int backward), void *user)
{
    unsigned ptr = h->c->ptr, res = 0;
    if (missing) *missing = 0;
    uint64_t cur = head, nx, stop, b, bprev;
    hh_cycle cy;
    if (as_ptr(d, head, ptr, &nx) != HD_OK) {
        report(d, w, h, HD_SEV_WARN, HD_EUNMAPPED, head, "%s head 0x%llx is not captured", what, (unsigned long long)head);
        return HH_LIST_CUT;
    }
    hh_cycle_init(&cy, head, d->lim.max_list);
    for (;;) {
        uint64_t bl;
        if (nx == head) {
            /* closed: the head's Blink must be the last entry */
            if (as_ptr(d, head + ptr, ptr, &bl) == HD_OK && bl != cur)
                report(d, w, h, HD_SEV_ERROR, HD_ECORRUPT, head, "%s head 0x%llx: Blink 0x%llx, but the last entry is 0x%llx", what,
                       (unsigned long long)head, (unsigned long long)bl, (unsigned long long)cur);
            return res;
        }
        if (!readable(d, nx, ptr)) {
            if (nx && nx >= link_offset && committed_missing(d, h, nx - link_offset)) {
                report(d, w, h, HD_SEV_WARN, HD_EUNMAPPED, nx - link_offset, "%s entry 0x%llx (link 0x%llx) is not captured in the dump",
                       what, (unsigned long long)(nx - link_offset), (unsigned long long)nx);
                if (missing) *missing = nx;
                res |= HH_LIST_CUT;
            } else {
                report(d, w, h, HD_SEV_ERROR, HD_ECORRUPT, cur, "broken link: %s entry 0x%llx: Flink 0x%llx points %s", what,
                       (unsigned long long)cur, (unsigned long long)nx, nx ? "to memory that is not in the process" : "nowhere (NULL)");
                res |= HH_LIST_CUT | HH_LIST_BROKEN;
            }
            break;
        }
        as_ptr(d, nx + ptr, ptr, &bl);
        if (bl != cur) {
            report(d, w, h, HD_SEV_ERROR, HD_ECORRUPT, cur, "broken link: %s entry 0x%llx: Flink 0x%llx leads to an entry whose Blink is 0x%llx%s",
                   what, (unsigned long long)cur, (unsigned long long)nx, (unsigned long long)bl,
                   bl == head ? " (the list loops back to its first entry)" : "");
            res |= HH_LIST_CUT | HH_LIST_BROKEN;
            break;
        }
        if (hh_cycle_step(&cy, nx)) {
            report(d, w, h, HD_SEV_ERROR, HD_ECORRUPT, nx, "%s loops or exceeds %llu entries", what, (unsigned long long)d->lim.max_list);
            return res | HH_LIST_CUT | HH_LIST_BROKEN;
        }
        cur = nx;
        as_ptr(d, cur, ptr, &nx);   /* before FN, which may drop the entry's pages */
        if (fn && fn(user, cur, 0)) return res | HH_LIST_STOPPED;
    }
    /* backward from the tail to where the forward walk stopped */
    stop = cur;
    bprev = head;
    if (as_ptr(d, head + ptr, ptr, &b) != HD_OK) return res;
    hh_cycle_init(&cy, head, d->lim.max_list);
    while (b != head && b != stop && readable(d, b, ptr)) {
        uint64_t fl;
        as_ptr(d, b, ptr, &fl);
        if (fl != bprev) break;   /* the bad link met from the other side: already reported */
        if (hh_cycle_step(&cy, b)) break;
        res |= HH_LIST_RECOVERED;
        bprev = b;
        as_ptr(d, b + ptr, ptr, &b);
        if (fn && fn(user, bprev, 1)) return res | HH_LIST_STOPPED;
    }
    return res;
}
