/*
** testutil.h - helpers shared by the cmocka tests: locating the real-dump corpus (tests skip
** with a message when ../shared is absent) and running the heapdig CLI.
*/
#ifndef HD_TESTUTIL_H
#define HD_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

/* Full path of a corpus file, or NULL when it is not there (the caller then calls skip()). */
const char *tu_corpus(const char *name);
/* Skip the current test with a message when the corpus file is missing; else its path. */
#define TU_CORPUS_OR_SKIP(var, name)                                                     \
    const char *var = tu_corpus(name);                                                   \
    do {                                                                                 \
        if (!var) {                                                                      \
            print_message("[  SKIP    ] %s not found under %s (../shared absent?)\n", \
                          name, HD_CORPUS_DIR);                                         \
            skip();                                                                      \
        }                                                                                \
    } while (0)

/* Run the heapdig executable with ARGS (NULL-terminated); capture stdout and stderr
** (malloc'ed, NUL-terminated; free with tu_free_run).  Returns the exit status, -1 on failure. */
typedef struct tu_run { int status; char *out; size_t out_len; char *err; size_t err_len; } tu_run;
int tu_heapdig(tu_run *r, const char *arg0, ...);
int tu_heapdigv(tu_run *r, const char *const *argv);
void tu_free_run(tu_run *r);

/* Run the ground-truth generator: mkdump --layout LAYOUT --scenario SCENARIO (a built-in name or
** a file) --seed SEED [--scale SCALE when > 0] -o DMP [--truth TRUTH when non-NULL].  The
** environment variable HD_MKDUMP overrides the binary.  Returns its exit status (0 on success). */
int tu_mkdump(const char *layout, const char *scenario, unsigned seed, double scale, const char *dmp,
              const char *truth);

/* A path in the test data directory (build/tests/data/NAME); static buffer. */
const char *tu_data_path(const char *name);
/* Write BYTES to a file; returns 0 on success. */
int tu_write_file(const char *path, const void *bytes, size_t n);
/* Read a whole file (malloc'ed); NULL on failure. */
void *tu_read_file(const char *path, size_t *n);

#endif
