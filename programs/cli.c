/*
** cli.c - shared CLI plumbing (see cli.h): options, opening dumps, exit codes, number
** formatting, the JSON and CSV writers.
*/
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>   /* stat: say "directory" or "empty" rather than a bare errno */
#ifndef S_ISDIR          /* MSVC */
#  define S_ISDIR(m) (((m) & S_IFMT) == S_IFDIR)
#endif
#include "cli.h"
#include "platform.h"

static void progress_clear(void);   /* the progress line (below, with cli_open) */

/* ---- options ---------------------------------------------------------------------------- */

static const opt_spec *find_long(const opt_spec *s, const char *name, size_t len, int *idx)
{
    int i;
    for (i = 0; s[i].long_name; i++)
        if (strlen(s[i].long_name) == len && !strncmp(s[i].long_name, name, len)) {
            *idx = i;
            return &s[i];
        }
    return NULL;
}

int opts_parse(const char *cmd, int argc, char **argv, const opt_spec *specs, opt_result *res,
               const char **pos, int max_pos, int *npos)
{
    int i, only_pos = 0;
    *npos = 0;
    for (i = 0; i < argc; i++) {
        const char *a = argv[i];
        int idx = -1;
        const opt_spec *s = NULL;
        const char *val = NULL;
        if (!only_pos && !strcmp(a, "--")) { only_pos = 1; continue; }
        if (!only_pos && a[0] == '-' && a[1] == '-') {
            const char *eq = strchr(a + 2, '=');
            size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
            s = find_long(specs, a + 2, len, &idx);
            if (!s) {
                fprintf(stderr, "heapdig %s: unknown option '%s' (see 'heapdig %s --help')\n", cmd, a, cmd);
                return -1;
            }
            if (eq) {
                if (!s->has_arg) {
                    fprintf(stderr, "heapdig %s: option '--%s' takes no value\n", cmd, s->long_name);
                    return -1;
                }
                val = eq + 1;
            }
        } else if (!only_pos && a[0] == '-' && a[1] && a[2] == 0 && !isdigit((unsigned char)a[1])) {
            int k;
            for (k = 0; specs[k].long_name; k++)
                if (specs[k].short_name == a[1]) { s = &specs[k]; idx = k; break; }
            if (!s) {
                fprintf(stderr, "heapdig %s: unknown option '%s' (see 'heapdig %s --help')\n", cmd, a, cmd);
                return -1;
            }
        } else {
            if (*npos >= max_pos) {
                fprintf(stderr, "heapdig %s: unexpected argument '%s'\n", cmd, a);
                return -1;
            }
            pos[(*npos)++] = a;
            continue;
        }
        if (s->has_arg && !val) {
            if (i + 1 >= argc) {
                fprintf(stderr, "heapdig %s: option '--%s' needs a value\n", cmd, s->long_name);
                return -1;
            }
            val = argv[++i];
        }
        res[idx].present = 1;
        res[idx].value = val;
    }
    return 0;
}

void opts_usage(FILE *f, const char *cmd, const char *synopsis, const opt_spec *specs)
{
    int i;
    fprintf(f, "usage: heapdig %s %s\n", cmd, synopsis);
    if (specs[0].long_name) fprintf(f, "options:\n");
    for (i = 0; specs[i].long_name; i++) {
        char left[64];
        if (specs[i].short_name)
            snprintf(left, sizeof left, "-%c, --%s", specs[i].short_name, specs[i].long_name);
        else
            snprintf(left, sizeof left, "    --%s", specs[i].long_name);
        fprintf(f, "  %-22s %s\n", left, specs[i].help ? specs[i].help : "");
    }
}

int parse_u64(const char *s, uint64_t *out, int allow_suffix)
{
    char clean[64];
    size_t n = 0;
    const char *p;
    char *end;
    int base = 10;
    unsigned long long v;
    uint64_t mul = 1;
    if (!s || !*s) return -1;
    for (p = s; *p && n + 1 < sizeof clean; p++)
        if (*p != '`' && *p != '_') clean[n++] = *p;
    if (*p) return -1;
    clean[n] = 0;
    if (allow_suffix && n > 1) {
        char c = (char)tolower((unsigned char)clean[n - 1]);
        int hex = clean[0] == '0' && (clean[1] == 'x' || clean[1] == 'X');
        if (!hex && (c == 'k' || c == 'm' || c == 'g')) {
            mul = c == 'k' ? 1024 : c == 'm' ? 1024 * 1024 : (uint64_t)1024 * 1024 * 1024;
            clean[--n] = 0;
        }
    }
    if (clean[0] == '0' && (clean[1] == 'x' || clean[1] == 'X')) base = 16;
    errno = 0;
    v = strtoull(clean, &end, base);
    if (errno || *end || end == clean || clean[0] == '-') return -1;
    if (mul > 1 && v > UINT64_MAX / mul) return -1;
    *out = (uint64_t)v * mul;
    return 0;
}

