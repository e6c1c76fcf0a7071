/*
** dt.c - symbol-less `dt`: lay a structure out at an address with heapdig's own offsets (the
** layout tables of layout*.c, nothing else), the way the seed's WinDbg session used `dt` on
** _HEAP, _LIST_ENTRY and _HEAP_VIRTUAL_ALLOC_ENTRY.
**
** Each type is a list of fields naming a member of hl_common / hl_heap / hl_lfh; the offset is
** read from the table that applies (pointer size, detected layout), absent fields are skipped,
** and the rows come out sorted by offset.  _HEAP_ENTRY fields (the heap's Entry, a VA BusyBlock,
** any header) get their decoded value as a note when a heap's key applies.
*/
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "heap_int.h"

enum { SRC_NONE, SRC_COMMON, SRC_HEAP, SRC_LFH, SRC_DPH };
enum { K_PTR, K_SIZE, K_U8, K_U16, K_U32, K_U64, K_LIST, K_ENTRY, K_STRUCT, K_EXTRA };

typedef struct fspec {
    const char *name;
    uint8_t src;
    uint16_t member;     /* offsetof the uint16_t offset in the source table */
    int16_t add;         /* added to the offset (fields inside a nested structure) */
    uint8_t kind;
    const char *target;  /* pointer target / struct type name */
} fspec;

#define C(m) SRC_COMMON, (uint16_t)offsetof(hl_common, m)
#define H(m) SRC_HEAP, (uint16_t)offsetof(hl_heap, m)
#define L(m) SRC_LFH, (uint16_t)offsetof(hl_lfh, m)
#define P(m) SRC_DPH, (uint16_t)offsetof(hl_dph, m)
#define END {NULL, SRC_NONE, 0, 0, 0, NULL}

static const fspec f_list[] = {
    {"Flink", SRC_NONE, 0, 0, K_PTR, "_LIST_ENTRY"},
    {"Blink", SRC_NONE, 0, -1, K_PTR, "_LIST_ENTRY"},   /* -1: at + ptr (special-cased) */
    END,
};

static const fspec f_teb[] = {
    {"NtTib.ExceptionList", C(teb_exception_list), 0, K_PTR, "_EXCEPTION_REGISTRATION_RECORD"},
    {"NtTib.StackBase", C(teb_stack_base), 0, K_PTR, "Void"},
    {"NtTib.StackLimit", C(teb_stack_limit), 0, K_PTR, "Void"},
    {"NtTib.Self", C(teb_self), 0, K_PTR, "_NT_TIB"},
    {"ProcessEnvironmentBlock", C(teb_peb), 0, K_PTR, "_PEB"},
    END,
};

static const fspec f_peb[] = {
    {"ProcessHeap", C(peb_process_heap), 0, K_PTR, "Void"},
    {"ReadOnlySharedMemoryBase", C(peb_ro_shared), 0, K_PTR, "Void"},
    {"NtGlobalFlag", C(peb_global_flag), 0, K_U32, NULL},
    {"HeapSegmentReserve", C(peb_segment_reserve), 0, K_SIZE, NULL},
    {"HeapSegmentCommit", C(peb_segment_commit), 0, K_SIZE, NULL},
    {"HeapDeCommitTotalFreeThreshold", C(peb_decommit_total), 0, K_SIZE, NULL},
    {"HeapDeCommitFreeBlockThreshold", C(peb_decommit_block), 0, K_SIZE, NULL},
    {"NumberOfHeaps", C(peb_number_of_heaps), 0, K_U32, NULL},
    {"MaximumNumberOfHeaps", C(peb_max_heaps), 0, K_U32, NULL},
    {"ProcessHeaps", C(peb_process_heaps), 0, K_PTR, "Ptr Void"},
    {"OSMajorVersion", C(peb_os_major), 0, K_U32, NULL},
    {"OSMinorVersion", C(peb_os_minor), 0, K_U32, NULL},
    {"OSBuildNumber", C(peb_os_build), 0, K_U16, NULL},
    END,
};

