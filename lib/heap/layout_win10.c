/*
** layout_win10.c - Windows 10 1607 .. 1803 (14393 .. 17134), 1809 .. Windows 11 (17763 ..), and
** Windows 11 24H2 (26100+): the _HEAP tails (offset tables only; see layout.h).  The LFH uses
** the Win8+ tables of layout_win8.c.  Section numbers refer to
** ../shared/reference/nt-heap-layouts.md.
**
** 24H2 is the 1809+ table plus the UserContext pointer that heads the heap descriptor chain
** (§1.4: x64 +0x188; x86 +0xDC, observed on build 26200 only).  The reference establishes nothing
** else for 24H2; the x86 1809+ column held on 26200 for every captured field (§2.3).
*/
#include "layout.h"

/* The _HEAP fields that do not move from Windows 8 on (§2.2 / §2.3, columns 2-4). */
#define WIN8PLUS_X86                                                                            \
    .pointer_key = HL_NA, .interceptor = 0x58, .vm_threshold = 0x5C, .signature = 0x60,         \
    .segment_reserve = 0x64, .segment_commit = 0x68, .decommit_block = 0x6C,                    \
    .decommit_total = 0x70, .total_free_size = 0x74, .max_alloc_size = 0x78,                    \
    .process_heaps_list_index = 0x7C, .header_validate_length = 0x7E,                           \
    .header_validate_copy = 0x80, .next_tag_index = 0x84, .max_tag_index = 0x86,                \
    .tag_entries = 0x88, .ucr_list = 0x8C, .align_round = 0x94, .align_mask = 0x98,             \
    .virtual_allocd_blocks = 0x9C, .segment_list = 0xA4, .alloc_bt_index = 0xAC,                \
    .non_dedicated_list_length = 0xB0, .blocks_index = 0xB4, .ucr_index = 0xB8,                 \
    .pseudo_tag_entries = 0xBC, .free_lists = 0xC0, .lock_variable = 0xC8,                      \
    .commit_routine = 0xCC, .stack_trace_init_var = 0xD0

#define WIN8PLUS_X64                                                                            \
    .pointer_key = HL_NA, .interceptor = 0x90, .vm_threshold = 0x94, .signature = 0x98,         \
    .segment_reserve = 0xA0, .segment_commit = 0xA8, .decommit_block = 0xB0,                    \
    .decommit_total = 0xB8, .total_free_size = 0xC0, .max_alloc_size = 0xC8,                    \
    .process_heaps_list_index = 0xD0, .header_validate_length = 0xD2,                           \
    .header_validate_copy = 0xD8, .next_tag_index = 0xE0, .max_tag_index = 0xE2,                \
    .tag_entries = 0xE8, .ucr_list = 0xF0, .align_round = 0x100, .align_mask = 0x108,           \
    .virtual_allocd_blocks = 0x110, .segment_list = 0x120, .alloc_bt_index = 0x130,             \
    .non_dedicated_list_length = 0x134, .blocks_index = 0x138, .ucr_index = 0x140,              \
    .pseudo_tag_entries = 0x148, .free_lists = 0x150, .lock_variable = 0x160,                   \
    .commit_routine = 0x168, .stack_trace_init_var = 0x170

/* §2.3, "1607 … 1803" column */
const hl_heap hl_1607_x86 = {
    .name = "win10_1607", .title = "Windows 10 1607 - 1803", .c = &hl_common_x86,
    .lfh = &hl_lfh_win8_x86, WIN8PLUS_X86,
    .commit_limit_data = HL_NA, .front_end_heap = 0xD4, .front_heap_lock_count = 0xD8,
    .front_end_heap_type = 0xDA, .requested_front_end_heap_type = 0xDB,
    .front_end_usage_data = 0xDC, .front_end_max_index = 0xE0, .front_end_status_bitmap = 0xE2,
    .counters = 0x1E4, .tuning_parameters = 0x240, .user_context = HL_NA, .sizeof_heap = 0x248,
    .status_bitmap_bytes = 257, .min_build = 14393,
};

