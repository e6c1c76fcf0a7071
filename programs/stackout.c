/*
** stackout.c - shared output of the stack commands (see stackout.h).
*/
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdlib.h>   /* getenv */
#include <string.h>
#include "stackout.h"

static int have_symbol_path;

int so_have_symbol_path(void) { return have_symbol_path; }

/* The distinct modules of the frames of GROUPS[0..n) (at most CAP), in order of appearance. */
static size_t modules_of(const hd_group *groups, size_t n, const hd_module **mods, size_t cap)
{
    size_t i, k, m, nm = 0;
    for (i = 0; i < n; i++)
        for (k = 0; groups[i].has_stack && k < groups[i].depth; k++) {
            const hd_module *mod = groups[i].frames[k]->module;
            if (!mod) continue;
            for (m = 0; m < nm && mods[m] != mod; m++) {}
            if (m == nm && nm < cap) mods[nm++] = mod;
        }
    return nm;
}

void so_print_symbol_notes(FILE *out, hd_dump *d, const hd_group *groups, size_t n)
{
    const hd_module *mods[64];
    size_t i, nm;
    if (!have_symbol_path) return;
    nm = modules_of(groups, n, mods, 64);
    if (!nm) return;
    fprintf(out, "Symbols of the modules above:\n");
    for (i = 0; i < nm; i++) {
        const hd_module_syms *ms = hd_module_symbols(d, mods[i]);
        if (!ms) continue;
        if (ms->pdb) fprintf(out, "  %-24s PDB %s (%zu functions)\n", mods[i]->name, ms->pdb_path, ms->pdb_symbols);
        else fprintf(out, "  %-24s %s; names from %zu exports\n", mods[i]->name, ms->note, ms->exports);
    }
}

void so_json_symbols(json *j, hd_dump *d, const hd_group *groups, size_t n)
{
    const hd_module *mods[256];
    size_t i, nm = modules_of(groups, n, mods, 256);
    json_key(j, "symbols");
    json_begin_arr(j);
    for (i = 0; i < nm; i++) {
        const hd_module_syms *ms = hd_module_symbols(d, mods[i]);
        if (!ms) continue;
        json_begin_obj(j);
        json_kstr(j, "module", mods[i]->name);
        json_kaddr(j, "base", mods[i]->base);
        json_kbool(j, "pdb", ms->pdb);
        json_kstr(j, "pdb_path", ms->pdb_path);
        json_ku64(j, "pdb_symbols", ms->pdb_symbols);
        json_ku64(j, "exports", ms->exports);
        json_kstr(j, "note", ms->note);
        json_end_obj(j);
    }
    json_end_arr(j);
}

void so_symbols(hd_dump *d, const char *opt_value)
{
    const char *env = getenv("_NT_SYMBOL_PATH");
    have_symbol_path = (opt_value && *opt_value) || (env && *env);
    if (opt_value && hd_sym_add_path(d, opt_value) != HD_OK)
        fprintf(stderr, "heapdig: out of memory reading --symbols\n");
    if (env && *env && hd_sym_add_path(d, env) != HD_OK)
        fprintf(stderr, "heapdig: out of memory reading _NT_SYMBOL_PATH\n");
}

const char *so_human(char buf[32], uint64_t bytes)
{
    static const char *units[] = {"kB", "MB", "GB", "TB", "PB", "EB"};
    double v;
    int u = 0;
    if (bytes < 1024) { snprintf(buf, 32, "%" PRIu64 " B", bytes); return buf; }
    v = (double)bytes / 1024.0;
    while (v >= 1023.95 && u < 5) { v /= 1024.0; u++; }
    snprintf(buf, 32, "%.1f %s", v, units[u]);
    return buf;
}

const char *so_human_signed(char buf[40], int64_t bytes)
{
    char t[32];
    uint64_t mag = bytes < 0 ? (uint64_t)0 - (uint64_t)bytes : (uint64_t)bytes;
    snprintf(buf, 40, "%s%s", bytes < 0 ? "-" : "+", so_human(t, mag));
    return buf;
}

void so_print_sizes(FILE *out, const hd_group *g)
{
    size_t i;
    char b[32], b2[32], c[32];
    if (g->other_sizes_count || g->size_kinds == 0) {
        fprintf(out, "sizes %s .. %s, %s on average", so_human(b, g->min_size), so_human(b2, g->max_size),
                so_human(c, g->count ? g->bytes / g->count : 0));
        return;
    }
    for (i = 0; i < g->size_kinds; i++) {
        if (i) fputs(", ", out);
        fprintf(out, "%s%s of %s (0x%" PRIx64 ")", so_count(c, g->sizes[i].count),
                i ? "" : g->sizes[i].count == 1 ? " block" : " blocks", so_human(b, g->sizes[i].size), g->sizes[i].size);
    }
}

