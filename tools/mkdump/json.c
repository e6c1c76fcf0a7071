/*
** json.c - a streaming JSON writer (a writer without a FILE writes nothing) for the manifest: objects and arrays are opened and closed
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
    const unsigned char *p = (const unsigned char *)s, *run = p;
    fputc('"', f);
    for (; *p; p++) {
        if (*p != '"' && *p != '\\' && *p >= 0x20) continue;
        fwrite(run, 1, (size_t)(p - run), f);
        if (*p < 0x20) fprintf(f, "\\u%04x", *p);
        else {
            fputc('\\', f);
            fputc(*p, f);
        }
        run = p + 1;
    }
    fwrite(run, 1, (size_t)(p - run), f);
    fputc('"', f);
}

/* Numbers without printf (the manifest of a 10-million-block dump is mostly numbers). */
static void put_hex(FILE *f, u64 v)
{
    char b[24], *e = b + sizeof b, *q = e;
    *--q = '"';
    do {
        *--q = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    *--q = 'x';
    *--q = '0';
    *--q = '"';
    fwrite(q, 1, (size_t)(e - q), f);
}

static void put_dec(FILE *f, u64 v)
{
    char b[24], *e = b + sizeof b, *q = e;
    do {
        *--q = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    fwrite(q, 1, (size_t)(e - q), f);
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

void j_obj(json *j, const char *key) { if (j->f) open(j, key, '{'); }
void j_arr(json *j, const char *key) { if (j->f) open(j, key, '['); }

void j_end(json *j, int obj)
{
    if (!j->f) return;
    fputc(obj ? '}' : ']', j->f);
    j->depth--;
    if (j->depth == 0) fputc('\n', j->f);
}

void j_str(json *j, const char *key, const char *v)
{
    if (!j->f) return;
    sep(j, key);
    quoted(j->f, v);
}

void j_hex(json *j, const char *key, u64 v)
{
    if (!j->f) return;
    sep(j, key);
    put_hex(j->f, v);
}

void j_int(json *j, const char *key, i64 v)
{
    if (!j->f) return;
    sep(j, key);
    if (v < 0) {
        fputc('-', j->f);
        put_dec(j->f, (u64)0 - (u64)v);
    } else {
        put_dec(j->f, (u64)v);
    }
}

void j_uint(json *j, const char *key, u64 v)
{
    if (!j->f) return;
    sep(j, key);
    put_dec(j->f, v);
}

void j_bool(json *j, const char *key, int v)
{
    if (!j->f) return;
    sep(j, key);
    fputs(v ? "true" : "false", j->f);
}

void j_dbl(json *j, const char *key, double v)
{
    if (!j->f) return;
    sep(j, key);
    fprintf(j->f, "%.6g", v);
}
