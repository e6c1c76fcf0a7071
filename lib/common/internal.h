/*
** internal.h - macros shared by every library file (visibility, unused, fall-through).
*/
#ifndef HD_INTERNAL_H
#define HD_INTERNAL_H

#if defined(__GNUC__) && !defined(_WIN32)
#  define HD_API_INTERNAL __attribute__((visibility("hidden")))
#else
#  define HD_API_INTERNAL   /* PE/COFF: not exported unless marked HD_API */
#endif

#define HD_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define HD_MIN(a, b) ((a) < (b) ? (a) : (b))
#define HD_MAX(a, b) ((a) > (b) ? (a) : (b))

#if defined(__MINGW32__)
#  define HD_PRINTF(f, a) __attribute__((format(gnu_printf, f, a)))   /* __USE_MINGW_ANSI_STDIO */
#elif defined(__GNUC__)
#  define HD_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#  define HD_PRINTF(f, a)
#endif

#endif
