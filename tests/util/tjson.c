/*
** tjson.c - see tjson.h.  Recursive descent over the RFC 8259 grammar; \uXXXX escapes become
** UTF-8 (surrogate pairs joined).
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tjson.h"

typedef struct ps { const char *p; const char *err; int depth; } ps;

static void ws(ps *s) { while (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r') s->p++; }

static tj *node(tj_type t)
{
    tj *v = calloc(1, sizeof *v);
    if (v) v->type = t;
    return v;
}

static int add_kid(tj *v, tj *kid, char *key)
{
    tj **nk = realloc(v->kids, (v->n + 1) * sizeof *nk);
    if (!nk) return -1;
    v->kids = nk;
    if (v->type == TJ_OBJ) {
        char **nkeys = realloc(v->keys, (v->n + 1) * sizeof *nkeys);
        if (!nkeys) return -1;
        v->keys = nkeys;
        v->keys[v->n] = key;
    }
    v->kids[v->n++] = kid;
    return 0;
}

static void put_utf8(char *out, size_t *o, unsigned c)
{
    if (c < 0x80) out[(*o)++] = (char)c;
    else if (c < 0x800) { out[(*o)++] = (char)(0xC0 | c >> 6); out[(*o)++] = (char)(0x80 | (c & 0x3F)); }
    else if (c < 0x10000) {
        out[(*o)++] = (char)(0xE0 | c >> 12); out[(*o)++] = (char)(0x80 | ((c >> 6) & 0x3F));
        out[(*o)++] = (char)(0x80 | (c & 0x3F));
    } else {
        out[(*o)++] = (char)(0xF0 | c >> 18); out[(*o)++] = (char)(0x80 | ((c >> 12) & 0x3F));
        out[(*o)++] = (char)(0x80 | ((c >> 6) & 0x3F)); out[(*o)++] = (char)(0x80 | (c & 0x3F));
    }
}

static char *string(ps *s)
{
    const char *q = s->p + 1;
    size_t n = 0, o = 0;
    char *out;
    /* upper bound of the output length */
    while (*q && *q != '"') { if (*q == '\\' && q[1]) q++; q++; n++; }
    if (*q != '"') { s->err = "unterminated string"; return NULL; }
    if (!(out = malloc(n * 4 + 1))) return NULL;
    q = s->p + 1;
    while (*q != '"') {
        if (*q != '\\') { out[o++] = *q++; continue; }
        q++;
        switch (*q) {
        case 'n': out[o++] = '\n'; break;
        case 't': out[o++] = '\t'; break;
        case 'r': out[o++] = '\r'; break;
        case 'b': out[o++] = '\b'; break;
        case 'f': out[o++] = '\f'; break;
        case 'u': {
            unsigned c = 0, c2 = 0;
            if (sscanf(q + 1, "%4x", &c) != 1) { free(out); s->err = "bad \\u escape"; return NULL; }
            q += 4;
            if (c >= 0xD800 && c < 0xDC00 && q[1] == '\\' && q[2] == 'u' && sscanf(q + 3, "%4x", &c2) == 1) {
                c = 0x10000 + ((c - 0xD800) << 10) + (c2 - 0xDC00);
                q += 6;
            }
            put_utf8(out, &o, c);
            break;
        }
        default: out[o++] = *q; break;
        }
        q++;
    }
    out[o] = 0;
    s->p = q + 1;
    return out;
}

static tj *value(ps *s);

