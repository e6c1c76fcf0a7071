/*
** cmd_report.c - `heapdig report DUMP [OLD_DUMP] -o report.html`: one self-contained HTML file
** (inline CSS, a few lines of inline JavaScript, SVG charts; nothing fetched from the network)
** for a reader who has never used WinDbg: the process at a glance, memory by usage, the heaps,
** the top allocation stacks with a chart, growth since OLD_DUMP, and the problems found.
**
** Every string that comes from a dump (module paths, symbol names, diagnostics) is HTML-escaped.
*/
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "stackout.h"

static const opt_spec specs[] = {
    {"output", 'o', 1, "FILE  where to write the report (default: report.html)"},
    {"top", 'n', 1, "N  allocation stacks to show (default 15)"},
    {"symbols", 0, 1, "DIR[;DIR...]  local PDB directories; _NT_SYMBOL_PATH too"},
    {"help", 'h', 0, "this help"},
    {NULL, 0, 0, NULL},
};
enum { O_OUT, O_TOP, O_SYMBOLS, O_HELP, O_COUNT };
#define SYNOPSIS "[-o report.html] [-n N] [--symbols DIR] DUMP [OLD_DUMP]"

/* ---- HTML helpers ----------------------------------------------------------------------------- */

static void esc(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default:
            if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t') fputc('?', f);
            else fputc(*s, f);
        }
    }
}

static double pct(uint64_t part, uint64_t whole) { return whole ? 100.0 * (double)part / (double)whole : 0.0; }

static const char *CSS =
    ":root{--fg:#1d2330;--muted:#5b6475;--line:#dde2ea;--bg:#f6f8fb;--card:#fff;--accent:#2f6fdf;--bad:#c8372d;--warn:#b7791f;--good:#2f855a}"
    "*{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg);background:var(--bg)}"
    "header{background:#1d2330;color:#fff;padding:22px 32px}header h1{margin:0;font-size:22px}header p{margin:4px 0 0;color:#c9d1e0}"
    "main{max-width:1180px;margin:0 auto;padding:8px 24px 48px}section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 22px;margin:18px 0}"
    "h2{margin:0 0 6px;font-size:19px}h3{font-size:16px;margin:14px 0 6px}p.lead{color:var(--muted);margin:0 0 12px}"
    ".cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:12px}.card{border:1px solid var(--line);border-radius:8px;padding:12px 14px}"
    ".card .v{font-size:22px;font-weight:650}.card .k{color:var(--muted);font-size:13px}"
    "table{border-collapse:collapse;width:100%;font-size:14px}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}"
    "th{color:var(--muted);font-weight:600;cursor:pointer;user-select:none}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}"
    "code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}"
    ".stack{margin:6px 0 0;padding:8px 10px;background:#f3f5f9;border-radius:6px;overflow-x:auto;white-space:pre}"
    ".site{font-weight:650}.jit{color:var(--warn)}.alloc{color:var(--muted)}"
    "details{border:1px solid var(--line);border-radius:8px;padding:10px 14px;margin:10px 0}details[open]{background:#fcfdff}"
    "summary{cursor:pointer;font-weight:600}summary .amt{color:var(--accent)}"
    ".problem{border-left:4px solid var(--warn);padding:6px 12px;margin:8px 0;background:#fffaf0}.problem.err{border-color:var(--bad);background:#fff5f5}"
    ".ok{border-left:4px solid var(--good);padding:6px 12px;background:#f0fff4}"
    "svg text{font:12px system-ui,sans-serif;fill:var(--fg)}.bar{fill:var(--accent)}.bar.grow{fill:var(--bad)}.bar.shrink{fill:var(--good)}"
    "dl.gl dt{font-weight:600;margin-top:8px}dl.gl dd{margin:0 0 0 16px;color:var(--muted)}footer{color:var(--muted);font-size:13px;text-align:center;padding:16px}";