/* §2.2, "1607 … 1803" column */
const hl_heap hl_1607_x64 = {
    .name = "win10_1607", .title = "Windows 10 1607 - 1803", .c = &hl_common_x64,
    .lfh = &hl_lfh_win8_x64, WIN8PLUS_X64,
    .commit_limit_data = HL_NA, .front_end_heap = 0x178, .front_heap_lock_count = 0x180,
    .front_end_heap_type = 0x182, .requested_front_end_heap_type = 0x183,
    .front_end_usage_data = 0x188, .front_end_max_index = 0x190, .front_end_status_bitmap = 0x192,
    .counters = 0x218, .tuning_parameters = 0x290, .user_context = HL_NA, .sizeof_heap = 0x2A0,
    .status_bitmap_bytes = 129, .min_build = 14393,
};

/* §2.3, "1809 … Win11" column */
const hl_heap hl_1809_x86 = {
    .name = "win10_1809", .title = "Windows 10 1809 - Windows 11", .c = &hl_common_x86,
    .lfh = &hl_lfh_win8_x86, WIN8PLUS_X86,
    .commit_limit_data = 0xD4, .front_end_heap = 0xE4, .front_heap_lock_count = 0xE8,
    .front_end_heap_type = 0xEA, .requested_front_end_heap_type = 0xEB,
    .front_end_usage_data = 0xEC, .front_end_max_index = 0xF0, .front_end_status_bitmap = 0xF2,
    .counters = 0x1F4, .tuning_parameters = 0x250, .user_context = HL_NA, .sizeof_heap = 0x258,
    .status_bitmap_bytes = 257, .min_build = 17763,
};

/* §2.2, "1809 … Win11" column */
const hl_heap hl_1809_x64 = {
    .name = "win10_1809", .title = "Windows 10 1809 - Windows 11", .c = &hl_common_x64,
    .lfh = &hl_lfh_win8_x64, WIN8PLUS_X64,
    .commit_limit_data = 0x178, .front_end_heap = 0x198, .front_heap_lock_count = 0x1A0,
    .front_end_heap_type = 0x1A2, .requested_front_end_heap_type = 0x1A3,
    .front_end_usage_data = 0x1A8, .front_end_max_index = 0x1B0, .front_end_status_bitmap = 0x1B2,
    .counters = 0x238, .tuning_parameters = 0x2B0, .user_context = HL_NA, .sizeof_heap = 0x2C0,
    .status_bitmap_bytes = 129, .min_build = 17763,
};

/* §1.4 + §2.3: 24H2 x86 = 1809+ with UserContext at CommitLimitData + 0x8 (L) */
const hl_heap hl_24h2_x86 = {
    .name = "win11_24h2", .title = "Windows 11 24H2+", .c = &hl_common_x86,
    .lfh = &hl_lfh_win8_x86, WIN8PLUS_X86,
    .commit_limit_data = 0xD4, .front_end_heap = 0xE4, .front_heap_lock_count = 0xE8,
    .front_end_heap_type = 0xEA, .requested_front_end_heap_type = 0xEB,
    .front_end_usage_data = 0xEC, .front_end_max_index = 0xF0, .front_end_status_bitmap = 0xF2,
    .counters = 0x1F4, .tuning_parameters = 0x250, .user_context = 0xDC, .sizeof_heap = 0x258,
    .status_bitmap_bytes = 257, .min_build = 26100,
};

/* §1.4 + §2.2: 24H2 x64 = 1809+ with UserContext at +0x188 (CommitLimitData + 0x10; M) */
const hl_heap hl_24h2_x64 = {
    .name = "win11_24h2", .title = "Windows 11 24H2+", .c = &hl_common_x64,
    .lfh = &hl_lfh_win8_x64, WIN8PLUS_X64,
    .commit_limit_data = 0x178, .front_end_heap = 0x198, .front_heap_lock_count = 0x1A0,
    .front_end_heap_type = 0x1A2, .requested_front_end_heap_type = 0x1A3,
    .front_end_usage_data = 0x1A8, .front_end_max_index = 0x1B0, .front_end_status_bitmap = 0x1B2,
    .counters = 0x238, .tuning_parameters = 0x2B0, .user_context = 0x188, .sizeof_heap = 0x2C0,
    .status_bitmap_bytes = 129, .min_build = 26100,
};
