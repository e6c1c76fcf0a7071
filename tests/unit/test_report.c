/*
** test_report.c - `heapdig report`: the HTML file's structure (self-contained, every section,
** escaping of dump-controlled text), its content against mkdump's manifest (the top stack's site
** and size), and that it renders in headless Chromium (Debian's chromium; the test skips with a
** message only when no chromium is installed).  No-+ust dumps get the advice instead of stacks.
*/
#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "heapdig.h"
#include "tjson.h"

static char NEW[1024], OLD[1024], HTML[1024];

static int gen(const char *scenario, const char *scale, const char *out)
{
    return tu_mkdump("win7-x64", scenario, 1, strtod(scale, NULL), out, NULL);
}

static int setup(void **state)
{
    (void)state;
    snprintf(NEW, sizeof NEW, "%s", tu_data_path("report_new.dmp"));
    snprintf(OLD, sizeof OLD, "%s", tu_data_path("report_old.dmp"));
    snprintf(HTML, sizeof HTML, "%s", tu_data_path("report.html"));
    if (gen("seed", "0.1", NEW) != 0 || gen("seed", "0.05", OLD) != 0) return -1;
    return 0;
}

static char *report(const char *out, const char *dump, const char *old)
{
    tu_run r;
    char *html;
    if (old) assert_int_equal(tu_heapdig(&r, "report", "-o", out, dump, old, NULL), 0);
    else assert_int_equal(tu_heapdig(&r, "report", "-o", out, dump, NULL), 0);
    tu_free_run(&r);
    html = tu_read_file(out, NULL);
    assert_non_null(html);
    return html;
}

static void test_structure(void **state)
{
    char *h = report(HTML, NEW, OLD);
    const char *ids[] = {"id=\"glance\"", "id=\"top\"", "id=\"growth\"", "id=\"usage\"", "id=\"heaps\"", "id=\"problems\"",
                         "id=\"top-stack-1\"", "id=\"growth-1\""};
    size_t i;
    (void)state;
    assert_int_equal(strncmp(h, "<!DOCTYPE html>", 15), 0);
    assert_non_null(strstr(h, "</html>"));
    for (i = 0; i < sizeof ids / sizeof ids[0]; i++)
        if (!strstr(h, ids[i])) fail_msg("no %s in the report", ids[i]);
    /* self-contained: nothing is loaded from elsewhere */
    assert_null(strstr(h, "<link"));
    assert_null(strstr(h, "src=\""));
    assert_null(strstr(h, "@import"));
    assert_null(strstr(h, "url("));
    assert_null(strstr(h, "http://"));
    assert_null(strstr(h, "https://"));
    assert_non_null(strstr(h, "<svg"));
    /* the top stack of the seed: allocation site and the 88 MB blocks */
    assert_non_null(strstr(strstr(h, "id=\"top-stack-1\""), "halcon!HXmalloc+0x8b"));
    assert_non_null(strstr(h, "0x5800040"));
    assert_non_null(strstr(h, "halcon!HXAllocRLTmp+0x265d"));
    free(h);
}

static void test_escaping(void **state)
{
    /* the dump's path is shown in the page: a hostile name must come out as text */
    char path[1100], out[1100], *h;
    const char *p;
    (void)state;
    snprintf(path, sizeof path, "%s", tu_data_path("x<script>alert(1)<\\script>&'\".dmp"));
    snprintf(out, sizeof out, "%s", tu_data_path("report_escape.html"));
    assert_int_equal(link(NEW, path) == 0 || access(path, F_OK) == 0, 1);
    h = report(out, path, NULL);
    assert_null(strstr(h, "<script>alert"));
    assert_non_null(strstr(h, "x&lt;script&gt;alert(1)&lt;\\script&gt;&amp;&#39;&quot;.dmp"));
    /* exactly one script element: the page's own */
    p = strstr(h, "<script");
    assert_non_null(p);
    assert_null(strstr(p + 1, "<script"));
    free(h);
}

