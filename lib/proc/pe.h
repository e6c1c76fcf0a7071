/*
** pe.h - internal interface of the PE image reader (pe.c): parse an image mapped at BASE in the
** dumped address space.  hd_module_pe() (public) caches one hd_pe per module on top of it.
*/
#ifndef HD_PE_H
#define HD_PE_H

#include "../core.h"

/* Parse the image at BASE (SIZE = SizeOfImage from the module list, 0 when unknown) into *PE,
** allocating from the dump's arena.  Never fails: what cannot be read is left zero and what is
** inconsistent is reported as a diagnostic (area "pe"). */
HD_API_INTERNAL void pe_parse(hd_dump *d, uint64_t base, uint64_t size, const char *what, hd_pe *pe);

#endif
