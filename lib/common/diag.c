/*
** diag.c - the diagnostics list (see diag.h).  Bounded by hd_limits.max_diags; beyond it only a
** counter moves, so a dump with a million broken headers cannot exhaust memory.
*/
#include <stdarg.h>
#include <string.h>
#include "../core.h"

hd_err diag_add(struct hd_dump *d, hd_severity sev, hd_err code, const char *area, int has_addr,
                uint64_t addr, const char *file, int line, const char *fmt, ...)
{
    hd_diag *g;
    va_list ap;
    const char *base;
    if (sev > d->diags.worst) d->diags.worst = sev;
    if (d->diags.items.len >= d->lim.max_diags) {
        d->diags.dropped++;
        return code;
    }
    g = vec_push(&d->diags.items);
    if (!g) {
        d->diags.dropped++;
        return code;
    }
    base = strrchr(file, '/');
    g->sev = sev;
    g->code = code;
    g->area = area;
    g->has_addr = has_addr;
    g->addr = addr;
    g->src_file = base ? base + 1 : file;
    g->src_line = line;
    va_start(ap, fmt);
    g->msg = arena_vprintf(&d->ar, fmt, ap);
    va_end(ap);
    if (!g->msg) g->msg = "(out of memory formatting the message)";
    return code;
}

void diag_free(hd_diaglist *l) { vec_free(&l->items); }

size_t hd_diag_count(const hd_dump *d) { return d->diags.items.len; }
const hd_diag *hd_diag_get(const hd_dump *d, size_t i) { return vec_at(&d->diags.items, i); }
uint64_t hd_diag_dropped(const hd_dump *d) { return d->diags.dropped; }
hd_severity hd_diag_worst(const hd_dump *d) { return d->diags.worst; }
