/*
** layout.h - heapdig's own offset tables for the NT heap structures, per Windows version and
** pointer size.  Offset tables only: no code.  Every table cites the section of
** ../shared/reference/nt-heap-layouts.md it was read from; docs/heap-layouts.md lists where real
** data disagreed with that reference and what heapdig does instead.
**
** The tables are split the way the structures change:
**   hl_common  (layout_common.c)  what is identical on every build for one pointer size: the
**              _HEAP prefix (§2.1, the embedded first _HEAP_SEGMENT), _HEAP_ENTRY (§3.1),
**              _HEAP_ENTRY_EXTRA (§3.6), _HEAP_COUNTERS head (§2.5), _HEAP_LIST_LOOKUP (§2.6),
**              _HEAP_UCR_DESCRIPTOR (§4.1), _HEAP_VIRTUAL_ALLOC_ENTRY (§5.1), PEB/TEB (§1.1-1.2)
**   hl_heap    (layout_win7.c, layout_win8.c, layout_win10.c)  the version-dependent tail of
**              _HEAP (§2.2 x64, §2.3 x86)
**   hl_lfh     (layout_win7.c, layout_win8.c)  the LFH structures (§6.2-6.4), Win7 and Win8+
**
** An absent field is HL_NA.  Offsets are bytes from the start of the structure.
*/
#ifndef HD_HEAP_LAYOUT_H
#define HD_HEAP_LAYOUT_H

#include <stdint.h>
#include "../common/internal.h"

#define HL_NA 0xFFFFu

typedef struct hl_common {
    unsigned ptr;             /* 4 or 8 */
    unsigned gran;            /* sizeof(_HEAP_ENTRY): 8 or 16 */
    /* _HEAP / _HEAP_SEGMENT common prefix (§2.1) */
    uint16_t seg_signature, seg_flags, seg_list_entry, seg_heap, seg_base_address,
             seg_number_of_pages, seg_first_entry, seg_last_valid_entry, seg_uncommitted_pages,
             seg_uncommitted_ranges, seg_alloc_bt_index, seg_ucr_segment_list;
    uint16_t sizeof_segment;
    uint16_t flags, force_flags, compat_flags, encode_flag_mask;
    uint16_t encoding;        /* the _HEAP_ENTRY field */
    uint16_t encoding_key;    /* where its 8 meaningful bytes are (x64: +8 inside it) */
    /* _HEAP_ENTRY (§3.1): the 8-byte body starts at entry_body; fields relative to the body */
    uint16_t entry_body;      /* 0 x86, 8 x64 */
    /* _HEAP_ENTRY_EXTRA (§3.6) */
    uint16_t extra_bt_index, extra_tag_index, extra_settable, sizeof_extra;
    /* _HEAP_COUNTERS (§2.5): the fields common to Win7 and Win8+ */
    uint16_t ctr_reserved, ctr_committed, ctr_large_ucr, ctr_virtual, ctr_segments, ctr_ucrs,
             ctr_commit_ops, ctr_decommit_ops, ctr_lock_acquires, ctr_lock_collisions;
    /* _HEAP_LIST_LOOKUP (§2.6) */
    uint16_t ll_extended, ll_array_size, ll_extra_item, ll_item_count, ll_out_of_range,
             ll_base_index, ll_list_head, ll_lists_in_use, ll_list_hints;
    uint16_t list_hint_stride;   /* ListHints elements are LIST_ENTRY (corrected in §2.6) */
    uint16_t free_entry_links;   /* _HEAP_FREE_ENTRY.FreeList (§2.6) */
    /* _HEAP_UCR_DESCRIPTOR (§4.1) */
    uint16_t ucr_list_entry, ucr_segment_entry, ucr_address, ucr_size, sizeof_ucr;
    /* _HEAP_VIRTUAL_ALLOC_ENTRY (§5.1) */
    uint16_t va_entry, va_extra, va_commit_size, va_reserve_size, va_busy_block, sizeof_va;
    /* TEB (§1.1) and PEB (§1.2), for `dt` */
    uint16_t teb_exception_list, teb_stack_base, teb_stack_limit, teb_self, teb_peb;
    uint16_t peb_process_heap, peb_ro_shared, peb_global_flag, peb_segment_reserve,
             peb_segment_commit, peb_decommit_total, peb_decommit_block, peb_number_of_heaps,
             peb_max_heaps, peb_process_heaps, peb_os_major, peb_os_minor, peb_os_build;
} hl_common;