#define SEGMENT_FIELDS                                                               \
    {"SegmentSignature", C(seg_signature), 0, K_U32, NULL},                          \
    {"SegmentFlags", C(seg_flags), 0, K_U32, NULL},                                  \
    {"SegmentListEntry", C(seg_list_entry), 0, K_LIST, NULL},                        \
    {"Heap", C(seg_heap), 0, K_PTR, "_HEAP"},                                        \
    {"BaseAddress", C(seg_base_address), 0, K_PTR, "Void"},                          \
    {"NumberOfPages", C(seg_number_of_pages), 0, K_U32, NULL},                       \
    {"FirstEntry", C(seg_first_entry), 0, K_PTR, "_HEAP_ENTRY"},                     \
    {"LastValidEntry", C(seg_last_valid_entry), 0, K_PTR, "_HEAP_ENTRY"},            \
    {"NumberOfUnCommittedPages", C(seg_uncommitted_pages), 0, K_U32, NULL},          \
    {"NumberOfUnCommittedRanges", C(seg_uncommitted_ranges), 0, K_U32, NULL},        \
    {"SegmentAllocatorBackTraceIndex", C(seg_alloc_bt_index), 0, K_U16, NULL},       \
    {"UCRSegmentList", C(seg_ucr_segment_list), 0, K_LIST, NULL}

static const fspec f_segment[] = {
    {"Entry", SRC_NONE, 0, 0, K_ENTRY, NULL},
    SEGMENT_FIELDS,
    END,
};

static const fspec f_heap[] = {
    {"Entry", SRC_NONE, 0, 0, K_ENTRY, NULL},
    SEGMENT_FIELDS,
    {"Flags", C(flags), 0, K_U32, NULL},
    {"ForceFlags", C(force_flags), 0, K_U32, NULL},
    {"CompatibilityFlags", C(compat_flags), 0, K_U32, NULL},
    {"EncodeFlagMask", C(encode_flag_mask), 0, K_U32, NULL},
    {"Encoding", C(encoding), 0, K_STRUCT, "_HEAP_ENTRY"},
    {"PointerKey", H(pointer_key), 0, K_SIZE, NULL},
    {"Interceptor", H(interceptor), 0, K_U32, NULL},
    {"VirtualMemoryThreshold", H(vm_threshold), 0, K_U32, NULL},
    {"Signature", H(signature), 0, K_U32, NULL},
    {"SegmentReserve", H(segment_reserve), 0, K_SIZE, NULL},
    {"SegmentCommit", H(segment_commit), 0, K_SIZE, NULL},
    {"DeCommitFreeBlockThreshold", H(decommit_block), 0, K_SIZE, NULL},
    {"DeCommitTotalFreeThreshold", H(decommit_total), 0, K_SIZE, NULL},
    {"TotalFreeSize", H(total_free_size), 0, K_SIZE, NULL},
    {"MaximumAllocationSize", H(max_alloc_size), 0, K_SIZE, NULL},
    {"ProcessHeapsListIndex", H(process_heaps_list_index), 0, K_U16, NULL},
    {"HeaderValidateLength", H(header_validate_length), 0, K_U16, NULL},
    {"HeaderValidateCopy", H(header_validate_copy), 0, K_PTR, "Void"},
    {"NextAvailableTagIndex", H(next_tag_index), 0, K_U16, NULL},
    {"MaximumTagIndex", H(max_tag_index), 0, K_U16, NULL},
    {"TagEntries", H(tag_entries), 0, K_PTR, "_HEAP_TAG_ENTRY"},
    {"UCRList", H(ucr_list), 0, K_LIST, NULL},
    {"AlignRound", H(align_round), 0, K_SIZE, NULL},
    {"AlignMask", H(align_mask), 0, K_SIZE, NULL},
    {"VirtualAllocdBlocks", H(virtual_allocd_blocks), 0, K_LIST, NULL},
    {"SegmentList", H(segment_list), 0, K_LIST, NULL},
    {"AllocatorBackTraceIndex", H(alloc_bt_index), 0, K_U16, NULL},
    {"NonDedicatedListLength", H(non_dedicated_list_length), 0, K_U32, NULL},
    {"BlocksIndex", H(blocks_index), 0, K_PTR, "Void"},
    {"UCRIndex", H(ucr_index), 0, K_PTR, "Void"},
    {"PseudoTagEntries", H(pseudo_tag_entries), 0, K_PTR, "_HEAP_PSEUDO_TAG_ENTRY"},
    {"FreeLists", H(free_lists), 0, K_LIST, NULL},
    {"LockVariable", H(lock_variable), 0, K_PTR, "_HEAP_LOCK"},
    {"CommitRoutine", H(commit_routine), 0, K_PTR, "long (encoded)"},
    {"StackTraceInitVar", H(stack_trace_init_var), 0, K_PTR, "_RTL_RUN_ONCE"},
    {"CommitLimitData", H(commit_limit_data), 0, K_STRUCT, "_RTL_HEAP_MEMORY_LIMIT_DATA"},
    {"UserContext (24H2 descriptor chain)", H(user_context), 0, K_PTR, "Void"},
    {"FrontEndHeap", H(front_end_heap), 0, K_PTR, "Void"},
    {"FrontHeapLockCount", H(front_heap_lock_count), 0, K_U16, NULL},
    {"FrontEndHeapType", H(front_end_heap_type), 0, K_U8, NULL},
    {"RequestedFrontEndHeapType", H(requested_front_end_heap_type), 0, K_U8, NULL},
    {"FrontEndHeapUsageData", H(front_end_usage_data), 0, K_PTR, "Uint2B"},
    {"FrontEndHeapMaximumIndex", H(front_end_max_index), 0, K_U16, NULL},
    {"FrontEndHeapStatusBitmap", H(front_end_status_bitmap), 0, K_STRUCT, "[] UChar"},
    {"Counters", H(counters), 0, K_STRUCT, "_HEAP_COUNTERS"},
    {"TuningParameters", H(tuning_parameters), 0, K_STRUCT, "_HEAP_TUNING_PARAMETERS"},
    END,
};

