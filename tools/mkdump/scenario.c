/*
** scenario.c - scenario files (format in tools/mkdump/README.md) and the built-in scenarios
** "default", "seed" (the ../shared/seed/ write-up: a .NET process leaking 16 MB and 88 MB
** VirtualAlloc'd blocks from halcon.dll under +ust) and "bench" (16 GB, ~10 million blocks).
**
** One line per statement; '#' starts a comment; tokens are separated by blanks, "double quotes"
** keep blanks; options are key=value.  Counts of `alloc` lines are multiplied by --scale (a
** count written N! is not).
*/
#define _XOPEN_SOURCE 700
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "mkdump.h"

static const char *CK_NAMES[] = {"", "bad-checksum", "broken-link", "cyclic-list", "truncated-range", "missing-memory"};
const char *corrupt_name(int kind) { return kind > 0 && kind < (int)ARRAY_LEN(CK_NAMES) ? CK_NAMES[kind] : "?"; }

typedef struct pctx {
    scenario *s;
    const layout *lo;
    double scale;
    int line;
    char *err;
    size_t errlen;
} pctx;

static int fail(pctx *p, const char *msg, const char *tok)
{
    snprintf(p->err, p->errlen, "line %d: %s%s%s", p->line, msg, tok ? ": " : "", tok ? tok : "");
    return -1;
}

/* Split a line into tokens (in place).  Returns the count. */
static int tokenize(char *s, char **tok, int max)
{
    int n = 0;
    while (*s && n < max) {
        char *out;
        while (*s == ' ' || *s == '\t' || *s == '\r') s++;
        if (!*s || *s == '#') break;
        tok[n++] = out = s;
        while (*s && *s != ' ' && *s != '\t' && *s != '\r') {
            if (*s == '"') {
                s++;
                while (*s && *s != '"') *out++ = *s++;
                if (*s) s++;
            } else {
                *out++ = *s++;
            }
        }
        if (*s) s++;
        *out = 0;
    }
    return n;
}

static const char *opt(char **tok, int n, int from, const char *key)
{
    size_t k = strlen(key);
    int i;
    for (i = from; i < n; i++)
        if (!strncmp(tok[i], key, k) && tok[i][k] == '=') return tok[i] + k + 1;
    return NULL;
}

static int flag(char **tok, int n, int from, const char *key)
{
    int i;
    for (i = from; i < n; i++)
        if (!strcmp(tok[i], key)) return 1;
    return 0;
}

static int num(pctx *p, const char *s, u64 *out)
{
    int ok;
    *out = parse_size(s, &ok);
    return ok ? 0 : fail(p, "not a number or size", s);
}

static int heap_index(scenario *s, const char *name)
{
    size_t i;
    for (i = 0; i < s->heaps.n; i++)
        if (!strcmp(s->heaps.v[i].name, name)) return (int)i;
    return -1;
}

static int stack_index(scenario *s, const char *name)
{
    size_t i;
    for (i = 0; i < s->stacks.n; i++)
        if (!strcmp(s->stacks.v[i].name, name)) return (int)i;
    return -1;
}

static int parse_frame(pctx *p, const char *t, frame_spec *f)
{
    const char *bang = strchr(t, '!'), *plus;
    memset(f, 0, sizeof *f);
    if (!strncmp(t, "jit", 3) && (t[3] == 0 || t[3] == '+')) {
        f->jit = 1;
        if (t[3] == '+' && num(p, t + 4, &f->off)) return -1;
        return 0;
    }
    if (!bang || bang == t || !bang[1]) return fail(p, "a frame is module!function[+0xoff] or jit[+0xoff]", t);
    f->module = xstrdup(t);
    f->module[bang - t] = 0;
    f->func = xstrdup(bang + 1);
    plus = strchr(f->func, '+');
    if (plus) {
        if (num(p, plus + 1, &f->off)) return -1;
        f->func[plus - f->func] = 0;
    }
    return 0;
}

