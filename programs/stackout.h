/*
** stackout.h - what the stack commands (find, top, diff, report) share: the --symbols option,
** human sizes, frames as text / JSON / folded, and the +ust advice.
*/
#ifndef HD_STACKOUT_H
#define HD_STACKOUT_H

#include <stdio.h>
#include "heapdig.h"
#include "cli.h"

/* --symbols DIR[;DIR...] and then the local parts of _NT_SYMBOL_PATH. */
void so_symbols(hd_dump *d, const char *opt_value);

/* 1 when a symbol path was given (--symbols or _NT_SYMBOL_PATH). */
int so_have_symbol_path(void);
/* Where the names of the modules in GROUPS came from: text lines (only when a symbol path was
** given: then users want to know which PDBs were found) and a JSON array "symbols". */
void so_print_symbol_notes(FILE *out, hd_dump *d, const hd_group *groups, size_t n);
void so_json_symbols(json *j, hd_dump *d, const hd_group *groups, size_t n);

/* "13.0 GB", "88.0 MB", "4.0 kB", "512 B" (binary units, one decimal). */
const char *so_human(char buf[32], uint64_t bytes);
/* "+13.0 GB" / "-512 B" */
const char *so_human_signed(char buf[40], int64_t bytes);
/* "41 blocks of 16.0 MB (0x1000040), 60 of 88.0 MB (0x5800040)" */
void so_print_sizes(FILE *out, const hd_group *g);
/* "12,345" */
const char *so_count(char buf[32], uint64_t n);

/* A frame for people: its canonical text, decorated outside modules ("0x7fe83e3bcf6 <JIT>"). */
const char *so_frame_short(char *buf, size_t cap, const hd_frame *f);
/* One line per frame: "    7fe`d230483b  halcon!HXmalloc+0x8b", plus what the memory is. */
void so_print_frames(FILE *out, const char *indent, const hd_frame *const *frames, size_t depth, unsigned ptr);
/* "halcon!HXmalloc+0x8b ← halcon!HXAllocRLTmp+0x265d ← … ← 0x7fe83e3bcf6 <JIT>": from the site
** outwards, the first three frames and the outermost. */
void so_print_chain(FILE *out, const hd_frame *const *frames, size_t depth, size_t site);
const char *so_format_chain(char *buf, size_t cap, const hd_frame *const *frames, size_t depth, size_t site);
/* JSON array of canonical frame texts (the mkdump manifest format). */
void so_json_stack(json *j, const char *key, const hd_frame *const *frames, size_t depth);
/* Folded line "outer;...;inner VALUE\n" (flamegraph.pl, inferno, speedscope). */
void so_folded(FILE *out, const hd_group *g, uint64_t value);

/* The advice printed when no heap has allocation stacks. */
void so_print_ust_advice(FILE *out, hd_dump *d, const char *indent);
const char *so_ust_advice_text(hd_dump *d, char *buf, size_t cap);

/* Progress on stderr for hd_top when stderr is a terminal (after a second). */

/* Pointer size of the dump's main view (8 for x64 dumps of native processes, 4 otherwise). */
unsigned so_ptr_size(hd_dump *d);

#endif