/* Sortable tables and a marker that the page's script ran (the rendering test looks for it). */
static const char *JS =
    "document.querySelectorAll('table.sortable th').forEach(function(th,i){th.addEventListener('click',function(){"
    "var t=th.closest('table'),b=t.tBodies[0],rows=Array.prototype.slice.call(b.rows),num=th.classList.contains('n'),"
    "dir=th.dataset.dir==='asc'?'desc':'asc';th.dataset.dir=dir;rows.sort(function(x,y){"
    "var a=x.cells[i].dataset.v||x.cells[i].textContent,c=y.cells[i].dataset.v||y.cells[i].textContent;"
    "var r=num?(parseFloat(a)-parseFloat(c)):a.localeCompare(c);return dir==='asc'?r:-r;});"
    "rows.forEach(function(r){b.appendChild(r);});});});"
    "document.body.setAttribute('data-rendered','yes');";

/* A horizontal bar chart: LABELS[i] with VALUES[i] (bytes), drawn to the largest. */
static void bar_chart(FILE *f, const char *title, const char *const *labels, const int64_t *values, size_t n, int signed_colors)
{
    size_t i;
    int64_t maxv = 1;
    const int w = 1080, label_w = 430, row = 26, bar_w = w - label_w - 110;
    char b[40];
    for (i = 0; i < n; i++) {
        int64_t v = values[i] < 0 ? -values[i] : values[i];
        if (v > maxv) maxv = v;
    }
    fprintf(f, "<svg role=\"img\" aria-label=\"");
    esc(f, title);
    fprintf(f, "\" viewBox=\"0 0 %d %zu\" width=\"100%%\" preserveAspectRatio=\"xMinYMin meet\">\n", w, n * row + 8);
    for (i = 0; i < n; i++) {
        int64_t v = values[i] < 0 ? -values[i] : values[i];
        double len = (double)bar_w * (double)v / (double)maxv;
        const char *cls = signed_colors ? (values[i] >= 0 ? "bar grow" : "bar shrink") : "bar";
        size_t yy = i * row + 4;
        fprintf(f, "<text x=\"%d\" y=\"%zu\" text-anchor=\"end\">", label_w - 8, yy + 16);
        {
            /* labels are shortened to fit the column */
            char lab[72];
            size_t ln = strlen(labels[i]);
            if (ln > 64) snprintf(lab, sizeof lab, "%.30s\xe2\x80\xa6%s", labels[i], labels[i] + ln - 30);
            else snprintf(lab, sizeof lab, "%s", labels[i]);
            esc(f, lab);
        }
        fprintf(f, "</text><rect class=\"%s\" x=\"%d\" y=\"%zu\" width=\"%.1f\" height=\"%d\" rx=\"3\"/>", cls, label_w, yy + 3,
                len < 1 && v ? 1.0 : len, row - 8);
        fprintf(f, "<text x=\"%.1f\" y=\"%zu\">", label_w + len + 6, yy + 16);
        if (signed_colors) esc(f, so_human_signed(b, values[i])); else esc(f, so_human(b, (uint64_t)values[i]));
        fprintf(f, "</text>\n");
    }
    fprintf(f, "</svg>\n");
}

static void stack_block(FILE *f, const hd_group *g)
{
    size_t i;
    char a[32];
    fprintf(f, "<div class=\"stack mono\">");
    for (i = 0; i < g->depth; i++) {
        const hd_frame *fr = g->frames[i];
        const char *cls = i == g->site_index ? "site" : i < g->site_index ? "alloc" : fr->jit ? "jit" : "";
        fprintf(f, "<span class=\"%s\">%16s  ", cls, fmt_addr(a, fr->address, 8));
        esc(f, fr->text);
        if (!fr->module) {
            fputs("  &lt;", f);
            esc(f, fr->jit ? "JIT-compiled code (.NET?): name it with !ip2md in WinDbg+SOS" : fr->region);
            fputs("&gt;", f);
        }
        if (i == g->site_index) fputs("   \xe2\x86\x90 allocation site", f);
        fputs("</span>\n", f);
    }
    fprintf(f, "</div>\n");
}