static int statement(pctx *p, char **tok, int n)
{
    scenario *s = p->s;
    const char *v;
    u64 x;
    int i;
    if (!strcmp(tok[0], "process")) {
        if (n < 2) return fail(p, "process NAME.exe [pid=N] [threads=N]", NULL);
        free(s->process);
        s->process = xstrdup(tok[1]);
        if ((v = opt(tok, n, 2, "pid"))) { if (num(p, v, &x)) return -1; s->pid = (u32)x; }
        if ((v = opt(tok, n, 2, "threads"))) {
            if (num(p, v, &x)) return -1;
            if (x < 1 || x > 64) return fail(p, "threads must be 1..64", v);
            s->threads = (int)x;
        }
    } else if (!strcmp(tok[0], "gflags")) {
        for (i = 1; i < n; i++) {
            if (!strcmp(tok[i], "+ust")) s->gflags |= FLG_USER_STACK_TRACE_DB;
            else if (!strcmp(tok[i], "-ust")) s->gflags &= ~FLG_USER_STACK_TRACE_DB;
            else if (!strcmp(tok[i], "+hpa")) s->gflags |= FLG_HEAP_PAGE_ALLOCS;
            else if (!strcmp(tok[i], "-hpa")) s->gflags &= ~FLG_HEAP_PAGE_ALLOCS;
            else if (!num(p, tok[i], &x)) s->gflags = (u32)x;
            else return -1;
        }
    } else if (!strcmp(tok[0], "ust-mode")) {
        if (n != 2 || (strcmp(tok[1], "prefix") && strcmp(tok[1], "classic"))) return fail(p, "ust-mode prefix|classic", NULL);
        s->ust_classic = !strcmp(tok[1], "classic");
    } else if (!strcmp(tok[0], "jit")) {
        if ((v = opt(tok, n, 1, "base")) && num(p, v, &s->jit_base)) return -1;
        if ((v = opt(tok, n, 1, "size")) && num(p, v, &s->jit_size)) return -1;
    } else if (!strcmp(tok[0], "module")) {
        module_spec m, *mp;
        memset(&m, 0, sizeof m);
        if (n < 2) return fail(p, "module FILE [base=] [size=] [path=] [bits=] [export=NAME@RVA]...", NULL);
        m.name = xstrdup(tok[1]);
        VPUSH(s->modules, m);   /* owned by the scenario from here on, also on errors */
        mp = &s->modules.v[s->modules.n - 1];
        if ((v = opt(tok, n, 2, "base")) && num(p, v, &mp->base)) return -1;
        if ((v = opt(tok, n, 2, "size")) && num(p, v, &mp->size)) return -1;
        if ((v = opt(tok, n, 2, "path"))) mp->path = xstrdup(v);
        if ((v = opt(tok, n, 2, "bits"))) mp->bits = atoi(v);
        if (mp->bits && mp->bits != 32 && mp->bits != 64) return fail(p, "bits must be 32 or 64", v);
        if (mp->base & (ALLOC_GRAN - 1)) return fail(p, "module base must be 64 KB aligned", tok[1]);
        for (i = 2; i < n; i++) {
            export_spec e;
            char *at;
            if (strncmp(tok[i], "export=", 7)) continue;
            at = strchr(tok[i] + 7, '@');
            if (!at) return fail(p, "export=NAME@RVA", tok[i]);
            *at = 0;
            if (num(p, at + 1, &e.rva)) return -1;
            e.name = xstrdup(tok[i] + 7);
            VPUSH(mp->exports, e);
        }
    } else if (!strcmp(tok[0], "stack")) {
        stack_spec st;
        if (n < 3) return fail(p, "stack NAME FRAME...", NULL);
        if (stack_index(s, tok[1]) >= 0) return fail(p, "duplicate stack", tok[1]);
        st.name = xstrdup(tok[1]);
        st.n = n - 2;
        st.f = xcalloc((size_t)st.n, sizeof(frame_spec));
        VPUSH(s->stacks, st);   /* owned by the scenario from here on, also on errors */
        for (i = 2; i < n; i++)
            if (parse_frame(p, tok[i], &s->stacks.v[s->stacks.n - 1].f[i - 2])) return -1;
    } else if (!strcmp(tok[0], "heap")) {
        heap_spec h, *hp;
        memset(&h, 0, sizeof h);
        if (n < 2) return fail(p, "heap NAME [process] [flags=] [reserve=] [base=] [lfh=on|off] [pageheap] [unlisted] [bits=] [ucr-gaps=]", NULL);
        if (heap_index(s, tok[1]) >= 0) return fail(p, "duplicate heap", tok[1]);
        h.name = xstrdup(tok[1]);
        h.process = flag(tok, n, 2, "process");
        h.pageheap = flag(tok, n, 2, "pageheap") ? 1 : -1;
        h.unlisted = flag(tok, n, 2, "unlisted");
        h.lfh = -1;
        h.normal_of = -1;
        VPUSH(s->heaps, h);   /* owned by the scenario from here on, also on errors */
        hp = &s->heaps.v[s->heaps.n - 1];
        if ((v = opt(tok, n, 2, "flags"))) { if (num(p, v, &x)) return -1; hp->flags = (u32)x; }
        if ((v = opt(tok, n, 2, "reserve")) && num(p, v, &hp->reserve)) return -1;
        if ((v = opt(tok, n, 2, "base")) && num(p, v, &hp->base)) return -1;
        if ((v = opt(tok, n, 2, "lfh"))) hp->lfh = !strcmp(v, "on");
        if ((v = opt(tok, n, 2, "pageheap"))) hp->pageheap = !strcmp(v, "on");
        if ((v = opt(tok, n, 2, "bits"))) hp->bits = atoi(v);
        if ((v = opt(tok, n, 2, "ucr-gaps"))) hp->ucr_gaps = atoi(v);
        if (hp->bits && hp->bits != 32 && hp->bits != 64) return fail(p, "bits must be 32 or 64", v);
        if (hp->base & (ALLOC_GRAN - 1)) return fail(p, "heap base must be 64 KB aligned", tok[1]);
        if (hp->ucr_gaps < 0 || hp->ucr_gaps > 64) return fail(p, "ucr-gaps must be 0..64", tok[1]);
    } else if (!strcmp(tok[0], "segment")) {
        segment_spec sg;
        int hi;
        if (n < 5 || (hi = heap_index(s, tok[1])) < 0) return fail(p, "segment HEAP base= reserve= commit=", NULL);
        memset(&sg, 0, sizeof sg);
        if (!(v = opt(tok, n, 2, "base")) || num(p, v, &sg.base)) return fail(p, "segment needs base=", NULL);
        if (!(v = opt(tok, n, 2, "reserve")) || num(p, v, &sg.reserve)) return fail(p, "segment needs reserve=", NULL);
        if (!(v = opt(tok, n, 2, "commit")) || num(p, v, &sg.commit)) return fail(p, "segment needs commit=", NULL);
        if ((sg.base | sg.reserve) & (ALLOC_GRAN - 1)) return fail(p, "segment base and reserve must be 64 KB multiples", NULL);
        if (sg.commit & (PAGE - 1) || sg.commit > sg.reserve || sg.commit < 2 * PAGE) return fail(p, "segment commit must be whole pages, >= 2 pages, <= reserve", NULL);
        if (sg.reserve > 0xFF0000) return fail(p, "segment reserve above 0xFF0000 (SegmentOffset is a byte)", NULL);
        VPUSH(s->heaps.v[hi].segments, sg);
    } else if (!strcmp(tok[0], "alloc")) {
        alloc_spec a;
        const char *cnt, *sz, *dash;
        u64 c;
        memset(&a, 0, sizeof a);
        if (n < 4) return fail(p, "alloc HEAP COUNT SIZE[-SIZE] [stack=] [free=PCT] [lfh=yes|no] [extra]", NULL);
        if ((a.heap = heap_index(s, tok[1])) < 0) return fail(p, "unknown heap", tok[1]);
        cnt = tok[2];
        {
            char *c2 = xstrdup(cnt);
            size_t l = strlen(c2);
            int fixed = l && c2[l - 1] == '!';
            if (fixed) c2[l - 1] = 0;
            if (num(p, c2, &c)) { free(c2); return -1; }
            free(c2);
            if (!fixed) c = (u64)llround((double)c * p->scale);
        }
        a.count = c;
        sz = tok[3];
        dash = strchr(sz, '-');
        if (dash) {
            char *lo = xstrdup(sz);
            lo[dash - sz] = 0;
            if (num(p, lo, &a.smin) || num(p, dash + 1, &a.smax)) { free(lo); return -1; }
            free(lo);
        } else {
            if (num(p, sz, &a.smin)) return -1;
            a.smax = a.smin;
        }
        if (!a.smin || a.smax < a.smin) return fail(p, "bad size range", sz);
        if (a.smax > ((u64)1 << 40)) return fail(p, "size too large", sz);
        a.stack = -1;
        if ((v = opt(tok, n, 4, "stack")) && (a.stack = stack_index(s, v)) < 0) return fail(p, "unknown stack", v);
        if ((v = opt(tok, n, 4, "free"))) a.free_frac = atof(v) / 100.0;
        if (a.free_frac < 0 || a.free_frac > 1) return fail(p, "free=PCT is 0..100", v);
        a.lfh = -1;
        if ((v = opt(tok, n, 4, "lfh"))) a.lfh = !strcmp(v, "yes") ? 1 : !strcmp(v, "no") ? 0 : -1;
        a.extra = flag(tok, n, 4, "extra");
        if (a.count) VPUSH(s->allocs, a);
    } else if (!strcmp(tok[0], "corrupt")) {
        corrupt_spec c;
        memset(&c, 0, sizeof c);
        if (n < 3) return fail(p, "corrupt KIND HEAP [nth=N]", NULL);
        for (i = 1; i < (int)ARRAY_LEN(CK_NAMES); i++)
            if (!strcmp(tok[1], CK_NAMES[i])) c.kind = i;
        if (!c.kind) return fail(p, "unknown corruption (bad-checksum broken-link cyclic-list truncated-range missing-memory)", tok[1]);
        if ((c.heap = heap_index(s, tok[2])) < 0) return fail(p, "unknown heap", tok[2]);
        c.nth = 1;
        if ((v = opt(tok, n, 3, "nth")) && num(p, v, &c.nth)) return -1;
        if (!c.nth) c.nth = 1;
        VPUSH(s->corrupts, c);
    } else {
        return fail(p, "unknown statement", tok[0]);
    }
    return 0;
}

