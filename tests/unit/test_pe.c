/*
** test_pe.c - PE images read from the memory of fizzbuzz_wow64.dmp (lib/proc/pe.c).
**
** Ground truth was read by hand from the dump bytes with xxd.  The file offset of a virtual
** address comes from the Memory64List: the range 0x77ae0000 (64-bit ntdll) starts at file
** offset 0x5bfc31, range 0x77be0000 at 0x6bfc31, range 0x77cd0000 (32-bit ntdll + 0x10000) at
** 0x76ac31, range 0x70b20000 (api-ms-win-core-synch-l1-2-0) at 0x1c2c31.  Then:
**
**   xxd -s 0x5bfc31 -l 0x40   -> e_lfanew (+0x3c) = 0xe0
**   xxd -s 0x5bfd11 -l 0x100  -> "PE\0\0", Machine 0x8664, 7 sections, TimeDateStamp 0x56a1c9c5,
**       SizeOfOptionalHeader 0xf0, Magic 0x20b, ImageBase 0x77ae0000, SizeOfImage 0x1aa000,
**       DataDirectory[0] = {0x103240, 0xf1de}, DataDirectory[6] = {0xfe04c, 0x38}
**   xxd -s 0x5bfe19 -l 280    -> sections .text {0x1000, 0xfd0aa, 0x60000020}, RT, .rdata
**       {0x100000, 0x2ea18}, .data, .pdata, .rsrc, .reloc {0x1a9000, 0x4ec, 0x42000040}
**   xxd -s 0x6c2e71 -l 40     -> export directory: Base 1, NumberOfFunctions 0x7cb (1995),
**       NumberOfNames 0x7c3 (1987), AddressOfFunctions 0x103268, AddressOfNames 0x105194,
**       AddressOfNameOrdinals 0x1070a0
**   "RtlAllocateHeap\0" is at rva 0x10b3f7 (grep -obUa inside the directory); that rva is entry 615
**       of AddressOfNames; AddressOfNameOrdinals[615] = 0x26f (xxd -s 0x6c719f -l 2), so the
**       ordinal is 1 + 0x26f = 624 and AddressOfFunctions[623] = 0x4f2e0 (xxd -s 0x6c3855 -l 4).
**       No AddressOfFunctions entry lies in (0x4f2e0, 0x4f400]; RtlFreeHeap's is 0x4f2c0.
**   32-bit ntdll, export directory at 0x77cd0218: xxd -s 0x76ae49 -l 40 -> Base 1, 0x7f3 (2035)
**       functions, 0x7eb (2027) names.
**   api-ms-win-core-synch-l1-2-0.DLL: export directory {0x1110, 0x476}, 17 functions, 17 names;
**       function 1's rva 0x1220 lies inside the directory and reads "kernel32.DeleteSynchronizationBarrier"
**       (xxd -s 0x1c3e51 -l 64): a forwarder.
*/
#include "testutil.h"
#include <string.h>
#include "heapdig.h"

static const hd_module *module_at_base(hd_dump *d, uint64_t base)
{
    size_t i;
    for (i = 0; i < hd_module_count(d); i++)
        if (hd_module_at(d, i)->base == base) return hd_module_at(d, i);
    return NULL;
}

static const hd_pe_export *export_named(const hd_pe *pe, const char *name)
{
    size_t i;
    for (i = 0; i < pe->export_count; i++)
        if (pe->exports[i].name && !strcmp(pe->exports[i].name, name)) return &pe->exports[i];
    return NULL;
}

static void test_ntdll64_headers_and_sections(void **state)
{
    TU_CORPUS_OR_SKIP(path, "fizzbuzz_wow64.dmp");
    hd_dump *d = NULL;
    const hd_module *m;
    const hd_pe *pe;
    (void)state;
    assert_int_equal(hd_open(path, NULL, &d), HD_OK);
    m = module_at_base(d, 0x77ae0000);
    assert_non_null(m);
    pe = hd_module_pe(d, m);
    assert_non_null(pe);
    assert_true(pe->headers);
    assert_int_equal(pe->machine, 0x8664);
    assert_int_equal(pe->magic, 0x20b);
    assert_int_equal(pe->timestamp, 0x56a1c9c5);
    assert_int_equal(pe->image_base, 0x77ae0000);
    assert_int_equal(pe->size_of_image, 0x1aa000);
    assert_int_equal(pe->section_count, 7);
    assert_string_equal(pe->sections[0].name, ".text");
    assert_int_equal(pe->sections[0].rva, 0x1000);
    assert_int_equal(pe->sections[0].vsize, 0xfd0aa);
    assert_int_equal(pe->sections[0].characteristics, 0x60000020);
    assert_string_equal(pe->sections[2].name, ".rdata");
    assert_int_equal(pe->sections[2].rva, 0x100000);
    assert_string_equal(pe->sections[6].name, ".reloc");
    assert_int_equal(pe->sections[6].rva, 0x1a9000);
    assert_ptr_equal(hd_pe_section_find(pe, 0x4f2e0), &pe->sections[0]);
    assert_ptr_equal(hd_pe_section_find(pe, 0x103240), &pe->sections[2]);
    assert_null(hd_pe_section_find(pe, 0x1aa000));
    /* The same module parsed twice is the same cached object. */
    assert_ptr_equal(hd_module_pe(d, m), pe);
    hd_close(d);
}