/* The LFH structures (§6.2-§6.4). */
typedef struct hl_lfh {
    const char *name;          /* "win7", "win8" */
    /* _LFH_HEAP (§6.2) */
    uint16_t lfh_subsegment_zones, lfh_zone_block_size, lfh_heap, lfh_buckets, lfh_local_data,
             sizeof_lfh;
    /* _HEAP_LOCAL_DATA (§6.3) */
    uint16_t ld_low_frag_heap, ld_segment_info;    /* segment_info: Win7's inline array */
    /* _HEAP_LOCAL_SEGMENT_INFO (§6.3) */
    uint16_t lsi_local_data, lsi_active_subsegment, lsi_counters, lsi_bucket_index, sizeof_lsi;
    /* _HEAP_SUBSEGMENT (§6.3) */
    uint16_t ss_local_info, ss_user_blocks, ss_depth, ss_free_entry_offset, ss_block_size,
             ss_flags, ss_block_count, ss_size_index, ss_affinity_index, sizeof_ss;
    /* _HEAP_USERDATA_HEADER (§6.3) */
    uint16_t ud_subsegment, ud_size_index, ud_signature, ud_encoded_offsets, ud_bitmap_size,
             ud_bitmap_buffer, ud_bitmap_data;
    uint16_t ud_first_block;   /* Win7: blocks start right after the header; HL_NA on Win8+ */
    uint16_t bitmap_word;      /* bytes per BusyBitmap word (4 x86, 8 x64; §6.4) */
    /* _LFH_BLOCK_ZONE (§6.3): FreePointer on Win7/8.0, NextIndex on 8.1+ (same offset) */
    uint16_t zone_list, zone_free_pointer, zone_limit, zone_first;
    /* Header encoding (§6.4): Win8+ dword(H+body) ^ (H >> pos_shift) ^ ((H - UB) << ofs_shift)
    ** is one constant per heap (RtlpLFHKey ^ heap); Win7: dword ^ SubSegment ^ heap ^ (H >> pos). */
    unsigned pos_shift, ofs_shift;
} hl_lfh;

/* The version-dependent tail of _HEAP (§2.2, §2.3). */
typedef struct hl_heap {
    const char *name;          /* "win7", "win8", "win10_1607", "win10_1809", "win11_24h2" */
    const char *title;         /* "Windows 7" */
    const hl_common *c;
    const hl_lfh *lfh;
    uint16_t pointer_key, interceptor, vm_threshold, signature, segment_reserve, segment_commit,
             decommit_block, decommit_total, total_free_size, max_alloc_size,
             process_heaps_list_index, header_validate_length, header_validate_copy,
             next_tag_index, max_tag_index, tag_entries, ucr_list, align_round, align_mask,
             virtual_allocd_blocks, segment_list, alloc_bt_index, non_dedicated_list_length,
             blocks_index, ucr_index, pseudo_tag_entries, free_lists, lock_variable,
             commit_routine, stack_trace_init_var, commit_limit_data, front_end_heap,
             front_heap_lock_count, front_end_heap_type, requested_front_end_heap_type,
             front_end_usage_data, front_end_max_index, front_end_status_bitmap, counters,
             tuning_parameters, user_context, sizeof_heap;
    uint16_t status_bitmap_bytes;   /* sizeof FrontEndHeapStatusBitmap (bounds MaximumIndex) */
    uint32_t min_build;        /* first build the layout applies to (orders candidates only) */
} hl_heap;

/* Page heap (§8): _DPH_HEAP_ROOT, its BusyNodesTable (RTL_AVL_TABLE), _DPH_HEAP_BLOCK nodes and
** the _DPH_BLOCK_INFORMATION before each user pointer.  Same Win7 -> Win10 2004 per the reference. */
typedef struct hl_dph {
    uint16_t root_offset;          /* root = handle + 0x1000 (§8.1) */
    /* _DPH_HEAP_ROOT (§8.2) */
    uint16_t r_signature, r_heap_flags, r_busy_table, r_busy_allocations, r_busy_bytes_committed,
             r_next_heap, r_normal_heap, sizeof_root;
    /* RTL_AVL_TABLE / RTL_BALANCED_LINKS (§8.2) */
    uint16_t avl_right_child, avl_elements, bl_parent, bl_left, bl_right;
    /* _DPH_HEAP_BLOCK (§8.3): TableLinks at +0 */
    uint16_t n_user_allocation, n_virtual_block, n_virtual_block_size, n_virtual_access_size,
             n_user_requested_size, n_user_actual_size, n_stack_trace, sizeof_node;
    /* _DPH_BLOCK_INFORMATION (§8.4) */
    uint16_t bi_start_stamp, bi_heap, bi_requested_size, bi_actual_size, bi_stack_trace, bi_end_stamp, sizeof_block_info;
} hl_dph;

HD_API_INTERNAL extern const hl_common hl_common_x86, hl_common_x64;
HD_API_INTERNAL extern const hl_dph hl_dph_x86, hl_dph_x64;
HD_API_INTERNAL extern const hl_lfh hl_lfh_win7_x86, hl_lfh_win7_x64, hl_lfh_win8_x86, hl_lfh_win8_x64;
HD_API_INTERNAL extern const hl_heap hl_win7_x86, hl_win7_x64, hl_win8_x86, hl_win8_x64;
HD_API_INTERNAL extern const hl_heap hl_1607_x86, hl_1607_x64, hl_1809_x86, hl_1809_x64;
HD_API_INTERNAL extern const hl_heap hl_24h2_x86, hl_24h2_x64;

/* Candidate layouts for one pointer size, oldest first; NULL-terminated. */
HD_API_INTERNAL extern const hl_heap *const hl_layouts_x86[];
HD_API_INTERNAL extern const hl_heap *const hl_layouts_x64[];

/* Constants (§1.5, §2.1, §3.1, §6.3, §8.1, §9.1). */
#define HL_SEGMENT_SIGNATURE   0xFFEEFFEEu
#define HL_HEAP_SIGNATURE      0xEEFFEEFFu
#define HL_SEGHEAP_SIGNATURE   0xDDEEDDEEu
#define HL_DPH_SIGNATURE       0xFFEEDDCCu
#define HL_USERBLOCKS_SIGNATURE 0xF0E0D0C0u
/* _DPH_BLOCK_INFORMATION stamps (§8.4) */
#define HL_DPH_FULL_BUSY_START 0xABCDBBBBu
#define HL_DPH_FULL_BUSY_END   0xDCBABBBBu
#define HL_DPH_LIGHT_BUSY_START 0xABCDAAAAu
#define HL_DPH_LIGHT_BUSY_END  0xDCBAAAAAu
#define HL_ENCODE_FLAG_MASK    0x00100000u

/* _HEAP_ENTRY.Flags (§3.1) */
#define HL_ENTRY_BUSY          0x01u
#define HL_ENTRY_EXTRA_PRESENT 0x02u
#define HL_ENTRY_FILL_PATTERN  0x04u
#define HL_ENTRY_VIRTUAL_ALLOC 0x08u   /* on a segment block: heap-internal allocation */
#define HL_ENTRY_LAST_ENTRY    0x10u

/* _HEAP.Flags (§2.4) */
#define HL_HEAP_CLASS_MASK     0x0000F000u
#define HL_HEAP_PAGE_ALLOCS    0x01000000u
#define HL_HEAP_CAPTURE_STACKS 0x08000000u

#endif
