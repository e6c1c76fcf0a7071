/*
** layout_win8.c - Windows 8 through Windows 10 1511 (9200 .. 10586): the _HEAP tail, and the
** LFH structures used from Windows 8 to Windows 11 (offset tables only; see layout.h).
** Section numbers refer to ../shared/reference/nt-heap-layouts.md.
**
** LFH: the tables follow the "Win8.1 Update - Win11" columns of §6.2; the fields the walker
** needs (Heap, SubSegmentZones, the subsegment and UserBlocks fields) are the same in the Win8.0
** and 8.1 RTM variants (§10.2 step 4).  The zone's +0x8/+0x10 word is FreePointer (8.0, 8.1 RTM)
** or NextIndex (8.1 Update+); lfh.c tells them apart by value.
*/
#include "layout.h"

const hl_lfh hl_lfh_win8_x86 = {
    .name = "win8",
    .lfh_subsegment_zones = 0x04, .lfh_zone_block_size = HL_NA, .lfh_heap = 0x0C,
    .lfh_buckets = 0x1BC, .lfh_local_data = 0x7D0, .sizeof_lfh = 0x7E8,
    .ld_low_frag_heap = 0x0C, .ld_segment_info = HL_NA,
    .lsi_local_data = 0x00, .lsi_active_subsegment = 0x04, .lsi_counters = 0x50,
    .lsi_bucket_index = 0x5C, .sizeof_lsi = 0x68,
    .ss_local_info = 0x00, .ss_user_blocks = 0x04, .ss_depth = 0x10, .ss_free_entry_offset = HL_NA,
    .ss_block_size = 0x14, .ss_flags = 0x16, .ss_block_count = 0x18, .ss_size_index = 0x1A,
    .ss_affinity_index = 0x1B, .sizeof_ss = 0x28,
    .ud_subsegment = 0x00, .ud_size_index = 0x08, .ud_signature = 0x0C, .ud_encoded_offsets = 0x10,
    .ud_bitmap_size = 0x14, .ud_bitmap_buffer = 0x18, .ud_bitmap_data = 0x1C,
    .ud_first_block = HL_NA, .bitmap_word = 4,
    .zone_list = 0x00, .zone_free_pointer = 0x08, .zone_limit = 0x0C, .zone_first = 0x10,
    .pos_shift = 3, .ofs_shift = 13,
};

const hl_lfh hl_lfh_win8_x64 = {
    .name = "win8",
    .lfh_subsegment_zones = 0x08, .lfh_zone_block_size = HL_NA, .lfh_heap = 0x18,
    .lfh_buckets = 0x2A4, .lfh_local_data = 0xCC0, .sizeof_lfh = 0xCF0,
    .ld_low_frag_heap = 0x18, .ld_segment_info = HL_NA,
    .lsi_local_data = 0x00, .lsi_active_subsegment = 0x08, .lsi_counters = 0xA0,
    .lsi_bucket_index = 0xAC, .sizeof_lsi = 0xC0,
    .ss_local_info = 0x00, .ss_user_blocks = 0x08, .ss_depth = 0x20, .ss_free_entry_offset = HL_NA,
    .ss_block_size = 0x24, .ss_flags = 0x26, .ss_block_count = 0x28, .ss_size_index = 0x2A,
    .ss_affinity_index = 0x2B, .sizeof_ss = 0x40,
    .ud_subsegment = 0x00, .ud_size_index = 0x10, .ud_signature = 0x14, .ud_encoded_offsets = 0x18,
    .ud_bitmap_size = 0x20, .ud_bitmap_buffer = 0x28, .ud_bitmap_data = 0x30,
    .ud_first_block = HL_NA, .bitmap_word = 8,
    .zone_list = 0x00, .zone_free_pointer = 0x10, .zone_limit = 0x18, .zone_first = 0x20,
    .pos_shift = 4, .ofs_shift = 12,
};

/* §2.3, "Win8 … 1511" column */
const hl_heap hl_win8_x86 = {
    .name = "win8", .title = "Windows 8 - 10 1511", .c = &hl_common_x86, .lfh = &hl_lfh_win8_x86,
    .pointer_key = HL_NA, .interceptor = 0x58, .vm_threshold = 0x5C, .signature = 0x60,
    .segment_reserve = 0x64, .segment_commit = 0x68, .decommit_block = 0x6C, .decommit_total = 0x70,
    .total_free_size = 0x74, .max_alloc_size = 0x78, .process_heaps_list_index = 0x7C,
    .header_validate_length = 0x7E, .header_validate_copy = 0x80, .next_tag_index = 0x84,
    .max_tag_index = 0x86, .tag_entries = 0x88, .ucr_list = 0x8C, .align_round = 0x94,
    .align_mask = 0x98, .virtual_allocd_blocks = 0x9C, .segment_list = 0xA4, .alloc_bt_index = 0xAC,
    .non_dedicated_list_length = 0xB0, .blocks_index = 0xB4, .ucr_index = 0xB8,
    .pseudo_tag_entries = 0xBC, .free_lists = 0xC0, .lock_variable = 0xC8, .commit_routine = 0xCC,
    .stack_trace_init_var = HL_NA, .commit_limit_data = HL_NA, .front_end_heap = 0xD0,
    .front_heap_lock_count = 0xD4, .front_end_heap_type = 0xD6,
    .requested_front_end_heap_type = 0xD7, .front_end_usage_data = 0xD8,
    .front_end_max_index = 0xDC, .front_end_status_bitmap = 0xDE, .counters = 0x1E0,
    .tuning_parameters = 0x23C, .user_context = HL_NA, .sizeof_heap = 0x244,
    .status_bitmap_bytes = 257, .min_build = 9200,
};

/* §2.2, "Win8 … 1511" column */
const hl_heap hl_win8_x64 = {
    .name = "win8", .title = "Windows 8 - 10 1511", .c = &hl_common_x64, .lfh = &hl_lfh_win8_x64,
    .pointer_key = HL_NA, .interceptor = 0x90, .vm_threshold = 0x94, .signature = 0x98,
    .segment_reserve = 0xA0, .segment_commit = 0xA8, .decommit_block = 0xB0, .decommit_total = 0xB8,
    .total_free_size = 0xC0, .max_alloc_size = 0xC8, .process_heaps_list_index = 0xD0,
    .header_validate_length = 0xD2, .header_validate_copy = 0xD8, .next_tag_index = 0xE0,
    .max_tag_index = 0xE2, .tag_entries = 0xE8, .ucr_list = 0xF0, .align_round = 0x100,
    .align_mask = 0x108, .virtual_allocd_blocks = 0x110, .segment_list = 0x120,
    .alloc_bt_index = 0x130, .non_dedicated_list_length = 0x134, .blocks_index = 0x138,
    .ucr_index = 0x140, .pseudo_tag_entries = 0x148, .free_lists = 0x150, .lock_variable = 0x160,
    .commit_routine = 0x168, .stack_trace_init_var = HL_NA, .commit_limit_data = HL_NA,
    .front_end_heap = 0x170, .front_heap_lock_count = 0x178, .front_end_heap_type = 0x17A,
    .requested_front_end_heap_type = 0x17B, .front_end_usage_data = 0x180,
    .front_end_max_index = 0x188, .front_end_status_bitmap = 0x18A, .counters = 0x210,
    .tuning_parameters = 0x288, .user_context = HL_NA, .sizeof_heap = 0x298,
    .status_bitmap_bytes = 129, .min_build = 9200,
};