const char *so_count(char buf[32], uint64_t n)
{
    char t[32];
    int len, i, o = 0;
    len = snprintf(t, sizeof t, "%" PRIu64, n);
    for (i = 0; i < len; i++) {
        if (i && (len - i) % 3 == 0) buf[o++] = ',';
        buf[o++] = t[i];
    }
    buf[o] = 0;
    return buf;
}

const char *so_frame_short(char *buf, size_t cap, const hd_frame *f)
{
    if (f->module) snprintf(buf, cap, "%s", f->text);
    else if (f->jit) snprintf(buf, cap, "%s <JIT>", f->text);
    else snprintf(buf, cap, "%s <%s>", f->text, f->region);
    return buf;
}

void so_print_frames(FILE *out, const char *indent, const hd_frame *const *frames, size_t depth, unsigned ptr)
{
    size_t i;
    char a[32];
    for (i = 0; i < depth; i++) {
        const hd_frame *f = frames[i];
        if (f->module) fprintf(out, "%s%16s  %s\n", indent, fmt_addr(a, f->address, ptr), f->text);
        else fprintf(out, "%s%16s  <%s>\n", indent, fmt_addr(a, f->address, ptr), f->region);
    }
}

const char *so_format_chain(char *buf, size_t cap, const hd_frame *const *frames, size_t depth, size_t site)
{
    size_t i, n = depth - site, o = 0;
    char b[512];
    if (cap == 0) return buf;
    buf[0] = 0;
    if (depth == 0) { snprintf(buf, cap, "(empty stack)"); return buf; }
    for (i = site; i < depth && o + 1 < cap; i++) {
        size_t k = i - site;
        int w;
        if (n > 5 && k == 3) {
            w = snprintf(buf + o, cap - o, " \xe2\x86\x90 \xe2\x80\xa6");   /* " ← …" */
            i = depth - 2;
        } else {
            w = snprintf(buf + o, cap - o, "%s%s", k ? " \xe2\x86\x90 " : "", so_frame_short(b, sizeof b, frames[i]));
        }
        if (w < 0) break;
        o += (size_t)w < cap - o ? (size_t)w : cap - o - 1;
    }
    return buf;
}

void so_print_chain(FILE *out, const hd_frame *const *frames, size_t depth, size_t site)
{
    char buf[4096];
    fputs(so_format_chain(buf, sizeof buf, frames, depth, site), out);
}

void so_json_stack(json *j, const char *key, const hd_frame *const *frames, size_t depth)
{
    size_t i;
    json_key(j, key);
    json_begin_arr(j);
    for (i = 0; i < depth; i++) json_str(j, frames[i]->text);
    json_end_arr(j);
}

/* Frames may not contain ';' (the separator) or a trailing number confusion: map ';' to ':'. */
static void folded_frame(FILE *out, const char *s)
{
    for (; *s; s++) fputc(*s == ';' ? ':' : *s == ' ' ? '_' : *s, out);
}

void so_folded(FILE *out, const hd_group *g, uint64_t value)
{
    size_t i;
    if (g->has_stack && g->depth && (g->size == 0)) {
        for (i = g->depth; i-- > 0;) {
            folded_frame(out, g->frames[i]->text);
            if (i) fputc(';', out);
        }
    } else if (g->size) {
        fputs("[no allocation stack];", out);
        fprintf(out, "size_0x%" PRIx64, g->size);
    } else {
        folded_frame(out, g->key);
    }
    fprintf(out, " %" PRIu64 "\n", value);
}

/* The process's image name, for the gflags command line. */
static const char *exe_name(hd_dump *d)
{
    size_t i, n = hd_module_count(d);
    for (i = 0; i < n; i++) {
        const hd_module *m = hd_module_at(d, i);
        size_t len = strlen(m->name);
        if (len > 4 && (!strcmp(m->name + len - 4, ".exe") || !strcmp(m->name + len - 4, ".EXE"))) return m->name;
    }
    return "APP.exe";
}

const char *so_ust_advice_text(hd_dump *d, char *buf, size_t cap)
{
    const char *exe = exe_name(d);
    snprintf(buf, cap,
             "No heap block carries an allocation stack: the process ran without the user-mode stack trace "
             "database. To see who allocated the memory, enable it for the program, restart it, let the memory "
             "grow and capture a full dump again:\n"
             "  gflags /i %s +ust          (Debugging Tools for Windows; undo with -ust)\n"
             "  procdump -ma <pid> after.dmp\n"
             "Page heap (gflags /p /enable %s /full) records stacks too, at a large memory cost.",
             exe, exe);
    return buf;
}

void so_print_ust_advice(FILE *out, hd_dump *d, const char *indent)
{
    char buf[1024], *line, *save = NULL;
    so_ust_advice_text(d, buf, sizeof buf);
    for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        fprintf(out, "%s%s\n", indent, line);
}

unsigned so_ptr_size(hd_dump *d)
{
    const hd_sysinfo *s = hd_sysinfo_get(d);
    return s->arch == HD_ARCH_X86 || s->arch == HD_ARCH_ARM ? 4 : 8;
}
