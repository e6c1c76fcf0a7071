/*
** json.c - a streaming JSON writer for the manifest: objects and arrays are opened and closed
** as the generator goes, so a 10-million-block manifest never sits in memory.  Addresses are
** "0x…" lowercase hex strings, sizes and counts plain integers (docs/manifest.md).
*/
#include <inttypes.h>
#include "mkdump.h"

void j_init(json *j, FILE *f)
{
    j->f = f;
    j->depth = 0;
    j->first[0] = 1;
}

static void quoted(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    fputc('"', f);
    for (; *p; p++) {
        if (*p == '"' || *p == '\\') {
            fputc('\\', f);
            fputc(*p, f);
        } else if (*p < 0x20) {
            fprintf(f, "\\u%04x", *p);
        } else {
            fputc(*p, f);
        }
    }
    fputc('"', f);
}

/* Separator before a value (and its key, inside objects). */
static void sep(json *j, const char *key)
{
    if (!j->first[j->depth]) fputc(',', j->f);
    j->first[j->depth] = 0;
    if (key) {
        quoted(j->f, key);
        fputc(':', j->f);
    }
}

static void open(json *j, const char *key, int c)
{
    sep(j, key);
    fputc(c, j->f);
    if (j->depth + 2 >= (int)sizeof(j->first)) die("json: nested too deeply");
    j->first[++j->depth] = 1;
}

void j_obj(json *j, const char *key) { open(j, key, '{'); }
void j_arr(json *j, const char *key) { open(j, key, '['); }

void j_end(json *j, int obj)
{
    fputc(obj ? '}' : ']', j->f);
    j->depth--;
    if (j->depth == 0) fputc('\n', j->f);
}

void j_str(json *j, const char *key, const char *v)
{
    sep(j, key);
    quoted(j->f, v);
}

void j_hex(json *j, const char *key, u64 v)
{
    sep(j, key);
    fprintf(j->f, "\"0x%" PRIx64 "\"", v);
}

void j_int(json *j, const char *key, i64 v)
{
    sep(j, key);
    fprintf(j->f, "%" PRId64, v);
}

void j_uint(json *j, const char *key, u64 v)
{
    sep(j, key);
    fprintf(j->f, "%" PRIu64, v);
}

void j_bool(json *j, const char *key, int v)
{
    sep(j, key);
    fputs(v ? "true" : "false", j->f);
}

void j_dbl(json *j, const char *key, double v)
{
    sep(j, key);
    fprintf(j->f, "%.6g", v);
}