/* "#2 halcon!HXmalloc+0x8b": rank and allocation site (or size), for charts and headings. */
static const char *group_label(char *buf, size_t cap, size_t rank, const hd_group *g)
{
    if (g->has_stack && g->depth && g->size == 0) snprintf(buf, cap, "#%zu %s", rank, g->site);
    else if (g->size) snprintf(buf, cap, "#%zu no stack, blocks of 0x%" PRIx64 " bytes", rank, g->size);
    else snprintf(buf, cap, "#%zu %s", rank, g->key);
    return buf;
}

/* The site and the outer frames, as one line: "halcon!HXmalloc+0x8b ← … ← 0x7fe83e3bcf6 <JIT>". */
static void chain_html(FILE *f, const hd_group *g)
{
    char buf[4096];
    esc(f, so_format_chain(buf, sizeof buf, g->frames, g->depth, g->site_index));
}

/* ---- sections ------------------------------------------------------------------------------- */

static void section_glance(FILE *f, hd_dump *d, const hd_summary *s, const hd_addr_summary *as, size_t problems)
{
    const hd_sysinfo *si = hd_sysinfo_get(d);
    const hd_process *p = hd_process_get(d);
    char b[32], c[32];
    const hd_miscinfo *mi = hd_miscinfo_get(d);
    const char *exe = NULL;
    size_t i;
    for (i = 0; i < hd_module_count(d) && !exe; i++) {
        const char *nm = hd_module_at(d, i)->name;
        size_t ln = strlen(nm);
        if (ln > 4 && (!strcmp(nm + ln - 4, ".exe") || !strcmp(nm + ln - 4, ".EXE"))) exe = nm;
    }
    fprintf(f, "<section id=\"glance\"><h2>The process at a glance</h2>\n<p class=\"lead\">");
    if (exe) {
        fputs("<b>", f);
        esc(f, exe);
        fputs("</b>", f);
        if (mi->has_pid) fprintf(f, " (process id %u)", mi->pid);
        fputs(" on ", f);
    }
    fprintf(f, "Windows %u.%u.%u, %s%s; %zu threads, %zu modules.", si->major, si->minor, si->build,
            hd_arch_name(si->arch), p->wow64 ? " (a 32-bit process running under WoW64)" : "", hd_thread_count(d),
            hd_module_count(d));
    fprintf(f, "</p>\n<div class=\"cards\">\n");
    fprintf(f, "<div class=\"card\"><div class=\"v\">%s</div><div class=\"k\">memory in use (committed)</div></div>\n",
            so_human(b, as->state_commit.size));
    fprintf(f, "<div class=\"card\"><div class=\"v\">%s</div><div class=\"k\">in heap blocks the program allocated (%s blocks)</div></div>\n",
            so_human(b, s->busy_bytes), so_count(c, s->busy_blocks));
    if (s->group_count) {
        const hd_group *g = &s->groups[0];
        char lab[300];
        fprintf(f, "<div class=\"card\"><div class=\"v\">%.1f%%</div><div class=\"k\">of it from one place: <span class=\"mono\">",
                pct(g->bytes, s->busy_bytes));
        esc(f, g->has_stack && g->depth ? g->site : group_label(lab, sizeof lab, 1, g));
        fprintf(f, "</span></div></div>\n");
    }
    fprintf(f, "<div class=\"card\"><div class=\"v\">%s</div><div class=\"k\">allocation stacks recorded (+ust)</div></div>\n",
            s->traced_blocks ? "yes" : "no");
    fprintf(f, "<div class=\"card\"><div class=\"v\">%zu</div><div class=\"k\">problems found (see the last section)</div></div>\n",
            problems);
    fprintf(f, "</div></section>\n");
}