int parse_addr(const char *s, uint64_t *out)
{
    char clean[64];
    size_t n = 0;
    const char *p;
    char *end;
    unsigned long long v;
    if (!s || !*s) return -1;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s += 2;
    for (p = s; *p && n + 1 < sizeof clean; p++)
        if (*p != '`') clean[n++] = *p;
    if (*p || n == 0) return -1;
    clean[n] = 0;
    errno = 0;
    v = strtoull(clean, &end, 16);
    if (errno || *end || clean[0] == '-') return -1;
    *out = v;
    return 0;
}

/* ---- opening ---------------------------------------------------------------------------- */

const char *cli_command = "";

/* The progress line on stderr: shown on a terminal only, from one second after the dump was
** opened, refreshed at most five times a second, erased when the library says the operation
** ended (phase NULL) and when the command finishes. */
static struct { double start, last; int shown; } prog;

static void progress_clear(void)
{
    if (prog.shown) fputs("\r\033[K", stderr);
    prog.shown = 0;
}

static void progress_cb(void *user, const hd_progress *p)
{
    double t;
    (void)user;
    if (!p->phase) { progress_clear(); return; }
    t = plat_now();
    if (t - prog.start < 1.0 || t - prog.last < 0.2) return;
    prog.last = t;
    if (p->total)
        fprintf(stderr, "\rheapdig %s: %s, %.0f%%...\033[K", cli_command, p->phase, 100.0 * (double)p->done / (double)p->total);
    else if (p->items)
        fprintf(stderr, "\rheapdig %s: %s: heap %zu of %zu, %.1f M blocks...\033[K", cli_command, p->phase, p->item, p->items,
                (double)p->blocks / 1e6);
    else
        fprintf(stderr, "\rheapdig %s: %s...\033[K", cli_command, p->phase);
    fflush(stderr);
    prog.shown = 1;
}

void cli_streaming(hd_dump *d)
{
    if (!plat_isatty(stdout)) return;
    hd_set_progress(d, NULL, NULL);
    progress_clear();
}

hd_dump *cli_open(const char *path)
{
    struct stat st;
    hd_dump *d = NULL;
    hd_err e = hd_open(path, NULL, &d);
    if (e == HD_OK && hd_stream_count(d) == 0) {
        /* a header and nothing else: no command can say anything */
        const hd_diag *g = hd_diag_count(d) ? hd_diag_get(d, 0) : NULL;
        fprintf(stderr, "heapdig: %s: no stream could be read%s%s\n", path, g ? ": " : "", g ? g->msg : "");
        hd_close(d);
        return NULL;
    }
    if (e == HD_OK) {
        if (plat_isatty(stderr)) {
            prog.start = plat_now();
            prog.last = 0;
            hd_set_progress(d, progress_cb, NULL);
        }
        return d;
    }
    switch (e) {
    case HD_EIO:
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            fprintf(stderr, "heapdig: %s: is a directory, not a dump file\n", path);
        else
            fprintf(stderr, "heapdig: %s: cannot open or map the file (%s)\n", path, strerror(errno ? errno : EIO));
        break;
    case HD_EFORMAT:
        fprintf(stderr, "heapdig: %s: not a minidump (no MDMP signature or unknown version)\n", path);
        break;
    case HD_ETRUNC:
        if (stat(path, &st) == 0 && st.st_size == 0)
            fprintf(stderr, "heapdig: %s: the file is empty (0 bytes): not a minidump\n", path);
        else
            fprintf(stderr, "heapdig: %s: truncated: the file is too short to hold a minidump header (32 bytes)\n", path);
        break;
    default:
        fprintf(stderr, "heapdig: %s: %s\n", path, hd_strerror(e));
        break;
    }
    return NULL;
}

void cli_no_heap(hd_dump *d, const char *what)
{
    hd_capture_verdict v = hd_capture_verdict_get(d);
    progress_clear();
    if (v.verdict == HD_CAPTURE_FULL)   /* the memory is there: the heaps themselves are unreadable */
        fprintf(stderr, "heapdig: %s: %s ('heapdig heaps --explain' says why each candidate was rejected)\n", hd_path(d), what);
    else
        fprintf(stderr, "heapdig: %s: %s: %s\n", hd_path(d), what, v.why);
    if (v.advice) fprintf(stderr, "heapdig: %s\n", v.advice);
}