/* Defaults and the implicit heaps (README "Scenario files"). */
static int normalize(pctx *p)
{
    scenario *s = p->s;
    const layout *lo = p->lo;
    int ab = (lo->ptr == 4 || lo->wow64) ? 32 : 64, w, have[2] = {0, 0};
    size_t i;
    if (!s->process) s->process = xstrdup("app.exe");
    if (!strchr(s->process, '.')) {
        char *x = xsprintf("%s.exe", s->process);
        free(s->process);
        s->process = x;
    }
    if (!s->pid) s->pid = 4242;
    if (!s->threads) s->threads = 2;
    for (i = 0; i < s->modules.n; i++)
        if (lo->ptr == 4 && s->modules.v[i].bits == 64) return fail(p, "64-bit module in an x86 process", s->modules.v[i].name);
    for (i = 0; i < s->heaps.n; i++) {
        heap_spec *h = &s->heaps.v[i];
        if (!h->bits) h->bits = ab;
        if (h->bits == 64 && lo->ptr == 4) return fail(p, "64-bit heap in an x86 process", h->name);
        if (h->bits == 32 && lo->ptr == 8 && !lo->wow64) return fail(p, "32-bit heap in a native x64 process", h->name);
        if (h->pageheap < 0) h->pageheap = (s->gflags & FLG_HEAP_PAGE_ALLOCS) && h->bits == ab && !h->process;
        if (h->lfh < 0) h->lfh = !s->ust_classic;
        if (h->pageheap) h->lfh = 0;
        if (h->process && h->unlisted) return fail(p, "the process heap cannot be unlisted", h->name);
    }
    for (w = 0; w < 2; w++) {
        int bits = w ? 64 : 32;
        int first = -1;
        if (bits == 64 && lo->ptr == 4) continue;
        if (bits == 32 && !(lo->ptr == 4 || lo->wow64)) continue;
        for (i = 0; i < s->heaps.n; i++) {
            heap_spec *h = &s->heaps.v[i];
            if (h->bits != bits) continue;
            if (h->process) {
                if (have[w]) h->process = 0;
                have[w] = 1;
            }
            if (first < 0 && !h->unlisted && !h->pageheap) first = (int)i;
        }
        if (!have[w]) {
            if (first >= 0) {
                s->heaps.v[first].process = 1;
            } else {
                heap_spec h;
                memset(&h, 0, sizeof h);
                h.name = xstrdup(bits == ab ? "process" : "process64");
                h.process = 1;
                h.bits = bits;
                h.lfh = !s->ust_classic;
                h.normal_of = -1;
                VPUSH(s->heaps, h);
                if (bits != ab) {   /* the 64-bit world of a WoW64 process: a few blocks of its own */
                    alloc_spec a;
                    memset(&a, 0, sizeof a);
                    a.heap = (int)s->heaps.n - 1;
                    a.count = 40;
                    a.smin = 16;
                    a.smax = 600;
                    a.stack = -1;
                    a.lfh = 0;
                    a.free_frac = 0.2;
                    VPUSH(s->allocs, a);
                }
            }
        }
    }
    /* under +ust every allocation has a stack: lines without one get an ntdll-only stack */
    if (s->gflags & FLG_USER_STACK_TRACE_DB) {
        int def = -1;
        for (i = 0; i < s->allocs.n; i++) {
            if (s->allocs.v[i].stack >= 0) continue;
            if (def < 0) {
                stack_spec st;
                st.name = xstrdup("(no stack given)");
                st.n = 2;
                st.f = xcalloc(2, sizeof(frame_spec));
                st.f[0].module = xstrdup("ntdll");
                st.f[0].func = xstrdup("RtlAllocateHeap");
                st.f[0].off = 0x1a4;
                st.f[1].module = xstrdup("ntdll");
                st.f[1].func = xstrdup("RtlUserThreadStart");
                st.f[1].off = 0x21;
                VPUSH(s->stacks, st);
                def = (int)s->stacks.n - 1;
            }
            s->allocs.v[i].stack = def;
        }
    }
    /* every page heap gets its NormalHeap (§8.1: root.NormalHeap), an ordinary private heap */
    {
        size_t nh = s->heaps.n;
        for (i = 0; i < nh; i++) {
            heap_spec h;
            if (!s->heaps.v[i].pageheap) continue;
            memset(&h, 0, sizeof h);
            h.name = xsprintf("%s-normal", s->heaps.v[i].name);
            h.bits = s->heaps.v[i].bits;
            h.flags = 0x1002;
            h.normal_of = (int)i;
            h.lfh = 0;
            VPUSH(s->heaps, h);
        }
    }
    /* the process heap comes first in its world (ProcessHeaps[0] == ProcessHeap) */
    for (w = 0; w < 2; w++) {
        int bits = w ? 64 : 32;
        size_t a, b;
        for (a = 0; a < s->heaps.n && !(s->heaps.v[a].bits == bits && s->heaps.v[a].process); a++) {}
        for (b = 0; b < s->heaps.n && s->heaps.v[b].bits != bits; b++) {}
        if (a < s->heaps.n && b < a) {
            heap_spec t = s->heaps.v[a];
            size_t k;
            memmove(&s->heaps.v[b + 1], &s->heaps.v[b], (a - b) * sizeof(heap_spec));
            s->heaps.v[b] = t;
            for (k = 0; k < s->allocs.n; k++) {
                int hi = s->allocs.v[k].heap;
                if (hi == (int)a) s->allocs.v[k].heap = (int)b;
                else if (hi >= (int)b && hi < (int)a) s->allocs.v[k].heap = hi + 1;
            }
            for (k = 0; k < s->heaps.n; k++) {
                int hi = s->heaps.v[k].normal_of;
                if (hi < 0) continue;
                if (hi == (int)a) s->heaps.v[k].normal_of = (int)b;
                else if (hi >= (int)b && hi < (int)a) s->heaps.v[k].normal_of = hi + 1;
            }
            for (k = 0; k < s->corrupts.n; k++) {
                int hi = s->corrupts.v[k].heap;
                if (hi == (int)a) s->corrupts.v[k].heap = (int)b;
                else if (hi >= (int)b && hi < (int)a) s->corrupts.v[k].heap = hi + 1;
            }
        }
    }
    return 0;
}