static void section_usage(FILE *f, const hd_addr_summary *as)
{
    const char *labels[HD_USAGE_COUNT];
    int64_t vals[HD_USAGE_COUNT];
    size_t n = 0, i;
    char b[32];
    fprintf(f, "<section id=\"usage\"><h2>Memory by usage</h2>\n<p class=\"lead\">What the process's address space holds "
               "(WinDbg: <code>!address -summary</code>). <b>Heap</b> is memory handed out by <code>malloc</code>, "
               "<code>new</code> and <code>HeapAlloc</code>; <b>Image</b> is the program's code and DLLs; <b>Stack</b> the "
               "threads' stacks; <b>&lt;unknown&gt;</b> is memory allocated directly with VirtualAlloc (for example the .NET "
               "garbage-collected heap).</p>\n");
    if (!as->from_memory_info) fprintf(f, "<p class=\"problem\">This dump has no memory map (MemoryInfoList): the figures cover the captured memory only.</p>\n");
    for (i = 0; i < HD_USAGE_COUNT; i++) {
        if (i == HD_USAGE_FREE || as->usage[i].size == 0) continue;
        labels[n] = hd_usage_name((hd_usage)i);
        vals[n++] = (int64_t)as->usage[i].size;
    }
    /* largest first */
    for (i = 1; i < n; i++) {
        size_t k = i;
        while (k > 0 && vals[k] > vals[k - 1]) {
            int64_t tv = vals[k]; const char *tl = labels[k];
            vals[k] = vals[k - 1]; labels[k] = labels[k - 1];
            vals[k - 1] = tv; labels[k - 1] = tl;
            k--;
        }
    }
    bar_chart(f, "memory by usage", labels, vals, n, 0);
    fprintf(f, "<table class=\"sortable\"><thead><tr><th>Usage</th><th class=\"n\">Regions</th><th class=\"n\">Size</th>"
               "<th class=\"n\">%% of busy</th></tr></thead><tbody>\n");
    for (i = 0; i < HD_USAGE_COUNT; i++) {
        if (as->usage[i].regions == 0) continue;
        char pc[32] = "";
        if (i != HD_USAGE_FREE) snprintf(pc, sizeof pc, "%.2f%%", pct(as->usage[i].size, as->busy));
        fprintf(f, "<tr><td>");
        esc(f, hd_usage_name((hd_usage)i));
        fprintf(f, "</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\" data-v=\"%" PRIu64 "\">%s</td><td class=\"n\">%s</td></tr>\n",
                as->usage[i].regions, as->usage[i].size, so_human(b, as->usage[i].size), pc);
    }
    fprintf(f, "</tbody></table></section>\n");
}

static void section_heaps(FILE *f, hd_dump *d)
{
    size_t i, n = hd_heap_count(d);
    char a[32], b[32], c[32], fr[32];
    fprintf(f, "<section id=\"heaps\"><h2>Heaps</h2>\n<p class=\"lead\">Each heap is a pool the program allocates from "
               "(WinDbg: <code>!heap -s</code>). <b>In use</b> is what the program asked for and has not freed; big "
               "requests (over about 512 KB on 64-bit) get their own <b>VirtualAlloc</b> block outside the heap's segments.</p>\n");
    fprintf(f, "<table class=\"sortable\"><thead><tr><th>Heap</th><th>What</th><th class=\"n\">In use</th><th class=\"n\">Blocks</th>"
               "<th class=\"n\">VirtualAlloc blocks</th><th class=\"n\">Free</th><th>Notes</th></tr></thead><tbody>\n");
    for (i = 0; i < n; i++) {
        const hd_heap *h = hd_heap_at(d, i);
        if (!h) continue;
        if (h->kind == HD_HEAP_NT) hd_heap_analyze(d, h);
        fprintf(f, "<tr><td class=\"mono\">%s</td><td>", fmt_addr(a, h->address, h->ptr_size ? h->ptr_size : 8));
        esc(f, h->label && *h->label ? h->label : h->kind_name);
        if (h->layout_title && *h->layout_title) { fputs(" <span class=\"alloc\">(", f); esc(f, h->layout_title); fputs(")</span>", f); }
        if (h->kind == HD_HEAP_NT && h->analyzed) {
            fprintf(f, "</td><td class=\"n\" data-v=\"%" PRIu64 "\">%s</td><td class=\"n\">%s</td><td class=\"n\" data-v=\"%" PRIu64 "\">%" PRIu64 " (%s)</td>"
                       "<td class=\"n\" data-v=\"%" PRIu64 "\">%s</td><td>",
                    h->totals.busy_user_bytes, so_human(b, h->totals.busy_user_bytes), so_count(c, h->totals.busy_blocks),
                    h->totals.virtual_blocks, h->totals.virtual_blocks, so_human(a, h->totals.virtual_bytes), h->totals.free_bytes,
                    so_human(fr, h->totals.free_bytes));
        } else {
            fprintf(f, "</td><td class=\"n\"></td><td class=\"n\"></td><td class=\"n\"></td><td class=\"n\"></td><td>");
        }
        if (h->front_end_type == 2) fputs("LFH on. ", f);
        if (h->flags & 0x08000000u) fputs("Records allocation stacks. ", f);
        if (h->partial) fputs("<b>Incomplete</b> (damage or memory missing from the dump). ", f);
        if (h->kind != HD_HEAP_NT) { esc(f, h->kind_name); fputs(" (not walked). ", f); }
        fprintf(f, "</td></tr>\n");
    }
    if (n == 0) fprintf(f, "<tr><td colspan=\"7\">No heap was found in this dump (its heap memory may not have been captured).</td></tr>\n");
    fprintf(f, "</tbody></table></section>\n");
}

