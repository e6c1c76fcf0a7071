/*
** layouts.c - mkdump's own layout tables, one per heap layout, written from the reference
** (../shared/reference/nt-heap-layouts.md).  Every table says which section and column it was
** transcribed from.  Nothing here is shared with lib/ (the analyzer keeps its own tables): two
** independent transcriptions of the reference are how a misreading gets caught.
**
** Fields that a layout does not have are 0 (no field of interest sits at offset 0 except the
** ones that are at 0 in every layout, which callers never test against 0).
*/
#include <string.h>
#include "mkdump.h"

/* ---- LFH (§6.2 `_LFH_HEAP`, §6.3 `_HEAP_LOCAL_DATA`, `_HEAP_LOCAL_SEGMENT_INFO`,
**          `_HEAP_SUBSEGMENT`, `_HEAP_USERDATA_HEADER`, `_LFH_BLOCK_ZONE`) ---------------------- */

/* §6.2 "Win7 x86" column; §6.3 Win7 x86 columns. */
static const lfh_layout LFH_WIN7_X86 = {
    .ref = "§6.2/§6.3 Win7 x86",
    .subseg_zones = 0x18, .heap = 0x24, .buckets = 0x110, .seg_info_arrays = 0, .local_data = 0x310,
    .size = 0x3728,
    .ld_low_frag_heap = 0x0C, .ld_seg_info = 0x18, .ld_size = 0x18 + 128 * 0x68,
    .si_local_data = 0x58, .si_active = 0x04, .si_counters = 0x50, .si_bucket_index = 0x60, .si_size = 0x68,
    .ss_local_info = 0x00, .ss_user_blocks = 0x04, .ss_aggr = 0x08, .ss_block_size = 0x10, .ss_flags = 0x12,
    .ss_block_count = 0x14, .ss_size_index = 0x16, .ss_affinity = 0x17, .ss_size = 0x20,
    .ub_subseg = 0x0, .ub_size_index = 0x8, .ub_signature = 0xC, .ub_encoded_offsets = 0, .ub_bitmap = 0,
    .ub_bitmap_data = 0, .ub_header = 0x10,
    .zone_free_pointer = 0x8, .zone_limit = 0xC, .zone_next_index = 0, .zone_array = 0x10,
};

/* §6.2 "Win7 x64" column; §6.3 Win7 x64 columns. */
static const lfh_layout LFH_WIN7_X64 = {
    .ref = "§6.2/§6.3 Win7 x64",
    .subseg_zones = 0x28, .heap = 0x40, .buckets = 0x1F0, .seg_info_arrays = 0, .local_data = 0x3F0,
    .size = 0x6420,
    .ld_low_frag_heap = 0x18, .ld_seg_info = 0x30, .ld_size = 0x30 + 128 * 0xC0,
    .si_local_data = 0xA8, .si_active = 0x08, .si_counters = 0xA0, .si_bucket_index = 0xB4, .si_size = 0xC0,
    .ss_local_info = 0x00, .ss_user_blocks = 0x08, .ss_aggr = 0x10, .ss_block_size = 0x18, .ss_flags = 0x1A,
    .ss_block_count = 0x1C, .ss_size_index = 0x1E, .ss_affinity = 0x1F, .ss_size = 0x30,
    .ub_subseg = 0x0, .ub_size_index = 0x10, .ub_signature = 0x18, .ub_encoded_offsets = 0, .ub_bitmap = 0,
    .ub_bitmap_data = 0, .ub_header = 0x20,
    .zone_free_pointer = 0x10, .zone_limit = 0x18, .zone_next_index = 0, .zone_array = 0x20,
};

