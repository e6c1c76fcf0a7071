/*
** layout_win7.c - Windows 7 (6.1.7600/7601): the _HEAP tail and the LFH structures (offset
** tables only; see layout.h).  The x86 column is the one verified on fizzbuzz_wow64.dmp (the
** 32-bit heaps of a WoW64 process), the x64 _HEAP column too (four 64-bit heaps); the x64 LFH
** column was not exercised by real data (reference §6.2, §6.4).
*/
#include "layout.h"

/* §6.2 _LFH_HEAP, §6.3 _HEAP_LOCAL_DATA / _HEAP_LOCAL_SEGMENT_INFO / _HEAP_SUBSEGMENT /
** _HEAP_USERDATA_HEADER / _LFH_BLOCK_ZONE, §6.4 Win7 header encoding. */
const hl_lfh hl_lfh_win7_x86 = {
    .name = "win7",
    .lfh_subsegment_zones = 0x18, .lfh_zone_block_size = 0x20, .lfh_heap = 0x24,
    .lfh_buckets = 0x110, .lfh_local_data = 0x310, .sizeof_lfh = 0x3728,
    .ld_low_frag_heap = 0x0C, .ld_segment_info = 0x18,
    .lsi_local_data = 0x58, .lsi_active_subsegment = 0x04, .lsi_counters = 0x50,
    .lsi_bucket_index = 0x60, .sizeof_lsi = 0x68,
    .ss_local_info = 0x00, .ss_user_blocks = 0x04, .ss_depth = 0x08, .ss_free_entry_offset = 0x0A,
    .ss_block_size = 0x10, .ss_flags = 0x12, .ss_block_count = 0x14, .ss_size_index = 0x16,
    .ss_affinity_index = 0x17, .sizeof_ss = 0x20,
    .ud_subsegment = 0x00, .ud_size_index = 0x08, .ud_signature = 0x0C, .ud_encoded_offsets = HL_NA,
    .ud_bitmap_size = HL_NA, .ud_bitmap_buffer = HL_NA, .ud_bitmap_data = HL_NA,
    .ud_first_block = 0x10, .bitmap_word = 4,
    .zone_list = 0x00, .zone_free_pointer = 0x08, .zone_limit = 0x0C, .zone_first = 0x10,
    .pos_shift = 3, .ofs_shift = 0,
};

const hl_lfh hl_lfh_win7_x64 = {
    .name = "win7",
    .lfh_subsegment_zones = 0x28, .lfh_zone_block_size = 0x38, .lfh_heap = 0x40,
    .lfh_buckets = 0x1F0, .lfh_local_data = 0x3F0, .sizeof_lfh = 0x6420,
    .ld_low_frag_heap = 0x18, .ld_segment_info = 0x30,
    .lsi_local_data = 0xA8, .lsi_active_subsegment = 0x08, .lsi_counters = 0xA0,
    .lsi_bucket_index = 0xB4, .sizeof_lsi = 0xC0,
    .ss_local_info = 0x00, .ss_user_blocks = 0x08, .ss_depth = 0x10, .ss_free_entry_offset = 0x12,
    .ss_block_size = 0x18, .ss_flags = 0x1A, .ss_block_count = 0x1C, .ss_size_index = 0x1E,
    .ss_affinity_index = 0x1F, .sizeof_ss = 0x30,
    .ud_subsegment = 0x00, .ud_size_index = 0x10, .ud_signature = 0x18, .ud_encoded_offsets = HL_NA,
    .ud_bitmap_size = HL_NA, .ud_bitmap_buffer = HL_NA, .ud_bitmap_data = HL_NA,
    .ud_first_block = 0x20, .bitmap_word = 8,
    .zone_list = 0x00, .zone_free_pointer = 0x10, .zone_limit = 0x18, .zone_first = 0x20,
    .pos_shift = 4, .ofs_shift = 0,   /* §6.4: x64 mixing unverified (L); used only to try */
};

/* §2.3, Win7 column */
const hl_heap hl_win7_x86 = {
    .name = "win7", .title = "Windows 7", .c = &hl_common_x86, .lfh = &hl_lfh_win7_x86,
    .pointer_key = 0x58, .interceptor = 0x5C, .vm_threshold = 0x60, .signature = 0x64,
    .segment_reserve = 0x68, .segment_commit = 0x6C, .decommit_block = 0x70, .decommit_total = 0x74,
    .total_free_size = 0x78, .max_alloc_size = 0x7C, .process_heaps_list_index = 0x80,
    .header_validate_length = 0x82, .header_validate_copy = 0x84, .next_tag_index = 0x88,
    .max_tag_index = 0x8A, .tag_entries = 0x8C, .ucr_list = 0x90, .align_round = 0x98,
    .align_mask = 0x9C, .virtual_allocd_blocks = 0xA0, .segment_list = 0xA8, .alloc_bt_index = 0xB0,
    .non_dedicated_list_length = 0xB4, .blocks_index = 0xB8, .ucr_index = 0xBC,
    .pseudo_tag_entries = 0xC0, .free_lists = 0xC4, .lock_variable = 0xCC, .commit_routine = 0xD0,
    .stack_trace_init_var = HL_NA, .commit_limit_data = HL_NA, .front_end_heap = 0xD4,
    .front_heap_lock_count = 0xD8, .front_end_heap_type = 0xDA,
    .requested_front_end_heap_type = HL_NA, .front_end_usage_data = HL_NA,
    .front_end_max_index = HL_NA, .front_end_status_bitmap = HL_NA, .counters = 0xDC,
    .tuning_parameters = 0x130, .user_context = HL_NA, .sizeof_heap = 0x138,
    .status_bitmap_bytes = 0, .min_build = 7600,
};

/* §2.2, Win7 column */
const hl_heap hl_win7_x64 = {
    .name = "win7", .title = "Windows 7", .c = &hl_common_x64, .lfh = &hl_lfh_win7_x64,
    .pointer_key = 0x90, .interceptor = 0x98, .vm_threshold = 0x9C, .signature = 0xA0,
    .segment_reserve = 0xA8, .segment_commit = 0xB0, .decommit_block = 0xB8, .decommit_total = 0xC0,
    .total_free_size = 0xC8, .max_alloc_size = 0xD0, .process_heaps_list_index = 0xD8,
    .header_validate_length = 0xDA, .header_validate_copy = 0xE0, .next_tag_index = 0xE8,
    .max_tag_index = 0xEA, .tag_entries = 0xF0, .ucr_list = 0xF8, .align_round = 0x108,
    .align_mask = 0x110, .virtual_allocd_blocks = 0x118, .segment_list = 0x128,
    .alloc_bt_index = 0x138, .non_dedicated_list_length = 0x13C, .blocks_index = 0x140,
    .ucr_index = 0x148, .pseudo_tag_entries = 0x150, .free_lists = 0x158, .lock_variable = 0x168,
    .commit_routine = 0x170, .stack_trace_init_var = HL_NA, .commit_limit_data = HL_NA,
    .front_end_heap = 0x178, .front_heap_lock_count = 0x180, .front_end_heap_type = 0x182,
    .requested_front_end_heap_type = HL_NA, .front_end_usage_data = HL_NA,
    .front_end_max_index = HL_NA, .front_end_status_bitmap = HL_NA, .counters = 0x188,
    .tuning_parameters = 0x1F8, .user_context = HL_NA, .sizeof_heap = 0x208,
    .status_bitmap_bytes = 0, .min_build = 7600,
};