static void section_top(FILE *f, hd_dump *d, const hd_summary *s, size_t limit)
{
    size_t i, n = limit < s->group_count ? limit : s->group_count;
    const char **labels = calloc(n + 1, sizeof *labels);
    int64_t *vals = calloc(n + 1, sizeof *vals);
    char (*labbuf)[300] = calloc(n + 1, sizeof *labbuf);
    char b[32], c[32], a[32];
    fprintf(f, "<section id=\"top\"><h2>Where the heap memory went: top allocation stacks</h2>\n");
    fprintf(f, "<p class=\"lead\">Every block the program allocated and has not freed, grouped by the call stack that "
               "allocated it (the code path). The <b>allocation site</b> is the first frame that is not the heap or the "
               "C runtime itself &mdash; usually the function to look at. %s in %s blocks in total.</p>\n",
            so_human(b, s->busy_bytes), so_count(c, s->busy_blocks));
    if (!labels || !vals || !labbuf) { fputs("<p>out of memory</p></section>\n", f); free(labels); free(vals); free(labbuf); return; }
    if (s->heaps_walked == 0) {
        fprintf(f, "<div class=\"problem err\"><p>No heap could be read: this dump does not contain the memory of the "
                   "process's heaps (it was written without full memory, or the heaps are of a kind heapdig does not "
                   "walk; the Heaps section below says which).</p><p>To find where the memory went, capture a full dump "
                   "of the process: <code>procdump -ma &lt;pid&gt;</code>, or Task Manager &rarr; Details &rarr; right-click "
                   "&rarr; Create dump file.</p></div>\n");
    }
    if (s->busy_blocks && s->traced_blocks == 0) {
        char adv[1024];
        fprintf(f, "<div class=\"problem\"><p>");
        esc(f, so_ust_advice_text(d, adv, sizeof adv));
        fprintf(f, "</p><p>Until then the blocks are grouped by their size below.</p></div>\n");
    }
    for (i = 0; i < n; i++) {
        labels[i] = group_label(labbuf[i], sizeof labbuf[i], i + 1, &s->groups[i]);
        vals[i] = (int64_t)s->groups[i].bytes;
    }
    bar_chart(f, "top allocation stacks", labels, vals, n, 0);
    for (i = 0; i < n; i++) {
        const hd_group *g = &s->groups[i];
        fprintf(f, "<details id=\"top-stack-%zu\"%s><summary>#%zu <span class=\"amt\">%s</span> in %s block%s (%.1f%%) &mdash; ",
                i + 1, i == 0 ? " open" : "", i + 1, so_human(b, g->bytes), so_count(c, g->count), g->count == 1 ? "" : "s",
                pct(g->bytes, s->busy_bytes));
        if (g->has_stack && g->depth) { fputs("<span class=\"mono\">", f); chain_html(f, g); fputs("</span>", f); }
        else fprintf(f, "blocks of %s (0x%" PRIx64 ") without allocation stack", so_human(a, g->size), g->size);
        fprintf(f, "</summary>\n<p>");
        if (g->min_size == g->max_size) fprintf(f, "Each block is %s (0x%" PRIx64 " bytes).", so_human(b, g->min_size), g->min_size);
        else fprintf(f, "Blocks of %s to %s.", so_human(b, g->min_size), so_human(c, g->max_size));
        fprintf(f, " One of them: user address <span class=\"mono\">%s</span>", fmt_addr(a, g->example, 8));
        fprintf(f, " in heap <span class=\"mono\">%s</span> (<code>heapdig find DUMP %s</code> shows it).</p>\n",
                fmt_addr(b, g->example_heap, 8), fmt_addr(c, g->example, 8));
        if (g->has_stack && g->depth) stack_block(f, g);
        fprintf(f, "</details>\n");
    }
    if (n < s->group_count) fprintf(f, "<p>%zu smaller groups are not shown (<code>heapdig top -n 0</code> lists all).</p>\n", s->group_count - n);
    fprintf(f, "</section>\n");
    free(labels);
    free(vals);
    free(labbuf);
}