static const fspec f_counters[] = {
    {"TotalMemoryReserved", C(ctr_reserved), 0, K_SIZE, NULL},
    {"TotalMemoryCommitted", C(ctr_committed), 0, K_SIZE, NULL},
    {"TotalMemoryLargeUCR", C(ctr_large_ucr), 0, K_SIZE, NULL},
    {"TotalSizeInVirtualBlocks", C(ctr_virtual), 0, K_SIZE, NULL},
    {"TotalSegments", C(ctr_segments), 0, K_U32, NULL},
    {"TotalUCRs", C(ctr_ucrs), 0, K_U32, NULL},
    {"CommittOps", C(ctr_commit_ops), 0, K_U32, NULL},
    {"DeCommitOps", C(ctr_decommit_ops), 0, K_U32, NULL},
    {"LockAcquires", C(ctr_lock_acquires), 0, K_U32, NULL},
    {"LockCollisions", C(ctr_lock_collisions), 0, K_U32, NULL},
    END,
};

static const fspec f_entry[] = {
    {"PreviousBlockPrivateData (x64)", SRC_NONE, 0, -2, K_U64, NULL},   /* -2: x64 only, at +0 */
    {"Size", C(entry_body), 0, K_U16, NULL},
    {"Flags", C(entry_body), 2, K_U8, NULL},
    {"SmallTagIndex", C(entry_body), 3, K_U8, NULL},
    {"PreviousSize", C(entry_body), 4, K_U16, NULL},
    {"SegmentOffset", C(entry_body), 6, K_U8, NULL},
    {"UnusedBytes", C(entry_body), 7, K_U8, NULL},
    END,
};

static const fspec f_extra[] = {
    {"AllocatorBackTraceIndex", C(extra_bt_index), 0, K_U16, NULL},
    {"TagIndex", C(extra_tag_index), 0, K_U16, NULL},
    {"Settable", C(extra_settable), 0, K_SIZE, NULL},
    END,
};

static const fspec f_va[] = {
    {"Entry", C(va_entry), 0, K_LIST, NULL},
    {"ExtraStuff", C(va_extra), 0, K_EXTRA, "_HEAP_ENTRY_EXTRA"},
    {"CommitSize", C(va_commit_size), 0, K_SIZE, NULL},
    {"ReserveSize", C(va_reserve_size), 0, K_SIZE, NULL},
    {"BusyBlock", C(va_busy_block), 0, K_ENTRY, NULL},
    END,
};

static const fspec f_ucr[] = {
    {"ListEntry", C(ucr_list_entry), 0, K_LIST, NULL},
    {"SegmentEntry", C(ucr_segment_entry), 0, K_LIST, NULL},
    {"Address", C(ucr_address), 0, K_PTR, "Void"},
    {"Size", C(ucr_size), 0, K_SIZE, NULL},
    END,
};