static void test_no_stacks_advice(void **state)
{
    char dmp[1100], out[1100], scen[1100], *h;
    tu_run r;
    tj_doc *doc;
    (void)state;
    snprintf(dmp, sizeof dmp, "%s", tu_data_path("nostack.dmp"));
    snprintf(out, sizeof out, "%s", tu_data_path("report_nostack.html"));
    snprintf(scen, sizeof scen, "%s/tests/data/scenarios/nostack.txt", HD_SOURCE_DIR);
    assert_int_equal(gen(scen, "1", dmp), 0);
    h = report(out, dmp, NULL);
    assert_non_null(strstr(h, "gflags /i plain.exe +ust"));
    assert_non_null(strstr(h, "without allocation stack"));
    free(h);
    assert_int_equal(tu_heapdig(&r, "top", dmp, NULL), 0);
    assert_non_null(strstr(r.out, "gflags /i plain.exe +ust"));
    assert_non_null(strstr(r.out, "procdump -ma"));
    tu_free_run(&r);
    assert_int_equal(tu_heapdig(&r, "top", "--json", dmp, NULL), 0);
    doc = tj_parse(r.out);
    assert_non_null(doc);
    assert_non_null(strstr(tj_str(tj_get(tj_root(doc), "advice")), "+ust"));
    assert_int_equal(tj_u64(tj_get(tj_root(doc), "traced_blocks")), 0);
    assert_false(tj_bool(tj_get(tj_at(tj_get(tj_root(doc), "groups"), 0), "has_stack")));
    tj_free(doc);
    tu_free_run(&r);
}

/* ../shared/corpus/SOURCES.md: sigsegv.dmp lists 2 heaps whose memory is not in the dump. */
static void test_no_heap_memory(void **state)
{
    TU_CORPUS_OR_SKIP(path, "sigsegv.dmp");
    char out[1100], *h;
    tu_run r;
    (void)state;
    snprintf(out, sizeof out, "%s", tu_data_path("report_sigsegv.html"));
    h = report(out, path, NULL);
    assert_non_null(strstr(h, "No heap could be read"));
    assert_non_null(strstr(h, "procdump -ma"));
    free(h);
    /* top has nothing to say: exit 2, nothing on stdout, the reason on stderr: SOURCES.md gives
    ** the dump flags 0x121 (data segments, unloaded modules, process/thread data), none of which
    ** captures heap memory, so the reason is the flags, with the capture advice */
    assert_int_equal(tu_heapdig(&r, "top", "--json", path, NULL), 2);
    assert_int_equal(r.out_len, 0);
    assert_non_null(strstr(r.err, "no heap could be walked: the dump flags capture no heap memory"));
    assert_non_null(strstr(r.err, "procdump -ma"));
    tu_free_run(&r);
}

static const char *find_chromium(void)
{
    static const char *const cands[] = {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"};
    size_t i;
    for (i = 0; i < sizeof cands / sizeof cands[0]; i++)
        if (access(cands[i], X_OK) == 0) return cands[i];
    return NULL;
}

static void test_renders_in_chromium(void **state)
{
    const char *chrome = find_chromium();
    char profile[1100], cmd[12000], dom[1100], png[1100], *out;
    size_t n = 0;
    (void)state;
    if (!chrome) {
        print_message("[  SKIP    ] chromium is not installed (Debian: apt-get install chromium)\n");
        skip();
    }
    free(report(HTML, NEW, OLD));
    snprintf(profile, sizeof profile, "%s", tu_data_path("chromium-profile"));
    snprintf(dom, sizeof dom, "%s", tu_data_path("report.dom"));
    snprintf(png, sizeof png, "%s", tu_data_path("report.png"));
    snprintf(cmd, sizeof cmd,
             "rm -rf '%s' && mkdir -p '%s' && cd '%s' && "
             "timeout 120 '%s' --headless --no-sandbox --disable-gpu --disable-background-networking "
             "--disable-component-update --disable-sync --no-first-run --user-data-dir='%s' "
             "--dump-dom 'file://%s' > '%s' 2>/dev/null && "
             "timeout 120 '%s' --headless --no-sandbox --disable-gpu --disable-background-networking "
             "--disable-component-update --disable-sync --no-first-run --user-data-dir='%s' --window-size=1280,2000 "
             "--screenshot='%s' 'file://%s' >/dev/null 2>&1",
             profile, profile, profile, chrome, profile, HTML, dom, chrome, profile, png, HTML);
    assert_int_equal(system(cmd), 0);
    out = tu_read_file(dom, &n);
    assert_non_null(out);
    /* the page's script ran (it marks the body), and the rendered DOM shows the top stack */
    assert_non_null(strstr(out, "data-rendered=\"yes\""));
    assert_non_null(strstr(strstr(out, "id=\"top-stack-1\""), "halcon!HXmalloc+0x8b"));
    assert_non_null(strstr(out, "<svg"));
    free(out);
    /* and it paints: a screenshot of a real page is tens of kilobytes */
    out = tu_read_file(png, &n);
    assert_non_null(out);
    assert_true(n > 20000);
    assert_int_equal(memcmp(out, "\x89PNG", 4), 0);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_structure),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_no_stacks_advice),
        cmocka_unit_test(test_no_heap_memory),
        cmocka_unit_test(test_renders_in_chromium),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