void cli_print_diags(FILE *f, const hd_dump *d)
{
    size_t i, n = hd_diag_count(d);
    static const char *sev[] = {"info", "warning", "error"};
    for (i = 0; i < n; i++) {
        const hd_diag *g = hd_diag_get(d, i);
        if (g->has_addr)
            fprintf(f, "%s: %s: %s [0x%" PRIx64 "]: %s\n", hd_path(d), sev[g->sev], g->area, g->addr, g->msg);
        else
            fprintf(f, "%s: %s: %s: %s\n", hd_path(d), sev[g->sev], g->area, g->msg);
    }
    if (hd_diag_dropped(d))
        fprintf(f, "%s: ... and %" PRIu64 " more problems not kept\n", hd_path(d), hd_diag_dropped(d));
}

int cli_finish(hd_dump *d, int quiet)
{
    size_t i, n = hd_diag_count(d), warn = 0, err = 0;
    progress_clear();
    for (i = 0; i < n; i++) {
        const hd_diag *g = hd_diag_get(d, i);
        if (g->sev == HD_SEV_ERROR) err++;
        else if (g->sev == HD_SEV_WARN) warn++;
    }
    if (!quiet && (warn || err || hd_diag_dropped(d)))
        fprintf(stderr, "heapdig: %s: %zu error(s), %zu warning(s)%s; 'heapdig info --verbose %s' lists them\n",
                hd_path(d), err, warn, hd_diag_dropped(d) ? " (more not kept)" : "", hd_path(d));
    /* a heap walked by the command came out partial (damage, or memory missing from the dump) */
    return err || hd_heaps_partial(d) ? EXIT_PARTIAL : EXIT_ANSWER;
}

/* ---- formatting -------------------------------------------------------------------------- */

const char *fmt_addr(char buf[32], uint64_t v, unsigned ptr_size)
{
    if (ptr_size == 8 && (v >> 32))
        snprintf(buf, 32, "%" PRIx64 "`%08" PRIx64, v >> 32, v & 0xFFFFFFFFu);
    else
        snprintf(buf, 32, "%" PRIx64, v);
    return buf;
}

const char *fmt_addr_pad(char buf[32], uint64_t v, unsigned ptr_size)
{
    if (ptr_size == 8)
        snprintf(buf, 32, "%08" PRIx64 "`%08" PRIx64, v >> 32, v & 0xFFFFFFFFu);
    else
        snprintf(buf, 32, "%08" PRIx64, v & 0xFFFFFFFFu);
    return buf;
}

const char *fmt_size(char buf[32], uint64_t bytes)
{
    static const char *units[] = {"kB", "MB", "GB", "TB", "PB", "EB"};
    double v = (double)bytes / 1024.0;
    int u = 0;
    while (v >= 1024.0 && u < 5) { v /= 1024.0; u++; }
    snprintf(buf, 32, "%.3f %s", v, units[u]);
    return buf;
}

/* ---- JSON ------------------------------------------------------------------------------ */

void json_init(json *j, FILE *f, int pretty)
{
    memset(j, 0, sizeof *j);
    j->f = f;
    j->pretty = pretty;
    j->first[0] = 1;
}

static void json_indent(json *j)
{
    int i;
    if (!j->pretty) return;
    fputc('\n', j->f);
    for (i = 0; i < j->depth; i++) fputs("  ", j->f);
}

/* Before a value or a key: comma and indentation, unless right after a key. */
static void json_pre(json *j)
{
    if (j->after_key) { j->after_key = 0; return; }
    if (!j->first[j->depth]) fputc(',', j->f);
    j->first[j->depth] = 0;
    if (j->depth) json_indent(j);
}

static void json_open(json *j, char c)
{
    json_pre(j);
    fputc(c, j->f);
    if (j->depth < 63) j->depth++;
    j->first[j->depth] = 1;
}

static void json_close(json *j, char c)
{
    int empty = j->first[j->depth];
    if (j->depth) j->depth--;
    if (!empty) json_indent(j);
    fputc(c, j->f);
}

void json_begin_obj(json *j) { json_open(j, '{'); }
void json_end_obj(json *j) { json_close(j, '}'); }
void json_begin_arr(json *j) { json_open(j, '['); }
void json_end_arr(json *j) { json_close(j, ']'); }

static void json_quoted(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    fputc('"', f);
    for (; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20) fprintf(f, "\\u%04x", *p);
            else fputc(*p, f);
        }
    }
    fputc('"', f);
}

void json_key(json *j, const char *k)
{
    json_pre(j);
    json_quoted(j->f, k);
    fputs(j->pretty ? ": " : ":", j->f);
    j->after_key = 1;
}