scenario *scenario_parse(const char *text, const char *name, const layout *lo, double scale, char *err, size_t errlen)
{
    scenario *s = xcalloc(1, sizeof *s);
    pctx p;
    char *copy = xstrdup(text), *line, *save = NULL;
    p.s = s;
    p.lo = lo;
    p.scale = scale;
    p.err = err;
    p.errlen = errlen;
    p.line = 0;
    s->name = xstrdup(name);
    /* strtok_r would skip empty lines and break line numbers: walk by hand */
    line = copy;
    while (line) {
        char *nl = strchr(line, '\n'), *tok[256];
        int n;
        if (nl) *nl = 0;
        p.line++;
        n = tokenize(line, tok, 256);
        if (n && statement(&p, tok, n)) {
            free(copy);
            scenario_free(s);
            return NULL;
        }
        line = nl ? nl + 1 : NULL;
    }
    (void)save;
    free(copy);
    if (normalize(&p)) {
        scenario_free(s);
        return NULL;
    }
    return s;
}

void scenario_free(scenario *s)
{
    size_t i, k;
    if (!s) return;
    free(s->name);
    free(s->process);
    for (i = 0; i < s->modules.n; i++) {
        module_spec *m = &s->modules.v[i];
        free(m->name);
        free(m->path);
        for (k = 0; k < m->exports.n; k++) free(m->exports.v[k].name);
        VFREE(m->exports);
    }
    VFREE(s->modules);
    for (i = 0; i < s->stacks.n; i++) {
        stack_spec *st = &s->stacks.v[i];
        int f;
        for (f = 0; f < st->n; f++) {
            free(st->f[f].module);
            free(st->f[f].func);
        }
        free(st->f);
        free(st->name);
    }
    VFREE(s->stacks);
    for (i = 0; i < s->heaps.n; i++) {
        free(s->heaps.v[i].name);
        VFREE(s->heaps.v[i].segments);
    }
    VFREE(s->heaps);
    VFREE(s->allocs);
    VFREE(s->corrupts);
    free(s);
}

