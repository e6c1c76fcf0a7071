/*
** platform.h - the few things the CLI needs from the operating system, behind one interface
** (POSIX and Windows in platform.c): a monotonic clock and "is this stream a terminal".
*/
#ifndef HD_PLATFORM_H
#define HD_PLATFORM_H

#include <stdio.h>

double plat_now(void);            /* seconds, monotonic */
int plat_isatty(FILE *f);         /* 1 when F is a terminal */

#endif