void json_str(json *j, const char *s) { json_pre(j); json_quoted(j->f, s); }
void json_u64(json *j, uint64_t v) { json_pre(j); fprintf(j->f, "%" PRIu64, v); }
void json_i64(json *j, int64_t v) { json_pre(j); fprintf(j->f, "%" PRId64, v); }
void json_dbl(json *j, double v)
{
    json_pre(j);
    if (isfinite(v)) fprintf(j->f, "%.6g", v); else fputs("null", j->f);
}
void json_bool(json *j, int v) { json_pre(j); fputs(v ? "true" : "false", j->f); }
void json_null(json *j) { json_pre(j); fputs("null", j->f); }
void json_addr(json *j, uint64_t v) { json_pre(j); fprintf(j->f, "\"0x%" PRIx64 "\"", v); }
void json_kstr(json *j, const char *k, const char *s) { json_key(j, k); json_str(j, s); }
void json_ku64(json *j, const char *k, uint64_t v) { json_key(j, k); json_u64(j, v); }
void json_ki64(json *j, const char *k, int64_t v) { json_key(j, k); json_i64(j, v); }
void json_kbool(json *j, const char *k, int v) { json_key(j, k); json_bool(j, v); }
void json_kaddr(json *j, const char *k, uint64_t v) { json_key(j, k); json_addr(j, v); }
void json_kdbl(json *j, const char *k, double v) { json_key(j, k); json_dbl(j, v); }
void json_finish(json *j) { fputc('\n', j->f); }

void json_block_fields(json *j, const hd_block *b, int detail)
{
    json_kaddr(j, "heap", b->heap->address);
    json_kaddr(j, "address", b->address);
    json_kaddr(j, "user_address", b->user_address);
    json_ku64(j, "size", b->size);
    json_ku64(j, "user_size", b->user_size);
    json_kstr(j, "state", b->state == HD_BLOCK_BUSY ? "busy" : "free");
    json_kstr(j, "kind", hd_block_kind_name(b->kind));
    if (b->damaged) json_kbool(j, "damaged", 1);
    if (b->incomplete) json_kbool(j, "captured", 0);
    if (b->va_entry) {
        json_kaddr(j, "va_entry", b->va_entry);
        json_ku64(j, "commit_size", b->commit_size);
        json_ku64(j, "reserve_size", b->reserve_size);
    }
    if (b->subsegment) json_kaddr(j, "subsegment", b->subsegment);
    if (b->kind == HD_BLOCK_PAGEHEAP) {
        json_kaddr(j, "dph_node", b->dph_node);
        json_kaddr(j, "dph_virtual_block", b->dph_virtual_block);
    }
    if (detail) {
        if (b->segment >= 0 && (size_t)b->segment < b->heap->segment_count)
            json_kaddr(j, "segment", b->heap->segments[b->segment].address);
        json_ku64(j, "hdr_size", b->hdr_size);
        json_ku64(j, "hdr_previous_size", b->hdr_previous_size);
        json_ku64(j, "hdr_flags", b->hdr_flags);
        json_ku64(j, "hdr_unused_bytes", b->hdr_unused_bytes);
    }
    if (b->stack_scheme != HD_STACK_NONE) {
        json_kstr(j, "stack_scheme", hd_stack_scheme_name(b->stack_scheme));
        if (b->stack_scheme == HD_STACK_TRACE_INDEX) json_ku64(j, "stack_ref", b->stack_ref);
        else json_kaddr(j, "stack_ref", b->stack_ref);
    }
}

void json_diags(json *j, const hd_dump *d)
{
    static const char *sev[] = {"info", "warning", "error"};
    size_t i, n = hd_diag_count(d);
    json_key(j, "diagnostics");
    json_begin_arr(j);
    for (i = 0; i < n; i++) {
        const hd_diag *g = hd_diag_get(d, i);
        json_begin_obj(j);
        json_kstr(j, "severity", sev[g->sev]);
        json_kstr(j, "area", g->area);
        if (g->has_addr) json_kaddr(j, "address", g->addr); else { json_key(j, "address"); json_null(j); }
        json_kstr(j, "message", g->msg);
        json_kstr(j, "code", hd_strerror(g->code));
        json_end_obj(j);
    }
    json_end_arr(j);
    json_ku64(j, "diagnostics_dropped", hd_diag_dropped(d));
}

/* ---- CSV -------------------------------------------------------------------------------- */

void csv_str(FILE *f, const char *s, int last)
{
    const char *p;
    int quote = 0;
    for (p = s; *p; p++)
        if (*p == ',' || *p == '"' || *p == '\n' || *p == '\r') quote = 1;
    if (quote) {
        fputc('"', f);
        for (p = s; *p; p++) {
            if (*p == '"') fputc('"', f);
            fputc(*p, f);
        }
        fputc('"', f);
    } else {
        fputs(s, f);
    }
    fputc(last ? '\n' : ',', f);
}