/* ---- built-in scenarios ------------------------------------------------------------------------- */

static const char *DEFAULT_SCENARIO =
    "# default: a small native process with +ust, LFH traffic, fragmentation, UCR gaps and\n"
    "# VirtualAlloc'd blocks in two heaps.\n"
    "process demo.exe pid=4242 threads=3\n"
    "gflags +ust\n"
    "stack small ntdll!RtlAllocateHeap+0x1a4 KERNELBASE!LocalAlloc+0x5f demo!AppWorkerThread+0x3c kernel32!BaseThreadInitThunk+0xd ntdll!RtlUserThreadStart+0x1d\n"
    "stack parse ntdll!RtlAllocateHeap+0x1a4 msvcrt!malloc+0x7a demo!ParseRecord+0x112 demo!main+0x8e kernel32!BaseThreadInitThunk+0xd ntdll!RtlUserThreadStart+0x1d\n"
    "stack image ntdll!RtlAllocateHeap+0x1a4 msvcrt!malloc+0x7a imgproc!AllocImage+0x44 imgproc!LoadFrame+0x2b1 jit+0x1cf6\n"
    "heap process process lfh=on\n"
    "heap private flags=0x1002 reserve=256K lfh=on ucr-gaps=2\n"
    "alloc process 3000 16-256 stack=small free=20\n"
    "alloc process 800 300-4000 stack=parse free=35\n"
    "alloc process 40 8000-60000 stack=parse free=10 lfh=no\n"
    "alloc private 1500 24-1024 stack=parse free=30\n"
    "alloc private 6 2M-3M stack=image\n"
    "alloc private 200 20000-200000 stack=image free=40 lfh=no\n";

