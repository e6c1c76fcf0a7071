/*
** layout_common.c - offsets identical on every build from Windows 7 to Windows 11, per pointer
** size (offset tables only; see layout.h).  Section numbers refer to
** ../shared/reference/nt-heap-layouts.md.
*/
#include <stddef.h>   /* NULL */
#include "layout.h"

const hl_common hl_common_x86 = {
    .ptr = 4, .gran = 8,
    /* §2.1 common prefix (the embedded _HEAP_SEGMENT) */
    .seg_signature = 0x08, .seg_flags = 0x0C, .seg_list_entry = 0x10, .seg_heap = 0x18,
    .seg_base_address = 0x1C, .seg_number_of_pages = 0x20, .seg_first_entry = 0x24,
    .seg_last_valid_entry = 0x28, .seg_uncommitted_pages = 0x2C, .seg_uncommitted_ranges = 0x30,
    .seg_alloc_bt_index = 0x34, .seg_ucr_segment_list = 0x38,
    .sizeof_segment = 0x40,                                   /* §2.1 */
    .flags = 0x40, .force_flags = 0x44, .compat_flags = 0x48, .encode_flag_mask = 0x4C,
    .encoding = 0x50, .encoding_key = 0x50,                   /* §2.1: x86 key bytes at +0x50 */
    /* §3.1: the whole 8-byte entry is the body */
    .entry_body = 0,
    /* §3.6 */
    .extra_bt_index = 0x0, .extra_tag_index = 0x2, .extra_settable = 0x4, .sizeof_extra = 0x8,
    /* §2.5 */
    .ctr_reserved = 0x00, .ctr_committed = 0x04, .ctr_large_ucr = 0x08, .ctr_virtual = 0x0C,
    .ctr_segments = 0x10, .ctr_ucrs = 0x14, .ctr_commit_ops = 0x18, .ctr_decommit_ops = 0x1C,
    .ctr_lock_acquires = 0x20, .ctr_lock_collisions = 0x24,
    /* §2.6 */
    .ll_extended = 0x00, .ll_array_size = 0x04, .ll_extra_item = 0x08, .ll_item_count = 0x0C,
    .ll_out_of_range = 0x10, .ll_base_index = 0x14, .ll_list_head = 0x18, .ll_lists_in_use = 0x1C,
    .ll_list_hints = 0x20, .list_hint_stride = 8, .free_entry_links = 0x08,
    /* §4.1 */
    .ucr_list_entry = 0x00, .ucr_segment_entry = 0x08, .ucr_address = 0x10, .ucr_size = 0x14,
    .sizeof_ucr = 0x18,
    /* §5.1 */
    .va_entry = 0x00, .va_extra = 0x08, .va_commit_size = 0x10, .va_reserve_size = 0x14,
    .va_busy_block = 0x18, .sizeof_va = 0x20,
    /* §1.1 TEB, §1.2 PEB */
    .teb_exception_list = 0x00, .teb_stack_base = 0x04, .teb_stack_limit = 0x08, .teb_self = 0x18,
    .teb_peb = 0x30,
    .peb_process_heap = 0x18, .peb_ro_shared = 0x4C, .peb_global_flag = 0x68,
    .peb_segment_reserve = 0x78, .peb_segment_commit = 0x7C, .peb_decommit_total = 0x80,
    .peb_decommit_block = 0x84, .peb_number_of_heaps = 0x88, .peb_max_heaps = 0x8C,
    .peb_process_heaps = 0x90, .peb_os_major = 0xA4, .peb_os_minor = 0xA8, .peb_os_build = 0xAC,
};