static const fspec f_lookup[] = {
    {"ExtendedLookup", C(ll_extended), 0, K_PTR, "_HEAP_LIST_LOOKUP"},
    {"ArraySize", C(ll_array_size), 0, K_U32, NULL},
    {"ExtraItem", C(ll_extra_item), 0, K_U32, NULL},
    {"ItemCount", C(ll_item_count), 0, K_U32, NULL},
    {"OutOfRangeItems", C(ll_out_of_range), 0, K_U32, NULL},
    {"BaseIndex", C(ll_base_index), 0, K_U32, NULL},
    {"ListHead", C(ll_list_head), 0, K_PTR, "_LIST_ENTRY"},
    {"ListsInUseUlong", C(ll_lists_in_use), 0, K_PTR, "Uint4B"},
    {"ListHints", C(ll_list_hints), 0, K_PTR, "_LIST_ENTRY"},
    END,
};

static const fspec f_lfh[] = {
    {"SubSegmentZones", L(lfh_subsegment_zones), 0, K_LIST, NULL},
    {"ZoneBlockSize", L(lfh_zone_block_size), 0, K_SIZE, NULL},
    {"Heap", L(lfh_heap), 0, K_PTR, "Void"},
    {"Buckets", L(lfh_buckets), 0, K_STRUCT, "[] _HEAP_BUCKET"},
    {"LocalData", L(lfh_local_data), 0, K_STRUCT, "_HEAP_LOCAL_DATA"},
    END,
};

static const fspec f_subsegment[] = {
    {"LocalInfo", L(ss_local_info), 0, K_PTR, "_HEAP_LOCAL_SEGMENT_INFO"},
    {"UserBlocks", L(ss_user_blocks), 0, K_PTR, "_HEAP_USERDATA_HEADER"},
    {"AggregateExchg.Depth", L(ss_depth), 0, K_U16, NULL},
    {"AggregateExchg.FreeEntryOffset", L(ss_free_entry_offset), 0, K_U16, NULL},
    {"BlockSize", L(ss_block_size), 0, K_U16, NULL},
    {"Flags", L(ss_flags), 0, K_U16, NULL},
    {"BlockCount", L(ss_block_count), 0, K_U16, NULL},
    {"SizeIndex", L(ss_size_index), 0, K_U8, NULL},
    {"AffinityIndex", L(ss_affinity_index), 0, K_U8, NULL},
    END,
};

static const fspec f_userdata[] = {
    {"SubSegment", L(ud_subsegment), 0, K_PTR, "_HEAP_SUBSEGMENT"},
    {"SizeIndex", L(ud_size_index), 0, K_U8, NULL},
    {"Signature", L(ud_signature), 0, K_U32, NULL},
    {"EncodedOffsets", L(ud_encoded_offsets), 0, K_U32, NULL},
    {"BusyBitmap.SizeOfBitMap", L(ud_bitmap_size), 0, K_SIZE, NULL},
    {"BusyBitmap.Buffer", L(ud_bitmap_buffer), 0, K_PTR, "Uint4B"},
    END,
};

static const fspec f_lsi[] = {
    {"LocalData", L(lsi_local_data), 0, K_PTR, "_HEAP_LOCAL_DATA"},
    {"ActiveSubsegment", L(lsi_active_subsegment), 0, K_PTR, "_HEAP_SUBSEGMENT"},
    {"Counters.TotalBlocks", L(lsi_counters), 0, K_U32, NULL},
    {"Counters.SubSegmentCounts", L(lsi_counters), 4, K_U32, NULL},
    {"BucketIndex", L(lsi_bucket_index), 0, K_U16, NULL},
    END,
};

static const fspec f_local_data[] = {
    {"LowFragHeap", L(ld_low_frag_heap), 0, K_PTR, "_LFH_HEAP"},
    {"SegmentInfo (Win7)", L(ld_segment_info), 0, K_STRUCT, "[128] _HEAP_LOCAL_SEGMENT_INFO"},
    END,
};

