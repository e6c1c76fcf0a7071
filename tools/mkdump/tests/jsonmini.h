/* jsonmini.h - a small JSON DOM for mkdump's tests. */
#ifndef JSONMINI_H
#define JSONMINI_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
enum { JV_NULL, JV_BOOL, JV_NUM, JV_STR, JV_ARR, JV_OBJ };
typedef struct jv {
    int t;
    double num;
    uint64_t u;
    char *s;
    struct jv **items;
    char **keys;
    size_t n;
} jv;
jv *jv_parse(const char *text);
jv *jv_parse_file(const char *path);
void jv_free(jv *v);
jv *jv_get(const jv *o, const char *key);
const char *jv_str(const jv *o, const char *key);   /* NULL unless a string */
uint64_t jv_u64(const jv *o, const char *key);        /* numbers, or "0x…" strings */
int jv_has(const jv *o, const char *key);
#endif
