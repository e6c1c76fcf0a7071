/*
** lfh.c - the LFH front end (§6).  (Being written: until it lands, heaps are back-end only.)
*/
#include "heap.h"

void lfh_create(hstate *h) { (void)h; }
void lfh_container(hstate *h, alloc_spec *as, int aspec, u64 *remaining) { (void)h; (void)as; (void)aspec; (void)remaining; }
void lfh_finish(hstate *h) { (void)h; }