static const char *SEED_COMMON =
    "# seed: ../shared/seed/ - a .NET process with +ust leaking 16 MB (user size 0x1000040) and\n"
    "# 88 MB VirtualAlloc'd blocks from halcon.dll (two stacks), next to ordinary small\n"
    "# allocations and LFH traffic.  --scale 1 is the seed's 13 GB (41 x 16 MB + 147 x 88 MB blocks;\n"
    "# with the LFH's own VirtualAlloc block the halcon heap has the seed's 189 Virt blocks).\n"
    "process HalconApp.exe pid=7732 threads=4\n"
    "gflags +ust\n"
    "module clr.dll path=C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\clr.dll\n"
    "module mscoreei.dll path=C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\mscoreei.dll\n"
    "module HalconDotNet.dll path=\"C:\\Program Files\\MVTec\\HALCON-12.0\\bin\\dotnet35\\HalconDotNet.dll\"\n"
    "stack halcon_jit ntdll!RtlAllocateHeap+0x1ab halcon!HXmalloc+0x8b halcon!HXAllocRLTmp+0x265d halcon!HXAllocTmp+0xa80 halcon!HCancelWait+0x7a halcon!CCallHProc+0x73f jit+0xbcf6\n"
    "stack halcon_internal ntdll!RtlAllocateHeap+0x1ab halcon!HXmalloc+0x8b halcon!HXAllocRLTmp+0x265d halcon!HXAllocTmp+0xa80 halcon!HAllocImageData+0x1c4 halcon!HThreadPoolWorker+0x9e kernel32!BaseThreadInitThunk+0xd ntdll!RtlUserThreadStart+0x21\n"
    "stack halcon_small ntdll!RtlAllocateHeap+0x1ab halcon!HXmalloc+0x8b halcon!HXAllocTmp+0x3c halcon!CCallHProc+0x73f jit+0xbcf6\n"
    "stack clr_small ntdll!RtlAllocateHeap+0x1ab clr!EEHeapAllocInProcessHeap+0x43 clr!operator_new+0x2a clr!ClassLoader_LoadTypeHandle+0x1f1 jit+0x4a10\n"
    "stack app_small ntdll!RtlAllocateHeap+0x1ab msvcr100!malloc+0x5b HalconApp!AppWorkerThread+0x4c kernel32!BaseThreadInitThunk+0xd ntdll!RtlUserThreadStart+0x21\n"
    "heap process process lfh=on ucr-gaps=3\n"
    "heap clr flags=0x1002 lfh=on\n"
    "heap halcon flags=0x1002 lfh=on\n"
    "alloc process 20000 16-600 stack=clr_small free=15\n"
    "alloc process 4000 16-2000 stack=app_small free=30\n"
    "alloc clr 600 32-1024 stack=clr_small free=20\n"
    "alloc halcon 4000 64-16000 stack=halcon_small free=45 lfh=no\n"
    "alloc halcon 41 0x1000040 stack=halcon_jit\n"
    "alloc halcon 60 0x5800040 stack=halcon_jit\n"
    "alloc halcon 87 0x5800040 stack=halcon_internal\n";