const hl_common hl_common_x64 = {
    .ptr = 8, .gran = 16,
    /* §2.1 */
    .seg_signature = 0x10, .seg_flags = 0x14, .seg_list_entry = 0x18, .seg_heap = 0x28,
    .seg_base_address = 0x30, .seg_number_of_pages = 0x38, .seg_first_entry = 0x40,
    .seg_last_valid_entry = 0x48, .seg_uncommitted_pages = 0x50, .seg_uncommitted_ranges = 0x54,
    .seg_alloc_bt_index = 0x58, .seg_ucr_segment_list = 0x60,
    .sizeof_segment = 0x70,
    .flags = 0x70, .force_flags = 0x74, .compat_flags = 0x78, .encode_flag_mask = 0x7C,
    .encoding = 0x80, .encoding_key = 0x88,                   /* §2.1: key bytes at +0x88 */
    /* §3.1: bytes +0..+7 are PreviousBlockPrivateData, the body is +8..+15 */
    .entry_body = 8,
    /* §3.6 */
    .extra_bt_index = 0x0, .extra_tag_index = 0x2, .extra_settable = 0x8, .sizeof_extra = 0x10,
    /* §2.5 */
    .ctr_reserved = 0x00, .ctr_committed = 0x08, .ctr_large_ucr = 0x10, .ctr_virtual = 0x18,
    .ctr_segments = 0x20, .ctr_ucrs = 0x24, .ctr_commit_ops = 0x28, .ctr_decommit_ops = 0x2C,
    .ctr_lock_acquires = 0x30, .ctr_lock_collisions = 0x34,
    /* §2.6 */
    .ll_extended = 0x00, .ll_array_size = 0x08, .ll_extra_item = 0x0C, .ll_item_count = 0x10,
    .ll_out_of_range = 0x14, .ll_base_index = 0x18, .ll_list_head = 0x20, .ll_lists_in_use = 0x28,
    .ll_list_hints = 0x30, .list_hint_stride = 16, .free_entry_links = 0x10,
    /* §4.1 */
    .ucr_list_entry = 0x00, .ucr_segment_entry = 0x10, .ucr_address = 0x20, .ucr_size = 0x28,
    .sizeof_ucr = 0x30,
    /* §5.1 */
    .va_entry = 0x00, .va_extra = 0x10, .va_commit_size = 0x20, .va_reserve_size = 0x28,
    .va_busy_block = 0x30, .sizeof_va = 0x40,
    /* §1.1 TEB, §1.2 PEB */
    .teb_exception_list = 0x00, .teb_stack_base = 0x08, .teb_stack_limit = 0x10, .teb_self = 0x30,
    .teb_peb = 0x60,
    .peb_process_heap = 0x30, .peb_ro_shared = 0x88, .peb_global_flag = 0xBC,
    .peb_segment_reserve = 0xC8, .peb_segment_commit = 0xD0, .peb_decommit_total = 0xD8,
    .peb_decommit_block = 0xE0, .peb_number_of_heaps = 0xE8, .peb_max_heaps = 0xEC,
    .peb_process_heaps = 0xF0, .peb_os_major = 0x118, .peb_os_minor = 0x11C, .peb_os_build = 0x120,
};

/* §8.1 - §8.4, x86 columns */
const hl_dph hl_dph_x86 = {
    .root_offset = 0x1000,
    .r_signature = 0x00, .r_heap_flags = 0x04, .r_busy_table = 0x20, .r_busy_allocations = 0x5C,
    .r_busy_bytes_committed = 0x60, .r_next_heap = 0xA4, .r_normal_heap = 0xB4, .sizeof_root = 0xC0,
    .avl_right_child = 0x08, .avl_elements = 0x18, .bl_parent = 0x00, .bl_left = 0x04, .bl_right = 0x08,
    .n_user_allocation = 0x10, .n_virtual_block = 0x14, .n_virtual_block_size = 0x18, .n_virtual_access_size = 0x1C,
    .n_user_requested_size = 0x20, .n_user_actual_size = 0x24, .n_stack_trace = 0x30, .sizeof_node = 0x40,
    .bi_start_stamp = 0x00, .bi_heap = 0x04, .bi_requested_size = 0x08, .bi_actual_size = 0x0C, .bi_stack_trace = 0x18,
    .bi_end_stamp = 0x1C, .sizeof_block_info = 0x20,
};

/* §8.1 - §8.4, x64 columns */
const hl_dph hl_dph_x64 = {
    .root_offset = 0x1000,
    .r_signature = 0x00, .r_heap_flags = 0x04, .r_busy_table = 0x38, .r_busy_allocations = 0xA8,
    .r_busy_bytes_committed = 0xB0, .r_next_heap = 0x138, .r_normal_heap = 0x150, .sizeof_root = 0x168,
    .avl_right_child = 0x10, .avl_elements = 0x2C, .bl_parent = 0x00, .bl_left = 0x08, .bl_right = 0x10,
    .n_user_allocation = 0x20, .n_virtual_block = 0x28, .n_virtual_block_size = 0x30, .n_virtual_access_size = 0x38,
    .n_user_requested_size = 0x40, .n_user_actual_size = 0x48, .n_stack_trace = 0x60, .sizeof_node = 0x80,
    .bi_start_stamp = 0x00, .bi_heap = 0x08, .bi_requested_size = 0x10, .bi_actual_size = 0x18, .bi_stack_trace = 0x30,
    .bi_end_stamp = 0x3C, .sizeof_block_info = 0x40,
};

const hl_heap *const hl_layouts_x86[] = {&hl_win7_x86, &hl_win8_x86, &hl_1607_x86, &hl_1809_x86, NULL};
const hl_heap *const hl_layouts_x64[] = {&hl_win7_x64, &hl_win8_x64, &hl_1607_x64, &hl_1809_x64, NULL};