static void section_growth(FILE *f, hd_dump *od, const hd_summary *os, const hd_summary *ns, const hd_diff *df, size_t limit)
{
    size_t i, n = 0;
    const char **labels = calloc(limit + 1, sizeof *labels);
    int64_t *vals = calloc(limit + 1, sizeof *vals);
    char (*labbuf)[300] = calloc(limit + 1, sizeof *labbuf);
    char b[40], c[32], e[32];
    fprintf(f, "<section id=\"growth\"><h2>What grew since the earlier dump</h2>\n<p class=\"lead\">Compared with <span class=\"mono\">");
    esc(f, hd_path(od));
    fprintf(f, "</span>: busy heap bytes went from %s to %s (%s). Stacks are matched by function names, so moved DLLs do not matter.</p>\n",
            so_human(c, os->busy_bytes), so_human(e, ns->busy_bytes), so_human_signed(b, df->bytes_delta));
    if (!labels || !vals || !labbuf) { fputs("</section>\n", f); free(labels); free(vals); free(labbuf); return; }
    for (i = 0; i < df->row_count && n < limit; i++) {
        const hd_diff_row *r = &df->rows[i];
        const hd_group *g = r->new_group ? r->new_group : r->old_group;
        if (r->bytes_delta <= 0) break;
        labels[n] = group_label(labbuf[n], sizeof labbuf[n], n + 1, g);
        vals[n++] = r->bytes_delta;
    }
    if (n == 0) fprintf(f, "<p class=\"ok\">Nothing grew.</p>\n");
    else bar_chart(f, "growth by allocation stack", labels, vals, n, 1);
    for (i = 0; i < n; i++) {
        const hd_diff_row *r = &df->rows[i];
        const hd_group *g = r->new_group ? r->new_group : r->old_group;
        fprintf(f, "<details id=\"growth-%zu\"><summary>#%zu <span class=\"amt\">%s</span> in %+" PRId64 " blocks &mdash; <span class=\"mono\">",
                i + 1, i + 1, so_human_signed(b, r->bytes_delta), r->count_delta);
        if (g->has_stack && g->depth && g->size == 0) chain_html(f, g); else esc(f, labels[i]);
        fprintf(f, "</span></summary>\n<p>%s blocks before, %s now.</p>\n", so_count(c, r->old_group ? r->old_group->count : 0),
                so_count(e, r->new_group ? r->new_group->count : 0));
        if (g->has_stack && g->depth) stack_block(f, g);
        fprintf(f, "</details>\n");
    }
    fprintf(f, "</section>\n");
    free(labels);
    free(vals);
    free(labbuf);
}

static size_t count_problems(hd_dump *d, const hd_summary *s)
{
    size_t i, n = 0;
    for (i = 0; i < hd_diag_count(d); i++)
        if (hd_diag_get(d, i)->sev >= HD_SEV_WARN) n++;
    if (s->busy_blocks && !s->traced_blocks) n++;
    if (s->heaps_walked == 0) n++;
    return n;
}

