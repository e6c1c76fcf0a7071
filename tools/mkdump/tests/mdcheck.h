/*
** mdcheck.h - the test-side validator of mkdump's output: its own minidump reader, a heap walker
** checking the invariants of §10 of the reference, and cross-checks against the manifest.  It
** does not use the analyzer (lib/) and does not use mkdump's generator code; it takes field
** offsets from mkdump's layout tables (layouts.c) plus hard-coded spot checks from the reference.
*/
#ifndef MDCHECK_H
#define MDCHECK_H
#include <stddef.h>
#include <stdint.h>

typedef struct mdc_result {
    int problems;
    char msg[8192];
    /* what was seen (for tests to assert on) */
    unsigned heaps, segments, blocks_walked, free_walked, va_walked, lfh_blocks, ust_blocks, classic_blocks,
        pageheap_blocks, stacks_checked, modules, corruptions_seen;
} mdc_result;

/* Validate DUMP against MANIFEST (either may be NULL-checked); returns the number of problems. */
int mdc_check(const char *dump, const char *manifest, mdc_result *r);
#endif