static void test_ntdll64_exports(void **state)
{
    TU_CORPUS_OR_SKIP(path, "fizzbuzz_wow64.dmp");
    hd_dump *d = NULL;
    const hd_pe *pe;
    const hd_pe_export *e;
    size_t i;
    (void)state;
    assert_int_equal(hd_open(path, NULL, &d), HD_OK);
    pe = hd_module_pe(d, module_at_base(d, 0x77ae0000));
    assert_true(pe->has_exports);
    assert_true(pe->exports_read);
    assert_int_equal(pe->exports_unreadable, 0);
    assert_int_equal(pe->export_base, 1);
    assert_string_equal(pe->export_dll, "ntdll.dll");
    /* every AddressOfFunctions entry of this image is non-zero (checked: no 0 in the table) */
    assert_int_equal(pe->export_count, 1995);
    for (i = 1; i < pe->export_count; i++) assert_true(pe->exports[i - 1].rva <= pe->exports[i].rva);
    e = export_named(pe, "RtlAllocateHeap");
    assert_non_null(e);
    assert_int_equal(e->rva, 0x4f2e0);
    assert_int_equal(e->ordinal, 624);
    assert_null(e->forwarder);
    e = export_named(pe, "RtlFreeHeap");
    assert_non_null(e);
    assert_int_equal(e->rva, 0x4f2c0);
    /* nearest-export lookup: inside RtlAllocateHeap, at its first byte, and just before it */
    assert_ptr_equal(hd_pe_export_find(pe, 0x4f2e0 + 0x50), export_named(pe, "RtlAllocateHeap"));
    assert_ptr_equal(hd_pe_export_find(pe, 0x4f2e0), export_named(pe, "RtlAllocateHeap"));
    assert_ptr_equal(hd_pe_export_find(pe, 0x4f2df), export_named(pe, "RtlFreeHeap"));
    /* an address in .reloc must not be attributed to a function in .text */
    assert_null(hd_pe_export_find(pe, 0x1a9010));
    /* the image's CodeView record agrees with the module list's */
    assert_true(pe->has_codeview);
    assert_true(module_at_base(d, 0x77ae0000)->has_pdb);
    assert_memory_equal(pe->cv_guid, module_at_base(d, 0x77ae0000)->pdb_guid, 16);
    assert_int_equal(pe->cv_age, module_at_base(d, 0x77ae0000)->pdb_age);
    assert_string_equal(pe->cv_pdb_name, "ntdll.pdb");
    hd_close(d);
}

static void test_ntdll32_and_forwarders(void **state)
{
    TU_CORPUS_OR_SKIP(path, "fizzbuzz_wow64.dmp");
    hd_dump *d = NULL;
    const hd_pe *pe;
    const hd_pe_export *e;
    (void)state;
    assert_int_equal(hd_open(path, NULL, &d), HD_OK);
    pe = hd_module_pe(d, module_at_base(d, 0x77cc0000));
    assert_true(pe->headers);
    assert_int_equal(pe->machine, 0x14c);
    assert_int_equal(pe->magic, 0x10b);
    assert_int_equal(pe->image_base, 0x77cc0000);
    assert_int_equal(pe->export_count, 2035);
    e = export_named(pe, "RtlAllocateHeap");
    assert_non_null(e);
    assert_int_equal(e->rva, 0x2e1b6);

    pe = hd_module_pe(d, module_at_base(d, 0x70b20000));
    assert_true(pe->exports_read);
    assert_int_equal(pe->export_count, 17);
    e = export_named(pe, "DeleteSynchronizationBarrier");
    assert_non_null(e);
    assert_int_equal(e->rva, 0x1220);
    assert_int_equal(e->ordinal, 1);
    assert_non_null(e->forwarder);
    assert_string_equal(e->forwarder, "kernel32.DeleteSynchronizationBarrier");
    /* forwarders are not code: an address just after one is not named after it */
    assert_null(hd_pe_export_find(pe, 0x1221));
    hd_close(d);
}

static void test_not_captured(void **state)
{
    TU_CORPUS_OR_SKIP(path, "winxp_x86_breakpad.dmp");
    hd_dump *d = NULL;
    size_t i;
    (void)state;
    /* A MiniDumpNormal breakpad dump holds no image bytes: every module answers headers == 0. */
    assert_int_equal(hd_open(path, NULL, &d), HD_OK);
    assert_true(hd_module_count(d) > 0);
    for (i = 0; i < hd_module_count(d); i++) {
        const hd_pe *pe = hd_module_pe(d, hd_module_at(d, i));
        assert_non_null(pe);
        if (hd_view(d, hd_module_at(d, i)->base, 0x40) == NULL) {
            assert_false(pe->headers);
            assert_int_equal(pe->export_count, 0);
            assert_null(hd_pe_export_find(pe, 0x1000));
        }
    }
    assert_null(hd_module_pe(d, NULL));
    hd_close(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ntdll64_headers_and_sections),
        cmocka_unit_test(test_ntdll64_exports),
        cmocka_unit_test(test_ntdll32_and_forwarders),
        cmocka_unit_test(test_not_captured),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