/* §6.2 "Win8.1 Upd–Win11 x86" column; §6.3 Win8+ x86 (8.1 Upd+ Lock/SFreeListEntry order). */
static const lfh_layout LFH_WIN81_X86 = {
    .ref = "§6.2/§6.3 Win8.1 Update+ x86",
    .subseg_zones = 0x04, .heap = 0x0C, .buckets = 0x1BC, .seg_info_arrays = 0x3C0, .local_data = 0x7D0,
    .size = 0x7E8,
    .ld_low_frag_heap = 0x0C, .ld_seg_info = 0, .ld_size = 0x18,
    .si_local_data = 0x00, .si_active = 0x04, .si_counters = 0x50, .si_bucket_index = 0x5C, .si_size = 0x68,
    .ss_local_info = 0x00, .ss_user_blocks = 0x04, .ss_aggr = 0x10, .ss_block_size = 0x14, .ss_flags = 0x16,
    .ss_block_count = 0x18, .ss_size_index = 0x1A, .ss_affinity = 0x1B, .ss_size = 0x28,
    .ub_subseg = 0x0, .ub_size_index = 0x8, .ub_signature = 0xC, .ub_encoded_offsets = 0x10, .ub_bitmap = 0x14,
    .ub_bitmap_data = 0x1C, .ub_header = 0,
    .zone_free_pointer = 0, .zone_limit = 0, .zone_next_index = 0x8, .zone_array = 0x10,
};

/* §6.2 "Win8.1 Upd–Win11 x64" column; §6.3 Win8+ x64. */
static const lfh_layout LFH_WIN81_X64 = {
    .ref = "§6.2/§6.3 Win8.1 Update+ x64",
    .subseg_zones = 0x08, .heap = 0x18, .buckets = 0x2A4, .seg_info_arrays = 0x4A8, .local_data = 0xCC0,
    .size = 0xCF0,
    .ld_low_frag_heap = 0x18, .ld_seg_info = 0, .ld_size = 0x30,
    .si_local_data = 0x00, .si_active = 0x08, .si_counters = 0xA0, .si_bucket_index = 0xAC, .si_size = 0xC0,
    .ss_local_info = 0x00, .ss_user_blocks = 0x08, .ss_aggr = 0x20, .ss_block_size = 0x24, .ss_flags = 0x26,
    .ss_block_count = 0x28, .ss_size_index = 0x2A, .ss_affinity = 0x2B, .ss_size = 0x40,
    .ub_subseg = 0x0, .ub_size_index = 0x10, .ub_signature = 0x14, .ub_encoded_offsets = 0x18, .ub_bitmap = 0x20,
    .ub_bitmap_data = 0x30, .ub_header = 0,
    .zone_free_pointer = 0, .zone_limit = 0, .zone_next_index = 0x10, .zone_array = 0x20,
};

/* ---- `_HEAP` ---------------------------------------------------------------------------------- */

/* §2.1 common prefix, x64 column (the embedded `_HEAP_SEGMENT`, then Flags … Encoding). */
#define PREFIX_X64                                                                              \
    .ptr = 8, .gran = 16, .seg_signature = 0x10, .seg_flags = 0x14, .seg_list_entry = 0x18,     \
    .seg_heap = 0x28, .seg_base = 0x30, .seg_pages = 0x38, .seg_first = 0x40,                   \
    .seg_last_valid = 0x48, .seg_uc_pages = 0x50, .seg_uc_ranges = 0x54, .seg_bt_index = 0x58,  \
    .seg_ucr_list = 0x60, .seg_size = 0x70, .flags = 0x70, .force_flags = 0x74,                 \
    .compat_flags = 0x78, .encode_flag_mask = 0x7C, .encoding = 0x80, .key = 0x88,              \
    .lock_size = 0x28
/* §2.1 common prefix, x86 column. */
#define PREFIX_X86                                                                              \
    .ptr = 4, .gran = 8, .seg_signature = 0x08, .seg_flags = 0x0C, .seg_list_entry = 0x10,      \
    .seg_heap = 0x18, .seg_base = 0x1C, .seg_pages = 0x20, .seg_first = 0x24,                   \
    .seg_last_valid = 0x28, .seg_uc_pages = 0x2C, .seg_uc_ranges = 0x30, .seg_bt_index = 0x34,  \
    .seg_ucr_list = 0x38, .seg_size = 0x40, .flags = 0x40, .force_flags = 0x44,                 \
    .compat_flags = 0x48, .encode_flag_mask = 0x4C, .encoding = 0x50, .key = 0x50,              \
    .lock_size = 0x18
