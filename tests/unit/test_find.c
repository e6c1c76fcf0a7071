/*
** test_find.c - `heapdig find` (WinDbg's !heap -p -a) and the output formats of `top`, on a
** dump written by mkdump (default scenario, Windows 10 x64); the manifest is the ground truth:
** block addresses, user pointers and sizes, stacks (and their return addresses), thread stacks,
** module bases, the JIT region.
*/
#define _POSIX_C_SOURCE 200809L   /* strtok_r */
#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "heapdig.h"
#include "tjson.h"

static char DMP[1024], JSON[1024];
static tj_doc *MAN;

static int setup(void **state)
{
    (void)state;
    snprintf(DMP, sizeof DMP, "%s", tu_data_path("find_w10.dmp"));
    snprintf(JSON, sizeof JSON, "%s", tu_data_path("find_w10.json"));
    if (tu_mkdump("win10-x64", "default", 3, 0, DMP, JSON) != 0) return -1;
    MAN = tj_parse_file(JSON);
    return MAN ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    tj_free(MAN);
    return 0;
}

/* The first manifest block of KIND/STATE (with a stack when want_stack) and slack after its data. */
static const tj *pick(const char *kind, const char *state, int want_stack, int want_slack)
{
    const tj *heaps = tj_get(tj_root(MAN), "heaps");
    size_t h, i;
    for (h = 0; h < tj_len(heaps); h++) {
        const tj *bl = tj_get(tj_at(heaps, h), "blocks");
        for (i = 0; i < tj_len(bl); i++) {
            const tj *b = tj_at(bl, i);
            uint64_t a = tj_u64(tj_get(b, "address")), u = tj_u64(tj_get(b, "user_address"));
            if (strcmp(tj_str(tj_get(b, "kind")), kind) || strcmp(tj_str(tj_get(b, "state")), state)) continue;
            if (want_stack && tj_len(tj_get(b, "stack")) == 0) continue;
            if (want_slack && u + tj_u64(tj_get(b, "user_size")) >= a + tj_u64(tj_get(b, "size"))) continue;
            return b;
        }
    }
    return NULL;
}

static tj_doc *find_json(uint64_t va)
{
    tu_run r;
    char a[32];
    tj_doc *doc;
    snprintf(a, sizeof a, "0x%llx", (unsigned long long)va);
    assert_int_equal(tu_heapdig(&r, "find", "--json", DMP, a, NULL), 0);
    doc = tj_parse(r.out);
    if (!doc) fail_msg("find --json %s: %s\n%s", a, tj_error(), r.out);
    tu_free_run(&r);
    return doc;
}

static void test_busy_block(void **state)
{
    const tj *b = pick("backend", "busy", 1, 1), *st;
    uint64_t a, u, us;
    tj_doc *doc;
    const tj *root;
    size_t i;
    (void)state;
    assert_non_null(b);
    a = tj_u64(tj_get(b, "address"));
    u = tj_u64(tj_get(b, "user_address"));
    us = tj_u64(tj_get(b, "user_size"));
    st = tj_get(b, "stack");
    /* inside the user data */
    doc = find_json(u + 3);
    root = tj_root(doc);
    assert_true(tj_bool(tj_get(root, "in_heap_block")));
    assert_int_equal(tj_u64(tj_get(tj_get(root, "block"), "address")), a);
    assert_int_equal(tj_u64(tj_get(tj_get(root, "block"), "user_address")), u);
    assert_int_equal(tj_u64(tj_get(tj_get(root, "block"), "user_size")), us);
    assert_int_equal(tj_u64(tj_get(tj_get(root, "block"), "size")), tj_u64(tj_get(b, "size")));
    assert_string_equal(tj_str(tj_get(root, "position")), "user");
    assert_int_equal(tj_u64(tj_get(root, "offset")), 3);
    assert_int_equal(tj_len(tj_get(root, "stack")), tj_len(st));
    for (i = 0; i < tj_len(st); i++) {
        assert_string_equal(tj_str(tj_at(tj_get(root, "stack"), i)), tj_str(tj_at(st, i)));
        assert_int_equal(tj_u64(tj_at(tj_get(root, "stack_addresses"), i)), tj_u64(tj_at(tj_get(b, "stack_raw"), i)));
    }
    tj_free(doc);
    /* the header, and the slack after the user data, belong to the same block */
    doc = find_json(a);
    assert_string_equal(tj_str(tj_get(tj_root(doc), "position")), "header");
    assert_int_equal(tj_u64(tj_get(tj_get(tj_root(doc), "block"), "address")), a);
    tj_free(doc);
    doc = find_json(u + us);
    assert_string_equal(tj_str(tj_get(tj_root(doc), "position")), "slack");
    assert_int_equal(tj_u64(tj_get(tj_get(tj_root(doc), "block"), "address")), a);
    tj_free(doc);
}

