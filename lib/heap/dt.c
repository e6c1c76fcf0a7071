/*
** dt.c - symbol-less `dt`: lay a structure out at an address with heapdig's own offsets.
*/
#include "heap_int.h"

const char *const *hd_dt_types(void)
{
    static const char *const t[] = {NULL};
    return t;
}

hd_err hd_dt(hd_dump *d, const char *type, uint64_t addr, unsigned ptr_size, const hd_dt_row **rows,
             size_t *count, const char **layout)
{
    (void)d; (void)type; (void)addr; (void)ptr_size;
    *rows = NULL;
    *count = 0;
    *layout = "";
    return HD_ENOTFOUND;
}
