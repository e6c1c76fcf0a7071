/*
** tjson.h - a small JSON reader for tests: parses a whole document (mkdump manifests, heapdig
** --json output) into a tree.  Numbers keep their exact unsigned 64-bit value when they are
** non-negative integers.  Not for hostile input beyond test data; bounded recursion.
*/
#ifndef HD_TJSON_H
#define HD_TJSON_H

#include <stddef.h>
#include <stdint.h>

typedef enum tj_type { TJ_NULL, TJ_BOOL, TJ_NUM, TJ_STR, TJ_ARR, TJ_OBJ } tj_type;

typedef struct tj {
    tj_type type;
    int b;                 /* TJ_BOOL */
    double num;            /* TJ_NUM */
    uint64_t u;            /* TJ_NUM: exact value of a non-negative integer */
    int is_uint;
    char *str;             /* TJ_STR (unescaped, NUL-terminated) */
    size_t n;              /* TJ_ARR / TJ_OBJ: number of children */
    struct tj **kids;      /* children */
    char **keys;           /* TJ_OBJ: keys of the children */
} tj;

/* Parse TEXT; NULL on a syntax error (with *err set to a message when err is non-NULL). */
tj *tj_parse(const char *text, const char **err);
tj *tj_parse_file(const char *path, const char **err);
void tj_free(tj *v);

tj *tj_get(const tj *obj, const char *key);            /* NULL if absent or not an object */
tj *tj_at(const tj *arr, size_t i);                    /* NULL if out of range */
size_t tj_len(const tj *v);                            /* children of an array/object, else 0 */
const char *tj_str(const tj *v);                       /* NULL unless a string */
uint64_t tj_u64(const tj *v);                          /* integer value, or a "0x..." string */
/* tj_get chains: tj_path(v, "heaps", "0", "address", NULL) (numeric keys index arrays). */
tj *tj_path(const tj *v, ...);

#endif