static void test_text_columns(void **state)
{
    const tj *b = pick("backend", "busy", 1, 0);
    tu_run r;
    char a[32], line[256];
    uint64_t addr, user;
    (void)state;
    assert_non_null(b);
    addr = tj_u64(tj_get(b, "address"));
    user = tj_u64(tj_get(b, "user_address"));
    snprintf(a, sizeof a, "%llx", (unsigned long long)(user + 1));
    assert_int_equal(tu_heapdig(&r, "find", DMP, a, NULL), 0);
    /* WinDbg's columns: HEAP_ENTRY, Size (granules, 16 bytes on x64), ..., UserPtr, UserSize */
    snprintf(line, sizeof line, "%016llx %04llx ", (unsigned long long)addr, (unsigned long long)(tj_u64(tj_get(b, "size")) / 16));
    if (!strstr(r.out, line)) fail_msg("want '%s' in\n%s", line, r.out);
    snprintf(line, sizeof line, "%016llx    %05llx - (busy)", (unsigned long long)user, (unsigned long long)tj_u64(tj_get(b, "user_size")));
    if (!strstr(r.out, line)) fail_msg("want '%s' in\n%s", line, r.out);
    assert_non_null(strstr(r.out, "HEAP_ENTRY Size Prev Flags"));
    assert_non_null(strstr(r.out, tj_str(tj_at(tj_get(b, "stack"), 2))));
    tu_free_run(&r);
}

static void test_free_block(void **state)
{
    const tj *b = pick("backend", "free", 0, 0);
    tj_doc *doc;
    (void)state;
    assert_non_null(b);
    doc = find_json(tj_u64(tj_get(b, "address")) + 0x18);
    assert_string_equal(tj_str(tj_get(tj_get(tj_root(doc), "block"), "state")), "free");
    assert_string_equal(tj_str(tj_get(tj_root(doc), "position")), "free");
    assert_int_equal(tj_kind(tj_get(tj_root(doc), "stack")), TJ_NULL);
    tj_free(doc);
}

