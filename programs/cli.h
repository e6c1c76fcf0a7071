/*
** cli.h - what every heapdig command shares: option parsing, opening a dump with clear errors,
** the JSON writer, WinDbg-style number formatting and the exit-code policy.
**
** Exit codes (the CLI contract): 0 the command produced its answer (warnings allowed);
** 1 the answer is partial because of damage in the dump; 2 nothing could be said.
*/
#ifndef HD_CLI_H
#define HD_CLI_H

#include <stdint.h>
#include <stdio.h>
#include "heapdig.h"

enum { EXIT_ANSWER = 0, EXIT_PARTIAL = 1, EXIT_NOTHING = 2 };

/* ---- options ------------------------------------------------------------------------- */
typedef struct opt_spec {
    const char *long_name;   /* "heap" for --heap */
    char short_name;         /* 'n' for -n, 0 for none */
    int has_arg;
    const char *help;        /* "ADDR  only this heap" */
} opt_spec;

typedef struct opt_result {
    int present;
    const char *value;       /* last value given */
} opt_result;

/* Parse argv (after the command name) against SPECS (terminated by {NULL}).  Positional
** arguments go to pos[] (at most max_pos).  Prints an error and returns -1 on bad usage. */
int opts_parse(const char *cmd, int argc, char **argv, const opt_spec *specs, opt_result *res,
               const char **pos, int max_pos, int *npos);
void opts_usage(FILE *f, const char *cmd, const char *synopsis, const opt_spec *specs);
/* Parse a number: decimal, 0x-hex, or WinDbg-style hex with a backtick ("7fe`83e3bcf6"), with an
** optional k/m/g suffix for sizes when allow_suffix.  Returns 0 on success. */
int parse_u64(const char *s, uint64_t *out, int allow_suffix);
/* An address as WinDbg users type it: hex with or without 0x (and backticks). */
int parse_addr(const char *s, uint64_t *out);

/* ---- opening dumps -------------------------------------------------------------------- */
/* The running command ("top"), for messages; set by main(). */
extern const char *cli_command;
/* Open PATH; on failure print "heapdig: PATH: reason" and return NULL.  When stderr is a
** terminal, long library operations (finding heaps, walking them) show a progress line there
** after a second; it is erased when the operation ends, before the command prints. */
hd_dump *cli_open(const char *path);
/* For commands that print while they walk: no progress line when stdout is a terminal too. */
void cli_streaming(hd_dump *d);
/* Print a one-line summary of the diagnostics on stderr (unless quiet) and compute the exit
** code: EXIT_PARTIAL when an error-level diagnostic was recorded or a heap the command walked came
** out partial (damage, or memory missing from the dump), else EXIT_ANSWER. */
int cli_finish(hd_dump *d, int quiet);
/* "heapdig: FILE: WHAT: <why the dump allows no heap analysis>" and the capture advice, on stderr
** (for commands that found no heap to walk). */
void cli_no_heap(hd_dump *d, const char *what);
/* Print every diagnostic (for `check` and --verbose). */
void cli_print_diags(FILE *f, const hd_dump *d);

/* ---- formatting -------------------------------------------------------------------------- */
/* 64-bit values as WinDbg prints them: "7fc`685d1000" (ptr_size 8) or "685d1000" (4). */
const char *fmt_addr(char buf[32], uint64_t v, unsigned ptr_size);
/* Zero-padded WinDbg form: "00000000`29fb0000" / "29fb0000". */
const char *fmt_addr_pad(char buf[32], uint64_t v, unsigned ptr_size);
/* Sizes as WinDbg's !address does: "13.347 GB", "288.000 kB", "4.000 kB". */
const char *fmt_size(char buf[32], uint64_t bytes);

/* ---- JSON ----------------------------------------------------------------------------- */
/* A streaming writer: keys and values are emitted in order; commas and nesting are handled.
** Addresses are written as "0x..." strings, sizes and counts as integers (docs/json.md). */
typedef struct json {
    FILE *f;
    int depth;
    int first[64];     /* per level: no element written yet */
    int pretty;
    int after_key;
} json;

void json_init(json *j, FILE *f, int pretty);
void json_begin_obj(json *j);
void json_end_obj(json *j);
void json_begin_arr(json *j);
void json_end_arr(json *j);
void json_key(json *j, const char *k);
void json_str(json *j, const char *s);
void json_u64(json *j, uint64_t v);
void json_i64(json *j, int64_t v);
void json_dbl(json *j, double v);
void json_bool(json *j, int v);
void json_null(json *j);
void json_addr(json *j, uint64_t v);   /* "0x1a2b" */
/* key + value shorthands */
void json_kstr(json *j, const char *k, const char *s);
void json_ku64(json *j, const char *k, uint64_t v);
void json_ki64(json *j, const char *k, int64_t v);
void json_kbool(json *j, const char *k, int v);
void json_kaddr(json *j, const char *k, uint64_t v);
void json_kdbl(json *j, const char *k, double v);
void json_finish(json *j);              /* newline */
/* The fields of one heap block (docs/json.md, `blocks --json`), inside an object the caller opened;
** DETAIL adds the segment and the raw header fields (`find --json`). */
void json_block_fields(json *j, const hd_block *b, int detail);
/* The "diagnostics" array every JSON document ends with. */
void json_diags(json *j, const hd_dump *d);

/* ---- CSV ------------------------------------------------------------------------------ */
void csv_str(FILE *f, const char *s, int last);   /* quoted when needed */

/* ---- commands ----------------------------------------------------------------------- */
typedef int (*cmd_fn)(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_address(int argc, char **argv);
/* heap commands */
int cmd_heaps(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_heap(int argc, char **argv);
int cmd_dt(int argc, char **argv);
int cmd_blocks(int argc, char **argv);
int cmd_stat(int argc, char **argv);
/* stack commands */
int cmd_find(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif
