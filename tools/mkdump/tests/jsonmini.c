/*
** jsonmini.c - a small JSON reader for the tests (the manifest): a DOM of jv nodes.  Not for
** hostile input; the manifests it reads are written by mkdump at test scales.
*/
#include <stdlib.h>
#include <string.h>
#include "jsonmini.h"

typedef struct P { const char *s; int err; } P;

static void ws(P *p) { while (*p->s == ' ' || *p->s == '\n' || *p->s == '\r' || *p->s == '\t') p->s++; }

static jv *node(int t)
{
    jv *v = calloc(1, sizeof *v);
    if (!v) abort();
    v->t = t;
    return v;
}

static jv *value(P *p);

static char *string(P *p)
{
    const char *s = ++p->s;
    size_t n = 0, cap = 16;
    char *o = malloc(cap);
    while (*s && *s != '"') {
        char c = *s++;
        if (c == '\\') {
            c = *s++;
            if (c == 'n') c = '\n';
            else if (c == 't') c = '\t';
            else if (c == 'u') {
                c = (char)strtol((char[5]){s[0], s[1], s[2], s[3], 0}, NULL, 16);
                s += 4;
            }
        }
        if (n + 2 > cap) o = realloc(o, cap *= 2);
        o[n++] = c;
    }
    if (*s != '"') p->err = 1;
    else s++;
    o[n] = 0;
    p->s = s;
    return o;
}

static jv *value(P *p)
{
    jv *v;
    ws(p);
    if (*p->s == '{' || *p->s == '[') {
        int obj = *p->s == '{';
        size_t cap = 8;
        v = node(obj ? JV_OBJ : JV_ARR);
        v->items = malloc(cap * sizeof(jv *));
        if (obj) v->keys = malloc(cap * sizeof(char *));
        p->s++;
        ws(p);
        if (*p->s == (obj ? '}' : ']')) {
            p->s++;
            return v;
        }
        for (;;) {
            char *k = NULL;
            ws(p);
            if (obj) {
                if (*p->s != '"') { p->err = 1; return v; }
                k = string(p);
                ws(p);
                if (*p->s != ':') { p->err = 1; return v; }
                p->s++;
            }
            if (v->n == cap) {
                cap *= 2;
                v->items = realloc(v->items, cap * sizeof(jv *));
                if (obj) v->keys = realloc(v->keys, cap * sizeof(char *));
            }
            if (obj) v->keys[v->n] = k;
            v->items[v->n++] = value(p);
            if (p->err) return v;
            ws(p);
            if (*p->s == ',') { p->s++; continue; }
            if (*p->s == (obj ? '}' : ']')) { p->s++; return v; }
            p->err = 1;
            return v;
        }
    }
    if (*p->s == '"') {
        v = node(JV_STR);
        v->s = string(p);
        return v;
    }
    if (!strncmp(p->s, "true", 4)) { p->s += 4; v = node(JV_BOOL); v->num = 1; return v; }
    if (!strncmp(p->s, "false", 5)) { p->s += 5; v = node(JV_BOOL); return v; }
    if (!strncmp(p->s, "null", 4)) { p->s += 4; return node(JV_NULL); }
    {
        char *end;
        v = node(JV_NUM);
        v->num = strtod(p->s, &end);
        v->u = strtoull(p->s, NULL, 10);
        if (end == p->s) p->err = 1;
        p->s = end;
        return v;
    }
}

jv *jv_parse(const char *text)
{
    P p = {text, 0};
    jv *v = value(&p);
    ws(&p);
    if (p.err || *p.s) {
        jv_free(v);
        return NULL;
    }
    return v;
}

jv *jv_parse_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    long n;
    char *t;
    jv *v;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    t = malloc((size_t)n + 1);
    if (fread(t, 1, (size_t)n, f) != (size_t)n) n = 0;
    t[n] = 0;
    fclose(f);
    v = jv_parse(t);
    free(t);
    return v;
}

void jv_free(jv *v)
{
    size_t i;
    if (!v) return;
    for (i = 0; i < v->n; i++) {
        jv_free(v->items[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->s);
    free(v);
}

jv *jv_get(const jv *o, const char *key)
{
    size_t i;
    if (!o || o->t != JV_OBJ) return NULL;
    for (i = 0; i < o->n; i++)
        if (!strcmp(o->keys[i], key)) return o->items[i];
    return NULL;
}

const char *jv_str(const jv *o, const char *key)
{
    jv *v = jv_get(o, key);
    return v && v->t == JV_STR ? v->s : NULL;
}

uint64_t jv_u64(const jv *o, const char *key)
{
    jv *v = jv_get(o, key);
    if (!v) return 0;
    if (v->t == JV_STR) return strtoull(v->s, NULL, 0);
    if (v->t == JV_NUM) return v->u;
    return (uint64_t)v->num;
}

int jv_has(const jv *o, const char *key) { return jv_get(o, key) != NULL; }