static void test_outside_heaps(void **state)
{
    const tj *proc = tj_get(tj_root(MAN), "process");
    const tj *th = tj_at(tj_get(proc, "threads"), 1), *mods = tj_get(proc, "modules"), *b;
    tj_doc *doc;
    const tj *root;
    tu_run r;
    char a[32];
    size_t i;
    uint64_t raw = 0;
    const char *frame = NULL;
    (void)state;
    /* thread 1's stack */
    doc = find_json(tj_u64(tj_get(th, "stack_limit")) + 0x40);
    root = tj_root(doc);
    assert_false(tj_bool(tj_get(root, "in_heap_block")));
    assert_string_equal(tj_str(tj_get(tj_get(root, "region"), "usage")), "Stack");
    assert_int_equal(tj_u64(tj_get(tj_get(tj_get(root, "region"), "thread"), "index")), 1);
    assert_int_equal(tj_u64(tj_get(tj_get(tj_get(root, "region"), "thread"), "id")), tj_u64(tj_get(th, "id")));
    tj_free(doc);
    snprintf(a, sizeof a, "%llx", (unsigned long long)(tj_u64(tj_get(th, "stack_limit")) + 0x40));
    assert_int_equal(tu_heapdig(&r, "find", DMP, a, NULL), 0);
    assert_non_null(strstr(r.out, "the stack of thread 1"));
    tu_free_run(&r);
    /* a return address of a recorded stack: named as the manifest names it, in a module's .text */
    b = pick("backend", "busy", 1, 0);
    raw = tj_u64(tj_at(tj_get(b, "stack_raw"), 1));
    frame = tj_str(tj_at(tj_get(b, "stack"), 1));
    doc = find_json(raw);
    root = tj_root(doc);
    assert_string_equal(tj_str(tj_get(root, "symbol")), frame);
    assert_string_equal(tj_str(tj_get(tj_get(root, "region"), "usage")), "Image");
    assert_string_equal(tj_str(tj_get(root, "section")), ".text");
    for (i = 0; i < tj_len(mods); i++) {
        const tj *m = tj_at(mods, i);
        if (raw >= tj_u64(tj_get(m, "base")) && raw - tj_u64(tj_get(m, "base")) < tj_u64(tj_get(m, "size")))
            assert_int_equal(strncmp(tj_str(tj_get(root, "module")), tj_str(tj_get(m, "name")), strlen(tj_str(tj_get(m, "name")))), 0);
    }
    tj_free(doc);
    /* the JIT region */
    doc = find_json(tj_u64(tj_get(proc, "jit_base")) + 0x1cf6);
    assert_true(tj_bool(tj_get(tj_root(doc), "jit")));
    tj_free(doc);
    /* bad input: exit 2 and a message */
    assert_int_equal(tu_heapdig(&r, "find", DMP, "not-an-address", NULL), 2);
    assert_non_null(strstr(r.err, "not an address"));
    tu_free_run(&r);
}

/* A page heap block (scenario tests/data/scenarios/pageheap.txt): the DPH node and WinDbg's DPH form. */
static void test_pageheap_block(void **state)
{
    char dmp[1100], json[1100], scen[1100], a[32];
    tj_doc *man, *doc;
    const tj *heaps, *b = NULL, *root;
    tu_run r;
    size_t h, i;
    (void)state;
    snprintf(dmp, sizeof dmp, "%s", tu_data_path("find_dph.dmp"));
    snprintf(json, sizeof json, "%s", tu_data_path("find_dph.json"));
    snprintf(scen, sizeof scen, "%s/tests/data/scenarios/pageheap.txt", HD_SOURCE_DIR);
    assert_int_equal(tu_mkdump("win10-x64", scen, 1, 0, dmp, json), 0);
    man = tj_parse_file(json);
    assert_non_null(man);
    heaps = tj_get(tj_root(man), "heaps");
    for (h = 0; h < tj_len(heaps) && !b; h++)
        for (i = 0; i < tj_len(tj_get(tj_at(heaps, h), "blocks")) && !b; i++) {
            const tj *x = tj_at(tj_get(tj_at(heaps, h), "blocks"), i);
            if (!strcmp(tj_str(tj_get(x, "kind")), "pageheap") && tj_len(tj_get(x, "stack"))) b = x;
        }
    if (!b) {
        print_message("[  SKIP    ] mkdump wrote no page heap block\n");
        tj_free(man);
        skip();
    }
    snprintf(a, sizeof a, "%llx", (unsigned long long)(tj_u64(tj_get(b, "user_address")) + 8));
    assert_int_equal(tu_heapdig(&r, "find", "--json", dmp, a, NULL), 0);
    doc = tj_parse(r.out);
    assert_non_null(doc);
    root = tj_root(doc);
    assert_string_equal(tj_str(tj_get(tj_get(root, "block"), "kind")), "pageheap");
    assert_int_equal(tj_u64(tj_get(tj_get(root, "block"), "dph_node")), tj_u64(tj_get(b, "dph_node")));
    assert_int_equal(tj_u64(tj_get(tj_get(root, "block"), "user_size")), tj_u64(tj_get(b, "user_size")));
    assert_int_equal(tj_len(tj_get(root, "stack")), tj_len(tj_get(b, "stack")));
    for (i = 0; i < tj_len(tj_get(b, "stack")); i++)
        assert_string_equal(tj_str(tj_at(tj_get(root, "stack"), i)), tj_str(tj_at(tj_get(b, "stack"), i)));
    tj_free(doc);
    tu_free_run(&r);
    assert_int_equal(tu_heapdig(&r, "find", dmp, a, NULL), 0);
    assert_non_null(strstr(r.out, "_DPH_HEAP_ROOT @"));
    assert_non_null(strstr(r.out, "in busy allocation (  DPH_HEAP_BLOCK:"));
    tu_free_run(&r);
    tj_free(man);
}