static void section_problems(FILE *f, hd_dump *d, const hd_summary *s)
{
    size_t i, shown = 0, n = hd_diag_count(d), jit = 0;
    static const char *sev[] = {"info", "warning", "error"};
    fprintf(f, "<section id=\"problems\"><h2>Problems found</h2>\n");
    for (i = 0; i < s->group_count && i < 50; i++) {
        size_t k;
        for (k = 0; s->groups[i].has_stack && k < s->groups[i].depth; k++)
            if (s->groups[i].frames[k]->jit) { jit++; break; }
    }
    if (s->heaps_walked == 0)
        fprintf(f, "<div class=\"problem err\">No heap could be read from this dump, so it cannot say where the "
                   "heap memory went (see the top of the report).</div>\n");
    if (s->busy_blocks && !s->traced_blocks)
        fprintf(f, "<div class=\"problem\">No allocation stacks: the report cannot say which code allocated the memory "
                   "(see the advice above).</div>\n");
    if (s->heaps_failed)
        fprintf(f, "<div class=\"problem\">%zu heap%s could not be read completely; the numbers are lower bounds.</div>\n",
                s->heaps_failed, s->heaps_failed == 1 ? "" : "s");
    if (jit)
        fprintf(f, "<div class=\"problem\">%zu of the top stacks pass through JIT-compiled code (for example .NET): those "
                   "frames have no module. In WinDbg with SOS, <code>!ip2md ADDRESS</code> names the managed method.</div>\n", jit);
    for (i = 0; i < n && shown < 200; i++) {
        const hd_diag *g = hd_diag_get(d, i);
        char a[32];
        if (g->sev < HD_SEV_WARN) continue;
        shown++;
        fprintf(f, "<div class=\"problem%s\"><b>%s</b> (", g->sev == HD_SEV_ERROR ? " err" : "", sev[g->sev]);
        esc(f, g->area);
        if (g->has_addr) fprintf(f, " at <span class=\"mono\">%s</span>", fmt_addr(a, g->addr, 8));
        fputs("): ", f);
        esc(f, g->msg);
        fputs("</div>\n", f);
    }
    if (n > shown + 0 && shown == 200) fprintf(f, "<p>... more in <code>heapdig info --verbose</code>.</p>\n");
    if (!shown && !jit && s->traced_blocks && !s->heaps_failed && s->heaps_walked)
        fprintf(f, "<p class=\"ok\">None: every heap was read completely.</p>\n");
    else if (!shown && !jit && s->heaps_walked && !s->heaps_failed && s->busy_blocks == 0)
        fprintf(f, "<p class=\"ok\">None.</p>\n");
    fprintf(f, "</section>\n");
}

static void glossary(FILE *f)
{
    fprintf(f, "<section id=\"glossary\"><h2>Words used here</h2><dl class=\"gl\">"
               "<dt>Heap block</dt><dd>One allocation made by the program (malloc, new, HeapAlloc). <i>Busy</i> blocks are in "
               "use; <i>free</i> blocks are kept by the heap for later.</dd>"
               "<dt>User size</dt><dd>The number of bytes the program asked for (the heap adds a small header).</dd>"
               "<dt>Allocation stack</dt><dd>The chain of functions that were running when the block was allocated, innermost "
               "first. Windows records it only when the stack trace database is enabled (<code>gflags /i APP.exe +ust</code>) or "
               "with page heap.</dd>"
               "<dt>Frame</dt><dd><code>module!function+0xoffset</code>: a return address inside a function. "
               "<code>module+0xoffset</code> means the function name is unknown (no exports or PDB cover it).</dd>"
               "<dt>JIT code</dt><dd>Code generated at run time (.NET, Java, JavaScript): it lives outside any DLL.</dd>"
               "<dt>VirtualAlloc block</dt><dd>A large allocation that the heap places in its own region of memory.</dd>"
               "<dt>LFH</dt><dd>The low-fragmentation heap: the part of the heap that serves small, frequent allocations.</dd>"
               "</dl></section>\n");
}

/* ---- the command ------------------------------------------------------------------------------ */

