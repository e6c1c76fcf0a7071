/*
** fuzz_pdb.c - libFuzzer target for the PDB reader (lib/sym/pdb.c): the input is a PDB file.
** Parses it with and without a fallback section table, then looks up addresses around every
** symbol found and undecorates each name again.  Seeds: corpus/pdb (a real lld-link PDB of
** tests/data/winprog and truncated / corrupted variants of it).
*/
#include <stdint.h>
#include <stddef.h>
#include "sym/pdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint32_t rva[3] = {0x1000, 0x2000, 0x3000}, vsz[3] = {0x1000, 0x1000, 0x1000};
    static const uint32_t flg[3] = {0x60000020, 0x40000040, 0xC0000040};
    char why[160], out[256];
    pdb *p = NULL;
    size_t i;
    if (pdb_parse(data, size, NULL, NULL, NULL, 0, &p, why, sizeof why) == HD_OK) pdb_free(p);
    p = NULL;
    if (pdb_parse(data, size, rva, vsz, flg, 3, &p, why, sizeof why) != HD_OK) return 0;
    for (i = 0; i < p->nsyms && i < 4096; i++) {
        const pdb_sym *s = &p->syms[i];
        (void)pdb_lookup(p, s->rva);
        (void)pdb_lookup(p, s->rva + 1);
        (void)pdb_lookup(p, s->rva ? s->rva - 1 : 0);
        pdb_undecorate(s->name, p->machine == 0x14c, out, sizeof out);
    }
    (void)pdb_lookup(p, 0);
    (void)pdb_lookup(p, UINT32_MAX);
    pdb_free(p);
    return 0;
}