/* top --csv and --folded carry the same numbers as --json. */
static void test_top_formats(void **state)
{
    tu_run r;
    tj_doc *doc;
    const tj *groups;
    char *line, *save = NULL;
    size_t n = 0;
    uint64_t sum = 0;
    (void)state;
    assert_int_equal(tu_heapdig(&r, "top", "--json", DMP, NULL), 0);
    doc = tj_parse(r.out);
    assert_non_null(doc);
    groups = tj_get(tj_root(doc), "groups");
    tu_free_run(&r);
    /* folded: "outer;...;inner BYTES", one line per group, in the same order */
    assert_int_equal(tu_heapdig(&r, "top", "--folded", DMP, NULL), 0);
    for (line = strtok_r(r.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save), n++) {
        char *sp = strrchr(line, ' ');
        const tj *g = tj_at(groups, n), *st = tj_get(g, "stack");
        assert_non_null(sp);
        assert_int_equal(strtoull(sp + 1, NULL, 10), tj_u64(tj_get(g, "bytes")));
        sum += strtoull(sp + 1, NULL, 10);
        *sp = 0;
        if (tj_len(st)) {
            /* outermost first: the line ends with the innermost frame */
            const char *inner = tj_str(tj_at(st, 0)), *last = strrchr(line, ';');
            assert_string_equal(last ? last + 1 : line, inner);
            assert_int_equal(strncmp(line, tj_str(tj_at(st, tj_len(st) - 1)), strlen(tj_str(tj_at(st, tj_len(st) - 1)))), 0);
        }
    }
    assert_int_equal(n, tj_len(groups));
    assert_int_equal(sum, tj_u64(tj_get(tj_root(doc), "busy_bytes")));
    tu_free_run(&r);
    /* csv: header + one row per group; the bytes column matches */
    assert_int_equal(tu_heapdig(&r, "top", "--csv", DMP, NULL), 0);
    save = NULL;
    line = strtok_r(r.out, "\n", &save);
    assert_string_equal(line, "rank,bytes,count,percent,min_size,max_size,size,group,site,stack");
    for (n = 0; (line = strtok_r(NULL, "\n", &save)) != NULL; n++) {
        char *c1 = strchr(line, ',');
        assert_non_null(c1);
        assert_int_equal(strtoull(c1 + 1, NULL, 10), tj_u64(tj_get(tj_at(groups, n), "bytes")));
    }
    assert_int_equal(n, tj_len(groups));
    tu_free_run(&r);
    /* -n limits, --min-size filters before counting */
    assert_int_equal(tu_heapdig(&r, "top", "--json", "-n", "2", "--min-size", "1k", DMP, NULL), 0);
    tj_free(doc);
    doc = tj_parse(r.out);
    assert_non_null(doc);
    assert_int_equal(tj_len(tj_get(tj_root(doc), "groups")), 2);
    assert_true(tj_u64(tj_get(tj_at(tj_get(tj_root(doc), "groups"), 1), "min_size")) >= 1024);
    tu_free_run(&r);
    tj_free(doc);
    /* a bad option value is refused with exit 2 */
    assert_int_equal(tu_heapdig(&r, "top", "--by", "colour", DMP, NULL), 2);
    tu_free_run(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_busy_block),
        cmocka_unit_test(test_text_columns),
        cmocka_unit_test(test_free_block),
        cmocka_unit_test(test_outside_heaps),
        cmocka_unit_test(test_top_formats),
        cmocka_unit_test(test_pageheap_block),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