/* §2.5 `_HEAP_COUNTERS`: the fields mkdump writes.  Win7 has CompactHeapCalls/CompactedUCRs
** before AllocAndFreeOps; Win8+ has the poll fields there and the two size watermarks. */
#define COUNTERS_X64_WIN7                                                                       \
    .c_reserved = 0x00, .c_committed = 0x08, .c_large_ucr = 0x10, .c_virtual = 0x18,            \
    .c_segments = 0x20, .c_ucrs = 0x24, .c_commit_ops = 0x28, .c_decommit_ops = 0x2C,           \
    .c_lock_acquires = 0x30, .c_alloc_free_ops = 0x50, .c_high_watermark = 0, .c_last_polled = 0
#define COUNTERS_X64_WIN8                                                                       \
    .c_reserved = 0x00, .c_committed = 0x08, .c_large_ucr = 0x10, .c_virtual = 0x18,            \
    .c_segments = 0x20, .c_ucrs = 0x24, .c_commit_ops = 0x28, .c_decommit_ops = 0x2C,           \
    .c_lock_acquires = 0x30, .c_alloc_free_ops = 0x54, .c_high_watermark = 0x68,                \
    .c_last_polled = 0x70
#define COUNTERS_X86_WIN7                                                                       \
    .c_reserved = 0x00, .c_committed = 0x04, .c_large_ucr = 0x08, .c_virtual = 0x0C,            \
    .c_segments = 0x10, .c_ucrs = 0x14, .c_commit_ops = 0x18, .c_decommit_ops = 0x1C,           \
    .c_lock_acquires = 0x20, .c_alloc_free_ops = 0x40, .c_high_watermark = 0, .c_last_polled = 0
#define COUNTERS_X86_WIN8                                                                       \
    .c_reserved = 0x00, .c_committed = 0x04, .c_large_ucr = 0x08, .c_virtual = 0x0C,            \
    .c_segments = 0x10, .c_ucrs = 0x14, .c_commit_ops = 0x18, .c_decommit_ops = 0x1C,           \
    .c_lock_acquires = 0x20, .c_alloc_free_ops = 0x44, .c_high_watermark = 0x54,                \
    .c_last_polled = 0x58

/* §2.2, column "Win7 (7600/7601)" (verified on a real Win7 SP1 dump per the reference). */
static const heap_layout HL_WIN7_X64 = {
    .name = "Win7 x64", .ref = "§2.1 + §2.2 Win7 column + §2.5", .hv = HV_WIN7, PREFIX_X64,
    .pointer_key = 0x90, .interceptor = 0x98, .vm_threshold = 0x9C, .signature = 0xA0,
    .segment_reserve = 0xA8, .segment_commit = 0xB0, .decommit_free_block = 0xB8,
    .decommit_total_free = 0xC0, .total_free_size = 0xC8, .max_alloc = 0xD0, .heaps_index = 0xD8,
    .validate_len = 0xDA, .validate_copy = 0xE0, .next_tag = 0xE8, .tag_entries = 0xF0,
    .ucr_list = 0xF8, .align_round = 0x108, .align_mask = 0x110, .va_blocks = 0x118,
    .segment_list = 0x128, .alloc_bt_index = 0x138, .non_dedicated = 0x13C, .blocks_index = 0x140,
    .ucr_index = 0x148, .pseudo_tag = 0x150, .free_lists = 0x158, .lock_variable = 0x168,
    .commit_routine = 0x170, .stack_trace_init = 0, .commit_limit = 0, .user_context = 0,
    .front_end_heap = 0x178, .front_lock_count = 0x180, .front_end_type = 0x182,
    .requested_fe_type = 0, .fe_usage_data = 0, .fe_max_index = 0, .fe_status_bitmap = 0,
    .counters = 0x188, .tuning = 0x1F8, .heap_size = 0x208, COUNTERS_X64_WIN7, .lfh = &LFH_WIN7_X64,
};

/* §2.2, column "Win8 … 1511 (9200, 9600, 10240, 10586)". */
static const heap_layout HL_WIN8_X64 = {
    .name = "Win8-1511 x64", .ref = "§2.1 + §2.2 Win8…1511 column + §2.5", .hv = HV_WIN8, PREFIX_X64,
    .pointer_key = 0, .interceptor = 0x90, .vm_threshold = 0x94, .signature = 0x98,
    .segment_reserve = 0xA0, .segment_commit = 0xA8, .decommit_free_block = 0xB0,
    .decommit_total_free = 0xB8, .total_free_size = 0xC0, .max_alloc = 0xC8, .heaps_index = 0xD0,
    .validate_len = 0xD2, .validate_copy = 0xD8, .next_tag = 0xE0, .tag_entries = 0xE8,
    .ucr_list = 0xF0, .align_round = 0x100, .align_mask = 0x108, .va_blocks = 0x110,
    .segment_list = 0x120, .alloc_bt_index = 0x130, .non_dedicated = 0x134, .blocks_index = 0x138,
    .ucr_index = 0x140, .pseudo_tag = 0x148, .free_lists = 0x150, .lock_variable = 0x160,
    .commit_routine = 0x168, .stack_trace_init = 0, .commit_limit = 0, .user_context = 0,
    .front_end_heap = 0x170, .front_lock_count = 0x178, .front_end_type = 0x17A,
    .requested_fe_type = 0x17B, .fe_usage_data = 0x180, .fe_max_index = 0x188,
    .fe_status_bitmap = 0x18A, .counters = 0x210, .tuning = 0x288, .heap_size = 0x298,
    COUNTERS_X64_WIN8, .lfh = &LFH_WIN81_X64,
};

/* §2.2, column "1607 … 1803 (14393–17134)". */
static const heap_layout HL_1607_X64 = {
    .name = "1607-1803 x64", .ref = "§2.1 + §2.2 1607…1803 column + §2.5", .hv = HV_1607, PREFIX_X64,
    .pointer_key = 0, .interceptor = 0x90, .vm_threshold = 0x94, .signature = 0x98,
    .segment_reserve = 0xA0, .segment_commit = 0xA8, .decommit_free_block = 0xB0,
    .decommit_total_free = 0xB8, .total_free_size = 0xC0, .max_alloc = 0xC8, .heaps_index = 0xD0,
    .validate_len = 0xD2, .validate_copy = 0xD8, .next_tag = 0xE0, .tag_entries = 0xE8,
    .ucr_list = 0xF0, .align_round = 0x100, .align_mask = 0x108, .va_blocks = 0x110,
    .segment_list = 0x120, .alloc_bt_index = 0x130, .non_dedicated = 0x134, .blocks_index = 0x138,
    .ucr_index = 0x140, .pseudo_tag = 0x148, .free_lists = 0x150, .lock_variable = 0x160,
    .commit_routine = 0x168, .stack_trace_init = 0x170, .commit_limit = 0, .user_context = 0,
    .front_end_heap = 0x178, .front_lock_count = 0x180, .front_end_type = 0x182,
    .requested_fe_type = 0x183, .fe_usage_data = 0x188, .fe_max_index = 0x190,
    .fe_status_bitmap = 0x192, .counters = 0x218, .tuning = 0x290, .heap_size = 0x2A0,
    COUNTERS_X64_WIN8, .lfh = &LFH_WIN81_X64,
};

/* §2.2, column "1809 … Win11 (17763–22000; 22631 via DEC-K)"; UserContext +0x188 from §1.4
** (24H2 only). */
static const heap_layout HL_1809_X64 = {
    .name = "1809+ x64", .ref = "§2.1 + §2.2 1809…Win11 column + §2.5 + §1.4", .hv = HV_1809, PREFIX_X64,
    .pointer_key = 0, .interceptor = 0x90, .vm_threshold = 0x94, .signature = 0x98,
    .segment_reserve = 0xA0, .segment_commit = 0xA8, .decommit_free_block = 0xB0,
    .decommit_total_free = 0xB8, .total_free_size = 0xC0, .max_alloc = 0xC8, .heaps_index = 0xD0,
    .validate_len = 0xD2, .validate_copy = 0xD8, .next_tag = 0xE0, .tag_entries = 0xE8,
    .ucr_list = 0xF0, .align_round = 0x100, .align_mask = 0x108, .va_blocks = 0x110,
    .segment_list = 0x120, .alloc_bt_index = 0x130, .non_dedicated = 0x134, .blocks_index = 0x138,
    .ucr_index = 0x140, .pseudo_tag = 0x148, .free_lists = 0x150, .lock_variable = 0x160,
    .commit_routine = 0x168, .stack_trace_init = 0x170, .commit_limit = 0x178, .user_context = 0x188,
    .front_end_heap = 0x198, .front_lock_count = 0x1A0, .front_end_type = 0x1A2,
    .requested_fe_type = 0x1A3, .fe_usage_data = 0x1A8, .fe_max_index = 0x1B0,
    .fe_status_bitmap = 0x1B2, .counters = 0x238, .tuning = 0x2B0, .heap_size = 0x2C0,
    COUNTERS_X64_WIN8, .lfh = &LFH_WIN81_X64,
};