static const fspec f_zone[] = {
    {"ListEntry", L(zone_list), 0, K_LIST, NULL},
    {"FreePointer / NextIndex", L(zone_free_pointer), 0, K_PTR, "Void"},
    {"Limit (Win7, 8.0)", L(zone_limit), 0, K_PTR, "Void"},
    END,
};

static const fspec f_dph_root[] = {
    {"Signature", P(r_signature), 0, K_U32, NULL},
    {"HeapFlags", P(r_heap_flags), 0, K_U32, NULL},
    {"BusyNodesTable", P(r_busy_table), 0, K_STRUCT, "_RTL_AVL_TABLE"},
    {"BusyNodesTable.BalancedRoot.RightChild (tree root)", P(r_busy_table), 0, K_PTR, "_DPH_HEAP_BLOCK"},
    {"nBusyAllocations", P(r_busy_allocations), 0, K_U32, NULL},
    {"nBusyAllocationBytesCommitted", P(r_busy_bytes_committed), 0, K_SIZE, NULL},
    {"NextHeap", P(r_next_heap), 0, K_LIST, NULL},
    {"NormalHeap", P(r_normal_heap), 0, K_PTR, "Void"},
    END,
};

static const fspec f_dph_node[] = {
    {"TableLinks.Parent", P(bl_parent), 0, K_PTR, "_RTL_BALANCED_LINKS"},
    {"TableLinks.LeftChild", P(bl_left), 0, K_PTR, "_RTL_BALANCED_LINKS"},
    {"TableLinks.RightChild", P(bl_right), 0, K_PTR, "_RTL_BALANCED_LINKS"},
    {"pUserAllocation", P(n_user_allocation), 0, K_PTR, "UChar"},
    {"pVirtualBlock", P(n_virtual_block), 0, K_PTR, "UChar"},
    {"nVirtualBlockSize", P(n_virtual_block_size), 0, K_SIZE, NULL},
    {"nVirtualAccessSize", P(n_virtual_access_size), 0, K_SIZE, NULL},
    {"nUserRequestedSize", P(n_user_requested_size), 0, K_SIZE, NULL},
    {"nUserActualSize", P(n_user_actual_size), 0, K_SIZE, NULL},
    {"StackTrace", P(n_stack_trace), 0, K_PTR, "_RTL_TRACE_BLOCK"},
    END,
};

static const fspec f_dph_info[] = {
    {"StartStamp", P(bi_start_stamp), 0, K_U32, NULL},
    {"Heap", P(bi_heap), 0, K_PTR, "Void"},
    {"RequestedSize", P(bi_requested_size), 0, K_SIZE, NULL},
    {"ActualSize", P(bi_actual_size), 0, K_SIZE, NULL},
    {"StackTrace", P(bi_stack_trace), 0, K_PTR, "Void"},
    {"EndStamp", P(bi_end_stamp), 0, K_U32, NULL},
    END,
};

static const struct dtype { const char *name; const fspec *f; int needs_heap; } types[] = {
    {"_PEB", f_peb, 0}, {"_TEB", f_teb, 0}, {"_HEAP", f_heap, 1}, {"_HEAP_SEGMENT", f_segment, 0},
    {"_HEAP_ENTRY", f_entry, 0}, {"_HEAP_ENTRY_EXTRA", f_extra, 0}, {"_HEAP_VIRTUAL_ALLOC_ENTRY", f_va, 0},
    {"_HEAP_UCR_DESCRIPTOR", f_ucr, 0}, {"_HEAP_COUNTERS", f_counters, 0}, {"_HEAP_LIST_LOOKUP", f_lookup, 0},
    {"_LIST_ENTRY", f_list, 0}, {"_LFH_HEAP", f_lfh, 1}, {"_HEAP_SUBSEGMENT", f_subsegment, 1},
    {"_HEAP_USERDATA_HEADER", f_userdata, 1}, {"_HEAP_LOCAL_SEGMENT_INFO", f_lsi, 1},
    {"_HEAP_LOCAL_DATA", f_local_data, 1}, {"_LFH_BLOCK_ZONE", f_zone, 1},
    {"_DPH_HEAP_ROOT", f_dph_root, 0}, {"_DPH_HEAP_BLOCK", f_dph_node, 0}, {"_DPH_BLOCK_INFORMATION", f_dph_info, 0},
};

