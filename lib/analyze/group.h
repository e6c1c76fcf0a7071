/*
** group.h - internal interface between the walk (top.c) and the grouping (group.c).
*/
#ifndef HD_GROUP_H
#define HD_GROUP_H

#include "../core.h"

/* Count one heap walked by hd_top (COMPLETE: without error and not partial). */
HD_API_INTERNAL void top_heap_done(hd_top_acc *a, int complete);

#endif
