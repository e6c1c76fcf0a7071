/*
** stack.h - internal interface of the allocation-stack layer (lib/stack): turning a block's
** stack reference into frames, once per distinct reference.
*/
#ifndef HD_STACK_H
#define HD_STACK_H

#include "../core.h"

/* Scheme codes: the values of hd_stack_scheme (lib/heap). */
enum { STK_NONE = 0, STK_UST_RECORD = 1, STK_TRACE_INDEX = 2, STK_PAGEHEAP = 3 };

/* Where the classic stack trace database of one pointer size was found (or why not). */
typedef struct stk_db {
    int searched, found;
    uint64_t address;            /* the _STACK_TRACE_DATABASE header */
    uint64_t region_end;         /* end of its reservation */
    uint64_t entry_index_array;  /* top of the index array (entry i at EntryIndexArray - i*ptr) */
    uint32_t entries_added;
} stk_db;

/* The database of pointer size PTR (4 or 8), searched for on first use (reference §7.1). */
HD_API_INTERNAL const stk_db *stack_db(hd_dump *d, unsigned ptr);

#endif