/* §2.3, column "Win7". */
static const heap_layout HL_WIN7_X86 = {
    .name = "Win7 x86", .ref = "§2.1 + §2.3 Win7 column + §2.5", .hv = HV_WIN7, PREFIX_X86,
    .pointer_key = 0x58, .interceptor = 0x5C, .vm_threshold = 0x60, .signature = 0x64,
    .segment_reserve = 0x68, .segment_commit = 0x6C, .decommit_free_block = 0x70,
    .decommit_total_free = 0x74, .total_free_size = 0x78, .max_alloc = 0x7C, .heaps_index = 0x80,
    .validate_len = 0x82, .validate_copy = 0x84, .next_tag = 0x88, .tag_entries = 0x8C,
    .ucr_list = 0x90, .align_round = 0x98, .align_mask = 0x9C, .va_blocks = 0xA0,
    .segment_list = 0xA8, .alloc_bt_index = 0xB0, .non_dedicated = 0xB4, .blocks_index = 0xB8,
    .ucr_index = 0xBC, .pseudo_tag = 0xC0, .free_lists = 0xC4, .lock_variable = 0xCC,
    .commit_routine = 0xD0, .stack_trace_init = 0, .commit_limit = 0, .user_context = 0,
    .front_end_heap = 0xD4, .front_lock_count = 0xD8, .front_end_type = 0xDA,
    .requested_fe_type = 0, .fe_usage_data = 0, .fe_max_index = 0, .fe_status_bitmap = 0,
    .counters = 0xDC, .tuning = 0x130, .heap_size = 0x138, COUNTERS_X86_WIN7, .lfh = &LFH_WIN7_X86,
};

/* §2.3, column "Win8 … 1511". */
static const heap_layout HL_WIN8_X86 = {
    .name = "Win8-1511 x86", .ref = "§2.1 + §2.3 Win8…1511 column + §2.5", .hv = HV_WIN8, PREFIX_X86,
    .pointer_key = 0, .interceptor = 0x58, .vm_threshold = 0x5C, .signature = 0x60,
    .segment_reserve = 0x64, .segment_commit = 0x68, .decommit_free_block = 0x6C,
    .decommit_total_free = 0x70, .total_free_size = 0x74, .max_alloc = 0x78, .heaps_index = 0x7C,
    .validate_len = 0x7E, .validate_copy = 0x80, .next_tag = 0x84, .tag_entries = 0x88,
    .ucr_list = 0x8C, .align_round = 0x94, .align_mask = 0x98, .va_blocks = 0x9C,
    .segment_list = 0xA4, .alloc_bt_index = 0xAC, .non_dedicated = 0xB0, .blocks_index = 0xB4,
    .ucr_index = 0xB8, .pseudo_tag = 0xBC, .free_lists = 0xC0, .lock_variable = 0xC8,
    .commit_routine = 0xCC, .stack_trace_init = 0, .commit_limit = 0, .user_context = 0,
    .front_end_heap = 0xD0, .front_lock_count = 0xD4, .front_end_type = 0xD6,
    .requested_fe_type = 0xD7, .fe_usage_data = 0xD8, .fe_max_index = 0xDC,
    .fe_status_bitmap = 0xDE, .counters = 0x1E0, .tuning = 0x23C, .heap_size = 0x244,
    COUNTERS_X86_WIN8, .lfh = &LFH_WIN81_X86,
};

