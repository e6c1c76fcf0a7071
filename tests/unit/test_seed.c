/*
** test_seed.c - the seed scenario (the README demo): mkdump's "seed" rebuilds the process of
** ../shared/seed/ (a .NET process with +ust leaking 16 MB and 88 MB VirtualAlloc'd blocks from
** halcon.dll).  Ground truth:
**   - the seed write-up itself: `!heap -p -a` prints for the first 16 MB block
**       "0000000043500030 100100 0000  [00]   0000000043500060    1000040 - (busy VirtualAlloc)"
**     and its stack, whose return addresses are 7fed230483b halcon!HXmalloc+0x8b,
**     7fed22dd81d halcon!HXAllocRLTmp+0x265d, 7fed22d6bd0 halcon!HXAllocTmp+0xa80,
**     7fed44a346a halcon!HCancelWait+0x7a, 7fed2386b8f halcon!CCallHProc+0x73f and the JIT frame
**     7fe83e3bcf6 (!ip2md: HalconDotNet);
**   - the manifest for counts and sizes.
*/
#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "heapdig.h"
#include "tjson.h"

static char DMP[1024], JSON[1024];
static tj_doc *MAN;

static const char *const SEED_FRAMES[] = {
    "halcon!HXmalloc+0x8b", "halcon!HXAllocRLTmp+0x265d", "halcon!HXAllocTmp+0xa80",
    "halcon!HCancelWait+0x7a", "halcon!CCallHProc+0x73f", "0x7fe83e3bcf6",
};
static const uint64_t SEED_ADDRS[] = {0x7fed230483bull, 0x7fed22dd81dull, 0x7fed22d6bd0ull,
                                      0x7fed44a346aull, 0x7fed2386b8full, 0x7fe83e3bcf6ull};

static int setup(void **state)
{
    (void)state;
    snprintf(DMP, sizeof DMP, "%s", tu_data_path("seed_demo.dmp"));
    snprintf(JSON, sizeof JSON, "%s", tu_data_path("seed_demo.json"));
    if (tu_mkdump("win7-x64", "seed", 1, 0.1, DMP, JSON) != 0) return -1;
    MAN = tj_parse_file(JSON);
    return MAN ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    tj_free(MAN);
    return 0;
}

/* Busy blocks of the manifest with user size SIZE: count, and one of them (its address). */
static uint64_t manifest_count(uint64_t size, const tj **one)
{
    const tj *heaps = tj_get(tj_root(MAN), "heaps");
    size_t h, i;
    uint64_t n = 0;
    for (h = 0; h < tj_len(heaps); h++) {
        const tj *bl = tj_get(tj_at(heaps, h), "blocks");
        for (i = 0; i < tj_len(bl); i++) {
            const tj *b = tj_at(bl, i);
            if (strcmp(tj_str(tj_get(b, "state")), "busy") || tj_u64(tj_get(b, "user_size")) != size) continue;
            if (one && !n) *one = b;
            n++;
        }
    }
    return n;
}

/* The seed's stack, after the ntdll frame, is a suffix-free prefix of the group's frames. */
static int has_seed_stack(const tj *stack)
{
    size_t i;
    if (tj_len(stack) != 7) return 0;
    if (strncmp(tj_str(tj_at(stack, 0)), "ntdll!", 6) != 0) return 0;
    for (i = 0; i < 6; i++)
        if (strcmp(tj_str(tj_at(stack, i + 1)), SEED_FRAMES[i]) != 0) return 0;
    return 1;
}

static void test_top_groups(void **state)
{
    tu_run r;
    tj_doc *doc;
    const tj *g;
    size_t i;
    uint64_t n16 = manifest_count(0x1000040, NULL), n88 = manifest_count(0x5800040, NULL);
    int seen_jit = 0, seen_internal = 0;
    (void)state;
    assert_true(n16 > 0);
    assert_true(n88 > 0);
    /* by stack: the two big stacks come first, with their full symbolized frames */
    assert_int_equal(tu_heapdig(&r, "top", "--json", DMP, NULL), 0);
    doc = tj_parse(r.out);
    assert_non_null(doc);
    for (i = 0; i < 2; i++) {
        g = tj_at(tj_get(tj_root(doc), "groups"), i);
        assert_string_equal(tj_str(tj_get(g, "site")), "halcon!HXmalloc+0x8b");
        if (has_seed_stack(tj_get(g, "stack"))) seen_jit = 1;
        else if (tj_len(tj_get(g, "stack")) > 3 && !strcmp(tj_str(tj_at(tj_get(g, "stack"), 4)), "halcon!HAllocImageData+0x1c4"))
            seen_internal = 1;
    }
    assert_true(seen_jit);
    assert_true(seen_internal);
    tj_free(doc);
    tu_free_run(&r);
    /* by size: the 16 MB and the 88 MB groups */
    assert_int_equal(tu_heapdig(&r, "top", "--by", "size", "--json", DMP, NULL), 0);
    doc = tj_parse(r.out);
    assert_non_null(doc);
    g = tj_at(tj_get(tj_root(doc), "groups"), 0);
    assert_int_equal(tj_u64(tj_get(g, "size")), 0x5800040);
    assert_int_equal(tj_u64(tj_get(g, "count")), n88);
    assert_int_equal(tj_u64(tj_get(g, "bytes")), n88 * 0x5800040);
    g = tj_at(tj_get(tj_root(doc), "groups"), 1);
    assert_int_equal(tj_u64(tj_get(g, "size")), 0x1000040);
    assert_int_equal(tj_u64(tj_get(g, "count")), n16);
    assert_true(has_seed_stack(tj_get(g, "stack")));
    tj_free(doc);
    tu_free_run(&r);
}