/* On win7-x64 (the seed's OS) the addresses are the seed's own: halcon's functions sit where the
** WinDbg session shows them, the JIT frame is 0x7fe83e3bcf6, the halcon heap is 0x29fb0000
** with the nine segments `!heap -h` lists. */
static const char *SEED_WIN7 =
    "module ntdll.dll export=RtlAllocateHeap@0x2C1B0\n"
    "module halcon.dll base=0x7FED2200000 size=0x2400000 path=\"C:\\Program Files\\MVTec\\HALCON-12.0\\bin\\x64-win64\\halcon.dll\" "
    "export=HXAllocTmp@0xD6150 export=HXAllocRLTmp@0xDB1C0 export=HXmalloc@0x1047B0 export=HXfree@0x104900 "
    "export=CCallHProc@0x186450 export=HAllocImageData@0x1A2240 export=HThreadPoolWorker@0x21F0A80 export=HCancelWait@0x22A33F0\n"
    "segment halcon base=0x29fb0000 reserve=0x800000 commit=0x7eb000\n"
    "segment halcon base=0x26070000 reserve=0x100000 commit=0xff000\n"
    "segment halcon base=0x27d10000 reserve=0x200000 commit=0x1f7000\n"
    "segment halcon base=0x318a0000 reserve=0x400000 commit=0x400000\n"
    "segment halcon base=0x44a00000 reserve=0x800000 commit=0x5f1000\n"
    "segment halcon base=0x4ae90000 reserve=0xfd0000 commit=0xefc000\n"
    "segment halcon base=0x5b3b0000 reserve=0xfd0000 commit=0xe2e000\n"
    "segment halcon base=0x5d8c0000 reserve=0xfd0000 commit=0xcf1000\n"
    "segment halcon base=0x5c380000 reserve=0xfd0000 commit=0x2e7000\n";