const char *const *hd_dt_types(void)
{
    static const char *names[HD_ARRAY_LEN(types) + 1];
    size_t i;
    if (!names[0])
        for (i = 0; i < HD_ARRAY_LEN(types); i++) names[i] = types[i].name;
    return names;
}

/* 1 when VA lies in one of H's VirtualAlloc'd blocks (the list is walked, bounded). */
static int in_va_block(hd_dump *d, const hh_heap *h, uint64_t va)
{
    const hl_common *c = h->c;
    uint64_t head = h->pub.virtual_alloc_list, cur;
    hh_cycle cy;
    if (as_ptr(d, head, c->ptr, &cur) != HD_OK) return 0;
    hh_cycle_init(&cy, head, d->lim.max_list);
    while (cur && cur != head) {
        uint64_t reserve = 0;
        as_ptr(d, cur + c->va_reserve_size, c->ptr, &reserve);
        if (va >= cur && va - cur < HD_MAX(reserve, (uint64_t)c->sizeof_va)) return 1;
        if (hh_cycle_step(&cy, cur) || as_ptr(d, cur, c->ptr, &cur) != HD_OK) return 0;
    }
    return 0;
}

/* The NT heap whose header, segments or VirtualAlloc'd blocks contain VA, of pointer size PTR
** (0 = any). */
static hh_heap *heap_containing(hd_dump *d, uint64_t va, unsigned ptr)
{
    struct hd_heapset *s = hh_set(d);
    size_t i, k;
    if (!s) return NULL;
    for (i = 0; i < s->heaps.len; i++) {
        hh_heap *h = *VEC_AT(&s->heaps, hh_heap *, i);
        if ((h->pub.kind != HD_HEAP_NT && h->pub.kind != HD_HEAP_PAGE) || (ptr && h->pub.ptr_size != ptr)) continue;
        if (va >= h->pub.address && va < h->pub.address + h->lay->sizeof_heap) return h;
        for (k = 0; k < h->pub.segment_count; k++)
            if (va >= h->pub.segments[k].address && va < h->pub.segments[k].last_valid_entry) return h;
    }
    for (i = 0; i < s->heaps.len; i++) {
        hh_heap *h = *VEC_AT(&s->heaps, hh_heap *, i);
        if ((h->pub.kind != HD_HEAP_NT && h->pub.kind != HD_HEAP_PAGE) || (ptr && h->pub.ptr_size != ptr)) continue;
        if (in_va_block(d, h, va)) return h;
    }
    return NULL;
}

/* The best NT heap of pointer size PTR to borrow a layout from. */
static hh_heap *any_heap(hd_dump *d, unsigned ptr)
{
    struct hd_heapset *s = hh_set(d);
    size_t i;
    if (!s) return NULL;
    for (i = 0; i < s->heaps.len; i++) {
        hh_heap *h = *VEC_AT(&s->heaps, hh_heap *, i);
        if ((h->pub.kind == HD_HEAP_NT || h->pub.kind == HD_HEAP_PAGE) && h->pub.ptr_size == ptr) return h;
    }
    return NULL;
}

static const char *decoded_note(hd_dump *d, const hh_heap *h, uint64_t entry, int va_busy)
{
    hh_entry x;
    if (!h || !hh_read_entry(d, h, entry, &x)) return "";
    if (va_busy) {
        const uint8_t *p = hd_view(d, entry + h->c->entry_body, 8);
        if (p) x.prev = rd_le16(p + 4);
    }
    return arena_printf(&d->ar, "decoded with the key of heap 0x%llx: Size 0x%x%s, Flags 0x%x, SmallTagIndex 0x%x, PreviousSize 0x%x, "
                        "SegmentOffset 0x%x, UnusedBytes 0x%x; checksum %s%s",
                        (unsigned long long)h->pub.address, x.size, va_busy ? " bytes of slack" : " granules", x.flags, x.sti, x.prev,
                        x.segoff, x.unused, x.ok ? "valid" : "INVALID", x.raw ? " (stored raw)" : "");
}

static const char *type_name(hd_dump *d, const fspec *f, unsigned ptr)
{
    switch (f->kind) {
    case K_PTR: return arena_printf(&d->ar, "Ptr%u %s", ptr * 8, f->target);
    case K_SIZE: return ptr == 8 ? "Uint8B" : "Uint4B";
    case K_U8: return "UChar";
    case K_U16: return "Uint2B";
    case K_U32: return "Uint4B";
    case K_U64: return "Uint8B";
    case K_LIST: return "_LIST_ENTRY";
    case K_ENTRY: return "_HEAP_ENTRY";
    default: return f->target ? f->target : "";
    }
}

