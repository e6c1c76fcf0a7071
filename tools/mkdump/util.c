/*
** util.c - errors, checked allocation, the deterministic random generator, size parsing.
**
** The random generator is xoshiro256** seeded through splitmix64.  mkdump's promise "same seed,
** same bytes" rests on it: nothing here depends on the platform, the time or addresses.
*/
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "mkdump.h"

void die(const char *fmt, ...)
{
    va_list ap;
    fputs("mkdump: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) die("out of memory (%zu bytes)", n);
    return p;
}

void *xcalloc(size_t n, size_t m)
{
    void *p = calloc(n ? n : 1, m ? m : 1);
    if (!p) die("out of memory (%zu x %zu bytes)", n, m);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) die("out of memory (%zu bytes)", n);
    return q;
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc(n), s, n);
}

char *xsprintf(const char *fmt, ...)
{
    va_list ap;
    int n;
    char *s;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) die("bad format");
    s = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

static u64 splitmix(u64 *x)
{
    u64 z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void rng_seed(rng *r, u64 seed, u64 stream)
{
    u64 x = seed ^ (stream * 0xD1B54A32D192ED03ull);
    int i;
    for (i = 0; i < 4; i++) r->s[i] = splitmix(&x);
}

static u64 rotl(u64 x, int k) { return (x << k) | (x >> (64 - k)); }

u64 rng_next(rng *r)
{
    u64 *s = r->s, res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return res;
}

u64 rng_range(rng *r, u64 lo, u64 hi)
{
    u64 span;
    if (hi <= lo) return lo;
    span = hi - lo + 1;
    if (span == 0) return rng_next(r);
    return lo + rng_next(r) % span;   /* bias is irrelevant here */
}

double rng_unit(rng *r) { return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0); }

u64 hash64(const void *p, size_t n, u64 h)
{
    const u8 *b = p;
    size_t i;
    h ^= 0xCBF29CE484222325ull;
    for (i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001B3ull;
    return h;
}

u64 parse_size(const char *s, int *ok)
{
    char *end;
    double d;
    u64 v;
    *ok = 0;
    if (!s || !*s) return 0;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        v = strtoull(s + 2, &end, 16);
        if (end == s + 2) return 0;
        d = (double)v;
    } else {
        if (!isdigit((unsigned char)s[0]) && s[0] != '.') return 0;
        d = strtod(s, &end);
        if (end == s) return 0;
        v = (u64)d;
    }
    switch (*end) {
    case 'k': case 'K': d *= 1024.0; end++; break;
    case 'm': case 'M': d *= 1048576.0; end++; break;
    case 'g': case 'G': d *= 1073741824.0; end++; break;
    default: break;
    }
    if (*end == 'B' || *end == 'b') end++;
    if (*end) return 0;
    if (d != (double)v) v = (u64)(d + 0.5);
    *ok = 1;
    return v;
}