static tj *value(ps *s)
{
    tj *v;
    ws(s);
    if (++s->depth > 200) { s->err = "nested too deeply"; return NULL; }
    switch (*s->p) {
    case '{':
        v = node(TJ_OBJ);
        s->p++;
        ws(s);
        if (*s->p == '}') { s->p++; break; }
        for (;;) {
            char *k;
            tj *kid;
            ws(s);
            if (*s->p != '"') { s->err = "expected a key"; tj_free(v); return NULL; }
            if (!(k = string(s))) { tj_free(v); return NULL; }
            ws(s);
            if (*s->p != ':') { s->err = "expected ':'"; free(k); tj_free(v); return NULL; }
            s->p++;
            if (!(kid = value(s))) { free(k); tj_free(v); return NULL; }
            add_kid(v, kid, k);
            ws(s);
            if (*s->p == ',') { s->p++; continue; }
            if (*s->p == '}') { s->p++; break; }
            s->err = "expected ',' or '}'";
            tj_free(v);
            return NULL;
        }
        break;
    case '[':
        v = node(TJ_ARR);
        s->p++;
        ws(s);
        if (*s->p == ']') { s->p++; break; }
        for (;;) {
            tj *kid = value(s);
            if (!kid) { tj_free(v); return NULL; }
            add_kid(v, kid, NULL);
            ws(s);
            if (*s->p == ',') { s->p++; continue; }
            if (*s->p == ']') { s->p++; break; }
            s->err = "expected ',' or ']'";
            tj_free(v);
            return NULL;
        }
        break;
    case '"':
        v = node(TJ_STR);
        if (!(v->str = string(s))) { free(v); return NULL; }
        break;
    case 't': if (strncmp(s->p, "true", 4)) goto bad; v = node(TJ_BOOL); v->b = 1; s->p += 4; break;
    case 'f': if (strncmp(s->p, "false", 5)) goto bad; v = node(TJ_BOOL); s->p += 5; break;
    case 'n': if (strncmp(s->p, "null", 4)) goto bad; v = node(TJ_NULL); s->p += 4; break;
    default: {
        char *end;
        const char *st = s->p;
        v = node(TJ_NUM);
        v->num = strtod(st, &end);
        if (end == st) { free(v); goto bad; }
        if (*st != '-' && strcspn(st, ".eE") >= (size_t)(end - st)) {
            v->u = strtoull(st, NULL, 10);
            v->is_uint = 1;
        }
        s->p = end;
        break;
    }
    }
    s->depth--;
    return v;
bad:
    s->err = "unexpected character";
    return NULL;
}

tj *tj_parse(const char *text, const char **err)
{
    ps s = {text, NULL, 0};
    tj *v = value(&s);
    if (v) {
        ws(&s);
        if (*s.p) { tj_free(v); v = NULL; s.err = "trailing characters"; }
    }
    if (!v && err) *err = s.err ? s.err : "parse error";
    return v;
}

tj *tj_parse_file(const char *path, const char **err)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    tj *v;
    if (!f) { if (err) *err = "cannot open"; return NULL; }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) { fclose(f); free(buf); if (err) *err = "cannot read"; return NULL; }
    fclose(f);
    buf[n] = 0;
    v = tj_parse(buf, err);
    free(buf);
    return v;
}

void tj_free(tj *v)
{
    size_t i;
    if (!v) return;
    for (i = 0; i < v->n; i++) {
        tj_free(v->kids[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->kids);
    free(v->keys);
    free(v->str);
    free(v);
}

tj *tj_get(const tj *o, const char *key)
{
    size_t i;
    if (!o || o->type != TJ_OBJ) return NULL;
    for (i = 0; i < o->n; i++)
        if (!strcmp(o->keys[i], key)) return o->kids[i];
    return NULL;
}

tj *tj_at(const tj *a, size_t i) { return a && (a->type == TJ_ARR || a->type == TJ_OBJ) && i < a->n ? a->kids[i] : NULL; }
size_t tj_len(const tj *v) { return v && (v->type == TJ_ARR || v->type == TJ_OBJ) ? v->n : 0; }
const char *tj_str(const tj *v) { return v && v->type == TJ_STR ? v->str : NULL; }

uint64_t tj_u64(const tj *v)
{
    if (!v) return 0;
    if (v->type == TJ_NUM) return v->is_uint ? v->u : (uint64_t)v->num;
    if (v->type == TJ_STR) return strtoull(v->str, NULL, 0);
    return 0;
}

tj *tj_path(const tj *v, ...)
{
    va_list ap;
    const char *k;
    const tj *cur = v;
    va_start(ap, v);
    while (cur && (k = va_arg(ap, const char *)) != NULL) {
        if (cur->type == TJ_ARR) cur = tj_at(cur, (size_t)strtoul(k, NULL, 10));
        else cur = tj_get(cur, k);
    }
    va_end(ap);
    return (tj *)cur;
}
