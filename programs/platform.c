/*
** platform.c - see platform.h.
*/
#if defined(_WIN32)
#  define WIN32_LEAN_AND_MEAN
#  include <windows.h>   /* QueryPerformanceCounter */
#  include <io.h>        /* _isatty, _fileno */
#else
#  define _POSIX_C_SOURCE 200809L
#  include <time.h>      /* clock_gettime */
#  include <unistd.h>    /* isatty */
#endif
#include "platform.h"

#if defined(_WIN32)
double plat_now(void)
{
    LARGE_INTEGER c, f;
    QueryPerformanceCounter(&c);
    QueryPerformanceFrequency(&f);
    return (double)c.QuadPart / (double)f.QuadPart;
}
int plat_isatty(FILE *f) { return _isatty(_fileno(f)) != 0; }
#else
double plat_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
int plat_isatty(FILE *f) { return isatty(fileno(f)) != 0; }
#endif