/* Stable by offset (fields sharing an offset keep the table's order): insertion sort, n < 64. */
static void sort_rows(hd_dt_row *r, size_t n)
{
    size_t i, j;
    for (i = 1; i < n; i++) {
        hd_dt_row x = r[i];
        for (j = i; j > 0 && r[j - 1].offset > x.offset; j--) r[j] = r[j - 1];
        r[j] = x;
    }
}

hd_err hd_dt(hd_dump *d, const char *type, uint64_t addr, unsigned ptr, const hd_dt_row **rows, size_t *count,
             const char **layout)
{
    struct hd_heapset *s = hh_set(d);
    const struct dtype *t = NULL;
    const hd_process *p = hd_process_get(d);
    const hl_common *c;
    const hl_heap *hl = NULL;
    hh_heap *ctx = NULL;
    size_t i;
    *rows = NULL;
    *count = 0;
    *layout = "";
    if (!s) return HD_ENOMEM;
    for (i = 0; i < HD_ARRAY_LEN(types); i++)
        if (!strcmp(type, types[i].name) || (type[0] != '_' && !strcmp(type, types[i].name + 1))) t = &types[i];
    if (!t) return HD_ENOTFOUND;
    /* the pointer size: asked for, else the heap or PEB view the address belongs to */
    if (!ptr) {
        if ((ctx = heap_containing(d, addr, 0)) != NULL) ptr = ctx->pub.ptr_size;
        for (i = 0; !ptr && i < p->peb_count; i++)
            if (p->pebs[i].address == addr) ptr = p->pebs[i].ptr_size;
        for (i = 0; !ptr && i < hd_thread_count(d); i++) {
            const hd_thread *th = hd_thread_at(d, i);
            if (th->teb == addr) ptr = d->sys.arch == HD_ARCH_X86 ? 4 : 8;
            else if (th->teb32 && th->teb32 == addr) ptr = 4;
        }
        if (!ptr) ptr = d->sys.arch == HD_ARCH_X86 ? 4 : 8;
    }
    if (ptr != 4 && ptr != 8) return HD_EINVAL;
    c = hh_common(ptr);
    if (!ctx) ctx = heap_containing(d, addr, ptr);
    if (ctx && ctx->pub.ptr_size != ptr) ctx = NULL;
    if (ctx) hl = ctx->lay;
    else if (any_heap(d, ptr)) hl = any_heap(d, ptr)->lay;
    else hl = ptr == 8 ? &hl_1809_x64 : &hl_1809_x86;
    *layout = arena_printf(&d->ar, "%s, %u-bit%s", hl->name, ptr * 8,
                           ctx ? "" : any_heap(d, ptr) ? " (the process' layout)" : " (no heap detected: assumed)");
    if (!*layout) *layout = hl->name;
    s->dt_rows.len = 0;
    for (i = 0; t->f[i].name; i++) {
        const fspec *f = &t->f[i];
        hd_dt_row *r;
        uint16_t off;
        const uint8_t *q;
        if (f->src == SRC_COMMON) off = *(const uint16_t *)((const char *)c + f->member);
        else if (f->src == SRC_HEAP) off = *(const uint16_t *)((const char *)hl + f->member);
        else if (f->src == SRC_LFH) off = *(const uint16_t *)((const char *)hl->lfh + f->member);
        else if (f->src == SRC_DPH) {
            off = *(const uint16_t *)((const char *)(ptr == 8 ? &hl_dph_x64 : &hl_dph_x86) + f->member);
            if (f->member == offsetof(hl_dph, r_busy_table) && f->kind == K_PTR)   /* the AVL root link */
                off = (uint16_t)(off + (ptr == 8 ? hl_dph_x64.avl_right_child : hl_dph_x86.avl_right_child));
        }
        else if (f->add == -1) off = (uint16_t)ptr;     /* LIST_ENTRY.Blink */
        else if (f->add == -2) { if (ptr != 8) continue; off = 0; }
        else off = 0;
        if (off == HL_NA) continue;
        if (f->add > 0) off = (uint16_t)(off + f->add);
        r = vec_push(&s->dt_rows);
        if (!r) return HD_ENOMEM;
        r->offset = off;
        r->name = f->name;
        r->type = type_name(d, f, ptr);
        if (!r->type) r->type = "";
        r->note = "";
        switch (f->kind) {
        case K_PTR: case K_SIZE: r->kind = HD_FIELD_PTR; r->size = ptr; break;
        case K_U8: r->kind = HD_FIELD_U8; r->size = 1; break;
        case K_U16: r->kind = HD_FIELD_U16; r->size = 2; break;
        case K_U32: r->kind = HD_FIELD_U32; r->size = 4; break;
        case K_U64: r->kind = HD_FIELD_U64; r->size = 8; break;
        case K_LIST: r->kind = HD_FIELD_LIST; r->size = 2 * ptr; break;
        case K_ENTRY: r->kind = HD_FIELD_BYTES; r->size = c->gran; break;
        case K_EXTRA: r->kind = HD_FIELD_U16; r->size = c->sizeof_extra; break;
        default: r->kind = HD_FIELD_STRUCT; r->size = 0; break;
        }
        if (f->kind == K_PTR) r->kind = HD_FIELD_PTR;
        q = r->size ? hd_view(d, addr + off, r->size) : hd_view(d, addr + off, 1);
        r->readable = q != NULL;
        if (!q) continue;
        switch (f->kind) {
        case K_PTR: case K_SIZE: r->value = rd_ptr(q, ptr); break;
        case K_U8: r->value = q[0]; break;
        case K_U16: case K_EXTRA: r->value = rd_le16(q); break;
        case K_U32: r->value = rd_le32(q); break;
        case K_U64: r->value = rd_le64(q); break;
        case K_LIST: r->value = rd_ptr(q, ptr); r->value2 = rd_ptr(q + ptr, ptr); break;
        case K_ENTRY: r->value = rd_le64(q + (ptr == 8 ? 8 : 0)); break;
        default: break;
        }
        if (f->kind == K_EXTRA) r->note = "AllocatorBackTraceIndex";
        if (f->kind == K_ENTRY) {
            hh_heap *kh = !strcmp(t->name, "_HEAP") ? heap_containing(d, addr, ptr) : heap_containing(d, addr + off, ptr);
            if (!kh && !strcmp(t->name, "_HEAP_VIRTUAL_ALLOC_ENTRY")) kh = any_heap(d, ptr);
            r->note = decoded_note(d, kh, addr + off, !strcmp(t->name, "_HEAP_VIRTUAL_ALLOC_ENTRY"));
            if (!r->note) r->note = "";
        }
    }
    /* _HEAP_ENTRY: each body field's decoded value next to the raw one */
    if (t->f == f_entry) {
        hh_heap *kh = heap_containing(d, addr, ptr);
        hh_entry x;
        if (kh && hh_read_entry(d, kh, addr, &x)) {
            for (i = 0; i < s->dt_rows.len; i++) {
                hd_dt_row *r = VEC_AT(&s->dt_rows, hd_dt_row, i);
                uint32_t rel = r->offset - c->entry_body;
                if (r->offset < c->entry_body) continue;
                if (rel == 0) r->note = arena_printf(&d->ar, "decoded 0x%x granules = 0x%x bytes (key of heap 0x%llx%s)", x.size,
                                                     x.size * c->gran, (unsigned long long)kh->pub.address, x.raw ? ", stored raw" : "");
                else if (rel == 2) r->note = arena_printf(&d->ar, "decoded 0x%x", x.flags);
                else if (rel == 3) r->note = arena_printf(&d->ar, "decoded 0x%x: checksum %s", x.sti, x.ok ? "valid" : "INVALID");
                else if (rel == 4) r->note = arena_printf(&d->ar, "decoded 0x%x", x.prev);
                if (!r->note) r->note = "";
            }
        } else if (s->dt_rows.len) {
            VEC_AT(&s->dt_rows, hd_dt_row, 0)->note = "no heap contains this address: not decoded";
        }
    }
    sort_rows(s->dt_rows.data, s->dt_rows.len);
    *rows = s->dt_rows.data;
    *count = s->dt_rows.len;
    return HD_OK;
}
