/*
** tjson.c - see tjson.h.  Recursive descent over a NUL-terminated text; every node is malloc'ed
** and chained for tj_free.  Depth is bounded (64) so a hostile file cannot blow the stack.
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tjson.h"

struct tj {
    tj_type type;
    char *s;                 /* string value, or number text */
    int b;
    tj **items;              /* array items / object values */
    char **keys;             /* object keys */
    size_t n, cap;
    tj *next_alloc;
};

struct tj_doc { tj *root; tj *all; };

static char errbuf[128];
const char *tj_error(void) { return errbuf; }

typedef struct parser { const char *p, *start; tj_doc *doc; int depth; } parser;

static tj *node(parser *ps, tj_type t)
{
    tj *v = calloc(1, sizeof *v);
    if (!v) return NULL;
    v->type = t;
    v->next_alloc = ps->doc->all;
    ps->doc->all = v;
    return v;
}

static void ws(parser *ps) { while (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\t') ps->p++; }

static int fail(parser *ps, const char *what)
{
    snprintf(errbuf, sizeof errbuf, "%s at offset %ld", what, (long)(ps->p - ps->start));
    return -1;
}

static char *string(parser *ps)
{
    size_t cap = 32, n = 0;
    char *out = malloc(cap);
    if (!out) return NULL;
    ps->p++;   /* opening quote */
    while (*ps->p && *ps->p != '"') {
        char c = *ps->p++;
        if (c == '\\') {
            char e = *ps->p++;
            switch (e) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'u': {
                unsigned v = 0, k;
                for (k = 0; k < 4 && *ps->p; k++) {
                    char h = *ps->p++;
                    v = v * 16 + (unsigned)(h >= 'a' ? h - 'a' + 10 : h >= 'A' ? h - 'A' + 10 : h - '0');
                }
                c = v < 0x80 ? (char)v : '?';
                break;
            }
            case 0: free(out); return NULL;
            default: c = e; break;
            }
        }
        if (n + 2 > cap) {
            char *nb = realloc(out, cap *= 2);
            if (!nb) { free(out); return NULL; }
            out = nb;
        }
        out[n++] = c;
    }
    if (*ps->p != '"') { free(out); return NULL; }
    ps->p++;
    out[n] = 0;
    return out;
}

static int push(tj *v, tj *item, char *key)
{
    if (v->n == v->cap) {
        size_t nc = v->cap ? v->cap * 2 : 8;
        tj **ni = realloc(v->items, nc * sizeof *ni);
        if (!ni) return -1;
        v->items = ni;
        if (v->type == TJ_OBJ) {
            char **nk = realloc(v->keys, nc * sizeof *nk);
            if (!nk) return -1;
            v->keys = nk;
        }
        v->cap = nc;
    }
    v->items[v->n] = item;
    if (v->type == TJ_OBJ) v->keys[v->n] = key;
    v->n++;
    return 0;
}

static tj *value(parser *ps)
{
    tj *v;
    ws(ps);
    if (++ps->depth > 64) { fail(ps, "too deep"); return NULL; }
    switch (*ps->p) {
    case '{':
        v = node(ps, TJ_OBJ);
        ps->p++;
        ws(ps);
        if (*ps->p == '}') { ps->p++; break; }
        for (;;) {
            char *k;
            tj *item;
            ws(ps);
            if (*ps->p != '"' || !(k = string(ps))) { fail(ps, "expected a key"); return NULL; }
            ws(ps);
            if (*ps->p++ != ':') { free(k); fail(ps, "expected ':'"); return NULL; }
            if (!(item = value(ps)) || push(v, item, k)) { free(k); return NULL; }
            ws(ps);
            if (*ps->p == ',') { ps->p++; continue; }
            if (*ps->p == '}') { ps->p++; break; }
            fail(ps, "expected ',' or '}'");
            return NULL;
        }
        break;
    case '[':
        v = node(ps, TJ_ARR);
        ps->p++;
        ws(ps);
        if (*ps->p == ']') { ps->p++; break; }
        for (;;) {
            tj *item = value(ps);
            if (!item || push(v, item, NULL)) return NULL;
            ws(ps);
            if (*ps->p == ',') { ps->p++; continue; }
            if (*ps->p == ']') { ps->p++; break; }
            fail(ps, "expected ',' or ']'");
            return NULL;
        }
        break;
    case '"':
        v = node(ps, TJ_STR);
        if (!v || !(v->s = string(ps))) { fail(ps, "bad string"); return NULL; }
        break;
    case 't': case 'f': case 'n':
        if (!strncmp(ps->p, "true", 4)) { v = node(ps, TJ_BOOL); v->b = 1; ps->p += 4; }
        else if (!strncmp(ps->p, "false", 5)) { v = node(ps, TJ_BOOL); ps->p += 5; }
        else if (!strncmp(ps->p, "null", 4)) { v = node(ps, TJ_NULL); ps->p += 4; }
        else { fail(ps, "bad literal"); return NULL; }
        break;
    default: {
        const char *s = ps->p;
        while (*ps->p && strchr("+-0123456789.eE", *ps->p)) ps->p++;
        if (ps->p == s) { fail(ps, "unexpected character"); return NULL; }
        v = node(ps, TJ_NUM);
        if (!v || !(v->s = malloc((size_t)(ps->p - s) + 1))) return NULL;
        memcpy(v->s, s, (size_t)(ps->p - s));
        v->s[ps->p - s] = 0;
        break;
    }
    }
    ps->depth--;
    return v;
}

tj_doc *tj_parse(const char *text)
{
    parser ps;
    tj_doc *doc = calloc(1, sizeof *doc);
    if (!doc) return NULL;
    ps.p = ps.start = text;
    ps.doc = doc;
    ps.depth = 0;
    doc->root = value(&ps);
    ws(&ps);
    if (!doc->root || *ps.p) {
        if (doc->root) fail(&ps, "trailing data");
        tj_free(doc);
        return NULL;
    }
    return doc;
}

void tj_free(tj_doc *doc)
{
    tj *v, *next;
    size_t i;
    if (!doc) return;
    for (v = doc->all; v; v = next) {
        next = v->next_alloc;
        if (v->type == TJ_OBJ) for (i = 0; i < v->n; i++) free(v->keys[i]);
        free(v->keys);
        free(v->items);
        free(v->s);
        free(v);
    }
    free(doc);
}

const tj *tj_root(const tj_doc *doc) { return doc ? doc->root : NULL; }
tj_type tj_kind(const tj *v) { return v ? v->type : TJ_NULL; }
size_t tj_len(const tj *v) { return v && (v->type == TJ_ARR || v->type == TJ_OBJ) ? v->n : 0; }
const tj *tj_at(const tj *v, size_t i) { return v && i < tj_len(v) ? v->items[i] : NULL; }
const char *tj_key_at(const tj *v, size_t i) { return v && v->type == TJ_OBJ && i < v->n ? v->keys[i] : NULL; }
const tj *tj_get(const tj *v, const char *key)
{
    size_t i;
    if (!v || v->type != TJ_OBJ) return NULL;
    for (i = 0; i < v->n; i++)
        if (!strcmp(v->keys[i], key)) return v->items[i];
    return NULL;
}
int tj_has(const tj *obj, const char *key) { return tj_get(obj, key) != NULL; }
const char *tj_str(const tj *v) { return v && v->type == TJ_STR ? v->s : NULL; }
int tj_bool(const tj *v) { return v && v->type == TJ_BOOL && v->b; }
uint64_t tj_u64(const tj *v)
{
    if (!v || !v->s || (v->type != TJ_NUM && v->type != TJ_STR)) return 0;
    return strtoull(v->s, NULL, (v->s[0] == '0' && (v->s[1] == 'x' || v->s[1] == 'X')) ? 16 : 10);
}

tj_doc *tj_parse_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0, got;
    tj_doc *doc;
    if (!f) {
        snprintf(errbuf, sizeof errbuf, "cannot open %s", path);
        return NULL;
    }
    do {
        if (len + 65536 + 1 > cap) {
            char *nb = realloc(buf, cap = cap * 2 + 65536 + 1);
            if (!nb) { free(buf); fclose(f); snprintf(errbuf, sizeof errbuf, "out of memory"); return NULL; }
            buf = nb;
        }
        got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
    } while (got > 0);
    fclose(f);
    buf[len] = 0;
    doc = tj_parse(buf);
    free(buf);
    return doc;
}

const tj *tj_path(const tj *v, ...)
{
    va_list ap;
    const char *k;
    va_start(ap, v);
    while (v && (k = va_arg(ap, const char *)) != NULL) {
        if (tj_kind(v) == TJ_ARR) {
            char *end;
            unsigned long i = strtoul(k, &end, 10);
            v = *end ? NULL : tj_at(v, i);
        } else {
            v = tj_get(v, k);
        }
    }
    va_end(ap);
    return v;
}