/* With a symbol path that lacks halcon.pdb, top says where the names came from. */
static void test_symbol_notes(void **state)
{
    tu_run r;
    tj_doc *doc;
    const tj *syms;
    size_t i;
    int seen = 0;
    (void)state;
    assert_int_equal(tu_heapdig(&r, "top", "--json", "--symbols", tu_data_path("no-symbols-here"), DMP, NULL), 0);
    doc = tj_parse(r.out);
    assert_non_null(doc);
    syms = tj_get(tj_root(doc), "symbols");
    for (i = 0; i < tj_len(syms); i++) {
        const tj *m = tj_at(syms, i);
        if (strcmp(tj_str(tj_get(m, "module")), "halcon.dll") != 0) continue;
        seen = 1;
        assert_false(tj_bool(tj_get(m, "pdb")));
        assert_non_null(strstr(tj_str(tj_get(m, "note")), "halcon.pdb"));
        assert_non_null(strstr(tj_str(tj_get(m, "note")), "not found"));
        assert_true(tj_u64(tj_get(m, "exports")) >= 6);   /* the seed's six halcon functions */
    }
    assert_true(seen);
    tj_free(doc);
    tu_free_run(&r);
    assert_int_equal(tu_heapdig(&r, "top", "--symbols", tu_data_path("no-symbols-here"), DMP, NULL), 0);
    assert_non_null(strstr(r.out, "Symbols of the modules above:"));
    tu_free_run(&r);
}

static void test_top_text(void **state)
{
    tu_run r;
    (void)state;
    assert_int_equal(tu_heapdig(&r, "top", DMP, NULL), 0);
    /* the seed's conclusion, in one line: site, the next frames, ..., the JIT frame */
    assert_non_null(strstr(r.out, "from halcon!HXmalloc+0x8b \xe2\x86\x90 halcon!HXAllocRLTmp+0x265d \xe2\x86\x90 "
                                  "halcon!HXAllocTmp+0xa80 \xe2\x86\x90 \xe2\x80\xa6 \xe2\x86\x90 0x7fe83e3bcf6 <JIT>"));
    assert_non_null(strstr(r.out, "of busy heap bytes"));
    assert_non_null(strstr(r.out, "7fe`d230483b  halcon!HXmalloc+0x8b"));
    tu_free_run(&r);
}

static void test_find_16mb_block(void **state)
{
    const tj *b = NULL;
    tu_run r;
    tj_doc *doc;
    char addr[32], line[256];
    uint64_t entry, user, commit;
    size_t i;
    (void)state;
    assert_true(manifest_count(0x1000040, &b) > 0);
    entry = tj_u64(tj_get(b, "address"));
    user = tj_u64(tj_get(b, "user_address"));
    commit = tj_u64(tj_get(b, "commit_size"));
    assert_int_equal(user, entry + 0x30);            /* the seed: HEAP_ENTRY ...030, UserPtr ...060 */
    snprintf(addr, sizeof addr, "%llx", (unsigned long long)entry);
    assert_int_equal(tu_heapdig(&r, "find", DMP, addr, NULL), 0);
    /* the seed's line, with this block's addresses; Size = CommitSize / 16 (100100 in the seed) */
    snprintf(line, sizeof line, "%016llx %llx 0000  [00]   %016llx    1000040 - (busy VirtualAlloc)",
             (unsigned long long)entry, (unsigned long long)(commit / 16), (unsigned long long)user);
    if (!strstr(r.out, line)) fail_msg("want '%s' in:\n%s", line, r.out);
    assert_int_equal(commit / 16, 0x100100);         /* the seed's 16 MB block */
    assert_non_null(strstr(r.out, "halcon!HCancelWait+0x7a"));
    tu_free_run(&r);
    /* JSON: the stack's return addresses are the seed's */
    assert_int_equal(tu_heapdig(&r, "find", "--json", DMP, addr, NULL), 0);
    doc = tj_parse(r.out);
    assert_non_null(doc);
    assert_int_equal(tj_u64(tj_get(tj_root(doc), "heap")), 0x29fb0000);
    assert_string_equal(tj_str(tj_get(tj_get(tj_root(doc), "block"), "kind")), "virtual");
    assert_int_equal(tj_u64(tj_get(tj_get(tj_root(doc), "block"), "user_size")), 0x1000040);
    assert_true(has_seed_stack(tj_get(tj_root(doc), "stack")));
    for (i = 0; i < 6; i++) assert_int_equal(tj_u64(tj_at(tj_get(tj_root(doc), "stack_addresses"), i + 1)), SEED_ADDRS[i]);
    tj_free(doc);
    tu_free_run(&r);
    /* the JIT frame alone: not in any module, private executable memory */
    assert_int_equal(tu_heapdig(&r, "find", "--json", DMP, "7fe`83e3bcf6", NULL), 0);
    doc = tj_parse(r.out);
    assert_non_null(doc);
    assert_true(tj_bool(tj_get(tj_root(doc), "jit")));
    assert_false(tj_bool(tj_get(tj_root(doc), "in_heap_block")));
    tj_free(doc);
    tu_free_run(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_top_groups),
        cmocka_unit_test(test_top_text),
        cmocka_unit_test(test_symbol_notes),
        cmocka_unit_test(test_find_16mb_block),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
