/*
** tjson.h - a small JSON reader for tests only (CLI output, mkdump manifests).  Not part of the
** library: the library never parses JSON.  Whole document in memory; numbers kept as text and
** read as integers (u64) or doubles; "0x..." strings read as integers too (heapdig and the
** manifest write addresses that way).
**
**   tj_doc *doc = tj_parse(text);          // NULL on a syntax error (tj_error() says where)
**   const tj *heaps = tj_get(tj_root(doc), "heaps");
**   for (i = 0; i < tj_len(heaps); i++) tj_u64(tj_get(tj_at(heaps, i), "address"));
**   tj_free(doc);
*/
#ifndef HD_TJSON_H
#define HD_TJSON_H

#include <stddef.h>
#include <stdint.h>

typedef enum tj_type { TJ_NULL, TJ_BOOL, TJ_NUM, TJ_STR, TJ_ARR, TJ_OBJ } tj_type;
typedef struct tj tj;
typedef struct tj_doc tj_doc;

tj_doc *tj_parse(const char *text);
const char *tj_error(void);          /* after a failed tj_parse */
void tj_free(tj_doc *doc);
const tj *tj_root(const tj_doc *doc);

tj_type tj_kind(const tj *v);         /* TJ_NULL for v == NULL */
size_t tj_len(const tj *v);           /* array / object size, 0 otherwise */
const tj *tj_at(const tj *v, size_t i);
const tj *tj_get(const tj *obj, const char *key);   /* NULL when absent */
const char *tj_key_at(const tj *obj, size_t i);
const char *tj_str(const tj *v);      /* NULL unless a string */
uint64_t tj_u64(const tj *v);         /* number, or "0x..." / decimal string; 0 otherwise */
int tj_bool(const tj *v);             /* true -> 1 */
int tj_has(const tj *obj, const char *key);
/* Parse a whole file; NULL when it cannot be read or parsed (tj_error() says why). */
tj_doc *tj_parse_file(const char *path);
/* tj_get chains: tj_path(v, "heaps", "0", "address", NULL) (numeric keys index arrays). */
const tj *tj_path(const tj *v, ...);

#endif
