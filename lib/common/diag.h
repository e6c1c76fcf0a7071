/*
** diag.h - the diagnostics list: every piece of damage found in a dump, with its address.
**
** Library code never prints.  When it finds something wrong it records it here and carries on;
** HD_CORRUPT() records and evaluates to HD_ECORRUPT so a check fits on one line:
**     if (sig != 0xFFEEFFEE) return HD_CORRUPT(d, "heap", va, "bad segment signature 0x%x", sig);
*/
#ifndef HD_DIAG_H
#define HD_DIAG_H

#include <stdint.h>
#include "heapdig.h"
#include "internal.h"
#include "vec.h"

typedef struct hd_diaglist {
    vec items;                /* hd_diag */
    uint64_t dropped;
    hd_severity worst;
} hd_diaglist;

struct hd_dump;

HD_API_INTERNAL hd_err diag_add(struct hd_dump *d, hd_severity sev, hd_err code, const char *area,
                                int has_addr, uint64_t addr, const char *file, int line,
                                const char *fmt, ...) HD_PRINTF(9, 10);
HD_API_INTERNAL void diag_free(hd_diaglist *l);

#define HD_CORRUPT(d, area, addr, ...) \
    diag_add((d), HD_SEV_ERROR, HD_ECORRUPT, (area), 1, (addr), __FILE__, __LINE__, __VA_ARGS__)
#define HD_DIAG(d, sev, code, area, addr, ...) \
    diag_add((d), (sev), (code), (area), 1, (addr), __FILE__, __LINE__, __VA_ARGS__)
#define HD_DIAG_NOADDR(d, sev, code, area, ...) \
    diag_add((d), (sev), (code), (area), 0, 0, __FILE__, __LINE__, __VA_ARGS__)

#endif