static hd_dump *open_and_group(const char *path, const char *sym, hd_summary **s)
{
    hd_dump *d = cli_open(path);
    hd_top_opts o;
    hd_err e;
    if (!d) return NULL;
    so_symbols(d, sym);
    memset(&o, 0, sizeof o);
    e = hd_top(d, &o, s);
    if (e != HD_OK) {
        fprintf(stderr, "heapdig: %s: %s\n", path, hd_strerror(e));
        hd_close(d);
        return NULL;
    }
    return d;
}

int cmd_report(int argc, char **argv)
{
    opt_result r[O_COUNT];
    const char *pos[2], *out_path = "report.html";
    int npos, rc, rc2;
    uint64_t limit = 15;
    hd_dump *d, *od = NULL;
    hd_summary *s = NULL, *os = NULL;
    hd_diff *df = NULL;
    FILE *f;
    const char *sym;
    memset(r, 0, sizeof r);
    if (opts_parse("report", argc, argv, specs, r, pos, 2, &npos) < 0) return EXIT_NOTHING;
    if (r[O_HELP].present) { opts_usage(stdout, "report", SYNOPSIS, specs); return EXIT_ANSWER; }
    if (npos < 1) { opts_usage(stderr, "report", SYNOPSIS, specs); return EXIT_NOTHING; }
    if (r[O_OUT].present) out_path = r[O_OUT].value;
    if (r[O_TOP].present && (parse_u64(r[O_TOP].value, &limit, 0) < 0 || limit == 0 || limit > 1000)) {
        fprintf(stderr, "heapdig report: -n takes a number from 1 to 1000, not '%s'\n", r[O_TOP].value);
        return EXIT_NOTHING;
    }
    sym = r[O_SYMBOLS].present ? r[O_SYMBOLS].value : NULL;
    if (!(d = open_and_group(pos[0], sym, &s))) return EXIT_NOTHING;
    if (npos == 2) {
        if (!(od = open_and_group(pos[1], sym, &os))) { hd_summary_free(s); hd_close(d); return EXIT_NOTHING; }
        if (hd_diff_summaries(os, s, &df) != HD_OK) df = NULL;
    }
    if (!(f = fopen(out_path, "w"))) {
        fprintf(stderr, "heapdig report: cannot write %s\n", out_path);
        rc = EXIT_NOTHING;
        goto done;
    }
    {
        const hd_addr_summary *as;
        hd_addrmap_mark_heaps(d);   /* segments and VirtualAlloc'd blocks count as Heap, as in !address */
        as = hd_addr_summary_get(d);
        size_t problems = count_problems(d, s);
        time_t now = time(NULL);
        char when[64];
        strftime(when, sizeof when, "%Y-%m-%d %H:%M", localtime(&now));
        fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                   "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
                   "script-src 'unsafe-inline'; img-src data:\">\n<title>heapdig report: ");
        esc(f, hd_path(d));
        fprintf(f, "</title>\n<style>%s</style></head>\n<body>\n<header><h1>Where did the memory go?</h1><p>", CSS);
        esc(f, hd_path(d));
        fprintf(f, " &mdash; heapdig %s, %s</p></header>\n<main>\n", hd_version(), when);
        section_glance(f, d, s, as, problems);
        section_top(f, d, s, (size_t)limit);
        if (od && df) section_growth(f, od, os, s, df, (size_t)limit);
        section_usage(f, as);
        section_heaps(f, d);
        section_problems(f, d, s);
        glossary(f);
        fprintf(f, "</main>\n<footer>Made by heapdig from the dump alone: no symbols server, no network. "
                   "Numbers in WinDbg's terms: <code>heapdig top</code>, <code>heapdig address --summary</code>, "
                   "<code>heapdig heaps</code>.</footer>\n<script>%s</script>\n</body></html>\n", JS);
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "heapdig report: error writing %s\n", out_path);
        rc = EXIT_NOTHING;
        goto done;
    }
    fprintf(stderr, "heapdig: report written to %s\n", out_path);
    rc = cli_finish(d, 0);
    if (od) {
        rc2 = cli_finish(od, 0);
        if (rc2 > rc) rc = rc2;
    }
done:
    hd_diff_free(df);
    hd_summary_free(s);
    hd_summary_free(os);
    hd_close(d);
    hd_close(od);
    return rc;
}
