/*
** core.h - the hd_dump context: the one object that owns everything built from a dump.
**
** Each layer keeps its state here.  A layer may read the fields of the layers below it
** (common -> dump -> as -> proc -> heap -> stack -> sym -> analyze) and never those above.
** Higher layers hang their state off opaque pointers so that this file does not grow with them.
*/
#ifndef HD_CORE_H
#define HD_CORE_H

#include "heapdig.h"
#include "common/internal.h"
#include "common/arena.h"
#include "common/vec.h"
#include "common/diag.h"

struct hd_pecache;    /* lib/proc/pe.c */
struct hd_heapset;    /* lib/heap */
struct hd_stackdb;    /* lib/stack */
struct hd_symtab;     /* lib/sym */
struct hd_addrmap;    /* lib/analyze (usage.c) */

struct hd_dump {
    /* file */
    char *path;
    const uint8_t *base;          /* mapped file (read-only) or caller's bytes */
    uint64_t size;
    void *map_cookie;             /* platform mapping state, NULL for hd_open_mem */

    hd_limits lim;
    arena ar;                     /* strings and small objects that live as long as the dump */
    hd_diaglist diags;

    /* minidump layer (lib/dump) */
    hd_header hdr;
    vec streams;                  /* hd_stream */
    hd_sysinfo sys;
    hd_miscinfo misc;
    hd_exception exc;
    vec handles;                  /* hd_handle */
    vec threads;                  /* hd_thread */
    vec modules;                  /* hd_module, sorted by base */
    vec unloaded;                 /* hd_module */
    vec regions;                  /* hd_region, sorted by base */
    int has_meminfo;
    vec alloc_runs;               /* per region: {first, last} region index of its allocation (lazy) */
    uint64_t str_bytes;           /* UTF-8 bytes decoded from dump strings (bounded, see md_utf16) */
    int str_budget_hit;

    /* address space (lib/as) */
    vec ranges;                   /* hd_range, sorted by base, non-overlapping */
    uint64_t captured;            /* sum of range sizes */

    /* process model (lib/proc) */
    int proc_built;
    hd_process proc;
    hd_peb pebs[2];
    vec peb_heaps[2];             /* uint64_t handles read from each ProcessHeaps array */
    struct hd_pecache *pe;        /* PE images of the modules, parsed on demand (lib/proc/pe.c) */

    /* higher layers */
    struct hd_heapset *heaps;
    struct hd_stackdb *stacks;
    struct hd_symtab *sym;
    struct hd_addrmap *amap;      /* lib/analyze/usage.c */

    /* progress of long operations (hd_set_progress) */
    hd_progress_fn progress;
    void *progress_user;

    /* Higher layers register a release function when they attach state (run in reverse). */
    void (*on_close[8])(hd_dump *d);
    size_t n_on_close;
};

HD_API_INTERNAL hd_err core_on_close(hd_dump *d, void (*fn)(hd_dump *d));

/* Report progress to the program's hd_set_progress callback, if any. */
static inline void core_progress(hd_dump *d, const char *phase, uint64_t done, uint64_t total,
                                 size_t item, size_t items, uint64_t blocks)
{
    if (d->progress) {
        hd_progress p;
        p.phase = phase;
        p.done = done;
        p.total = total;
        p.item = item;
        p.items = items;
        p.blocks = blocks;
        d->progress(d->progress_user, &p);
    }
}

#endif
