/*
** dph.c - page heap (§8).  (Being written.)
*/
#include "heap.h"

void dph_build(gen *g, heap_out *h, int heap_index) { (void)g; (void)h; (void)heap_index; }