/* §2.3, column "1809 … Win11"; UserContext +0xDC from §1.4 (x86, L; unused: no 24H2 x86 layout). */
static const heap_layout HL_1809_X86 = {
    .name = "1809+ x86", .ref = "§2.1 + §2.3 1809…Win11 column + §2.5", .hv = HV_1809, PREFIX_X86,
    .pointer_key = 0, .interceptor = 0x58, .vm_threshold = 0x5C, .signature = 0x60,
    .segment_reserve = 0x64, .segment_commit = 0x68, .decommit_free_block = 0x6C,
    .decommit_total_free = 0x70, .total_free_size = 0x74, .max_alloc = 0x78, .heaps_index = 0x7C,
    .validate_len = 0x7E, .validate_copy = 0x80, .next_tag = 0x84, .tag_entries = 0x88,
    .ucr_list = 0x8C, .align_round = 0x94, .align_mask = 0x98, .va_blocks = 0x9C,
    .segment_list = 0xA4, .alloc_bt_index = 0xAC, .non_dedicated = 0xB0, .blocks_index = 0xB4,
    .ucr_index = 0xB8, .pseudo_tag = 0xBC, .free_lists = 0xC0, .lock_variable = 0xC8,
    .commit_routine = 0xCC, .stack_trace_init = 0xD0, .commit_limit = 0xD4, .user_context = 0xDC,
    .front_end_heap = 0xE4, .front_lock_count = 0xE8, .front_end_type = 0xEA,
    .requested_fe_type = 0xEB, .fe_usage_data = 0xEC, .fe_max_index = 0xF0,
    .fe_status_bitmap = 0xF2, .counters = 0x1F4, .tuning = 0x250, .heap_size = 0x258,
    COUNTERS_X86_WIN8, .lfh = &LFH_WIN81_X86,
};

/* ---- the layouts mkdump can write (names fixed by docs/manifest.md) -------------------------- */
static const layout LAYOUTS[] = {
    {"win7-x86", "Windows 7 SP1 x86 (6.1.7601)", 4, 0, 6, 1, 7601, 24000, "Service Pack 1", 1, 0, 0,
     &HL_WIN7_X86, NULL},
    {"win7-x64", "Windows 7 SP1 x64 (6.1.7601)", 8, 0, 6, 1, 7601, 24000, "Service Pack 1", 1, 0, 0,
     &HL_WIN7_X64, NULL},
    {"win81-x86", "Windows 8.1 Update x86 (6.3.9600)", 4, 0, 6, 3, 9600, 17031, "", 0, 0, 0,
     &HL_WIN8_X86, NULL},
    {"win81-x64", "Windows 8.1 Update x64 (6.3.9600)", 8, 0, 6, 3, 9600, 17031, "", 0, 0, 0,
     &HL_WIN8_X64, NULL},
    {"win10-1607-x64", "Windows 10 1607 x64 (10.0.14393)", 8, 0, 10, 0, 14393, 0, "", 0, 1, 0,
     &HL_1607_X64, NULL},
    {"win10-x86", "Windows 10 22H2 x86 (10.0.19045)", 4, 0, 10, 0, 19045, 0, "", 0, 1, 0,
     &HL_1809_X86, NULL},
    {"win10-x64", "Windows 10 22H2 x64 (10.0.19045)", 8, 0, 10, 0, 19045, 0, "", 0, 1, 0,
     &HL_1809_X64, NULL},
    {"win11-x64", "Windows 11 23H2 x64 (10.0.22631)", 8, 0, 10, 0, 22631, 0, "", 0, 1, 0,
     &HL_1809_X64, NULL},
    {"win11-24h2-x64", "Windows 11 24H2 x64 (10.0.26100)", 8, 0, 10, 0, 26100, 0, "", 0, 1, 1,
     &HL_1809_X64, NULL},
    {"win7-wow64", "Windows 7 SP1 x64, 32-bit process under WoW64 (6.1.7601)", 8, 1, 6, 1, 7601, 24000,
     "Service Pack 1", 1, 0, 0, &HL_WIN7_X64, &HL_WIN7_X86},
    {"win10-wow64", "Windows 10 22H2 x64, 32-bit process under WoW64 (10.0.19045)", 8, 1, 10, 0, 19045,
     0, "", 0, 1, 0, &HL_1809_X64, &HL_1809_X86},
};

const layout *layout_find(const char *name)
{
    size_t i;
    for (i = 0; i < ARRAY_LEN(LAYOUTS); i++)
        if (!strcmp(LAYOUTS[i].name, name)) return &LAYOUTS[i];
    return NULL;
}

const layout *layout_at(size_t i) { return i < ARRAY_LEN(LAYOUTS) ? &LAYOUTS[i] : NULL; }
size_t layout_count(void) { return ARRAY_LEN(LAYOUTS); }
