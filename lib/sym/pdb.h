/*
** pdb.h - a bounds-checked reader for the parts of a PDB (MSF 7.0) file that name code: the
** identity (GUID, age), the section headers, the public symbols (S_PUB32) and the procedures of
** each compiland (S_GPROC32 / S_LPROC32, which include static functions).  See pdb.c.
**
** The reader works on caller-owned bytes and knows nothing of dumps, so the fuzz target
** (fuzz/fuzz_pdb.c) drives it directly.
*/
#ifndef HD_PDB_H
#define HD_PDB_H

#include <stddef.h>
#include <stdint.h>
#include "../common/internal.h"
#include "heapdig.h"

typedef struct pdb_sym {
    uint32_t rva;          /* image-relative address */
    uint32_t len;          /* code size for procedures, 0 for publics */
    const char *name;      /* undecorated where possible ("ns::Class::method", "HXmalloc") */
    int proc;              /* 1 from a procedure record, 0 from a public */
} pdb_sym;

typedef struct pdb {
    uint8_t guid[16];      /* PDB info stream (1) */
    uint32_t age;          /* PDB info stream age */
    uint32_t dbi_age;      /* DBI stream age (what the image's CodeView record carries) */
    uint16_t machine;      /* DBI Machine: 0x14c x86, 0x8664 x64 */
    int omap;              /* symbols were translated through OMAP (a BBT-rearranged image) */
    size_t nsyms;
    pdb_sym *syms;         /* code symbols, sorted by rva, one per rva */
    size_t nsections;
    char *pool;            /* names */
    uint32_t *sec_rva;     /* VirtualAddress of section i+1 (PDB segment numbers are 1-based) */
    uint32_t *sec_size;
    uint32_t *sec_flags;
} pdb;

/* Parse DATA[0..LEN).  FALLBACK_RVA/SIZE/FLAGS (NFALLBACK entries, may be 0) describe the image's
** sections, used when the PDB has no section header stream.  On failure returns HD_EFORMAT
** (not an MSF 7.0 file), HD_ECORRUPT or HD_ETRUNC with a one-line reason in WHY. */
HD_API_INTERNAL hd_err pdb_parse(const uint8_t *data, size_t len, const uint32_t *fallback_rva,
                                 const uint32_t *fallback_size, const uint32_t *fallback_flags,
                                 size_t nfallback, pdb **out, char *why, size_t whylen);
HD_API_INTERNAL void pdb_free(pdb *p);
/* The code symbol at or below RVA in the same section, or NULL. */
HD_API_INTERNAL const pdb_sym *pdb_lookup(const pdb *p, uint32_t rva);
/* Readable name of a decorated public symbol: "?f@ns@@YAXXZ" -> "ns::f", x86 "_f@8" -> "f".
** Returns OUT (at most CAP bytes, NUL-terminated); unknown manglings are copied unchanged. */
HD_API_INTERNAL const char *pdb_undecorate(const char *in, int x86, char *out, size_t cap);

#endif