static const char *SEED_OTHER =
    "module halcon.dll size=0x2400000 path=\"C:\\Program Files\\MVTec\\HALCON-12.0\\bin\\x64-win64\\halcon.dll\" "
    "export=HXAllocTmp@0xD6150 export=HXAllocRLTmp@0xDB1C0 export=HXmalloc@0x1047B0 export=HXfree@0x104900 "
    "export=CCallHProc@0x186450 export=HAllocImageData@0x1A2240 export=HThreadPoolWorker@0x21F0A80 export=HCancelWait@0x22A33F0\n";

static const char *BENCH_SCENARIO =
    "# bench: ~16 GB and ~10 million blocks (x64): LFH-heavy process heap, a fragmented\n"
    "# back-end heap, and a heap of 16 MB VirtualAlloc'd blocks.\n"
    "process bench.exe pid=5150 threads=8\n"
    "gflags +ust\n"
    "stack s1 ntdll!RtlAllocateHeap+0x1a4 msvcrt!malloc+0x7a bench!Parse+0x112 bench!main+0x8e kernel32!BaseThreadInitThunk+0xd ntdll!RtlUserThreadStart+0x1d\n"
    "stack s2 ntdll!RtlAllocateHeap+0x1a4 msvcrt!malloc+0x7a bench!Tokenize+0x4a bench!Parse+0x1f0 bench!main+0x8e kernel32!BaseThreadInitThunk+0xd\n"
    "stack s3 ntdll!RtlAllocateHeap+0x1a4 bench!NodeNew+0x21 bench!TreeInsert+0x9c jit+0x2200\n"
    "stack s4 ntdll!RtlAllocateHeap+0x1a4 msvcrt!malloc+0x7a bench!CacheFill+0x3d jit+0x3300\n"
    "stack s5 ntdll!RtlAllocateHeap+0x1a4 imgproc!AllocImage+0x44 imgproc!LoadFrame+0x2b1 jit+0x1cf6\n"
    "heap process process lfh=on\n"
    "heap work flags=0x1002 lfh=off ucr-gaps=1\n"
    "heap images flags=0x1002 lfh=on\n"
    "alloc process 3000000 16-512 stack=s1 free=10\n"
    "alloc process 3000000 16-256 stack=s3 free=5\n"
    "alloc work 2000000 16-1024 stack=s2 free=20\n"
    "alloc work 1600000 24-768 stack=s4 free=10\n"
    "alloc images 800 0x1000040 stack=s5\n";

scenario *scenario_load(const char *what, const layout *lo, double scale, char *err, size_t errlen)
{
    scenario *s;
    char *text;
    if (!strcmp(what, "default")) {
        text = xstrdup(DEFAULT_SCENARIO);
    } else if (!strcmp(what, "seed")) {
        if (lo->ptr != 8 || lo->wow64) {
            snprintf(err, errlen, "the seed scenario is a 64-bit process: use an x64 layout (win7-x64 is the seed's OS)");
            return NULL;
        }
        text = xsprintf("%s%s", SEED_COMMON, !strcmp(lo->name, "win7-x64") ? SEED_WIN7 : SEED_OTHER);
    } else if (!strcmp(what, "bench")) {
        if (lo->ptr != 8 || lo->wow64) {
            snprintf(err, errlen, "the bench scenario needs an x64 layout (16 GB do not fit a 32-bit process)");
            return NULL;
        }
        text = xstrdup(BENCH_SCENARIO);
    } else {
        FILE *f = fopen(what, "rb");
        long n;
        if (!f) {
            snprintf(err, errlen, "cannot open scenario file %s (built-in: default, seed, bench)", what);
            return NULL;
        }
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fseek(f, 0, SEEK_SET);
        if (n < 0 || n > (1 << 24)) {
            fclose(f);
            snprintf(err, errlen, "%s: not a scenario file", what);
            return NULL;
        }
        text = xmalloc((size_t)n + 1);
        if (fread(text, 1, (size_t)n, f) != (size_t)n) {
            fclose(f);
            free(text);
            snprintf(err, errlen, "%s: read error", what);
            return NULL;
        }
        text[n] = 0;
        fclose(f);
    }
    s = scenario_parse(text, what, lo, scale, err, errlen);
    free(text);
    return s;
}
