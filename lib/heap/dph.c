/*
** dph.c - page heap (reference §8): the allocations of a full page heap, from its DPH root.
**
**   heap handle (a small _HEAP, Flags/ForceFlags & HEAP_FLAG_PAGE_ALLOCS)
**   handle + 0x1000 ─► _DPH_HEAP_ROOT        x86    x64
**                        Signature 0xFFEEDDCC  0x00   0x00
**                        BusyNodesTable        0x20   0x38   RTL_AVL_TABLE: the tree root is
**                                                            BalancedRoot.RightChild (+0x08/+0x10),
**                                                            NumberGenericTableElements +0x18/+0x2C
**                        nBusyAllocations      0x5C   0xA8
**   tree node = _DPH_HEAP_BLOCK (TableLinks = RTL_BALANCED_LINKS {Parent, Left, Right} at +0)
**                        pUserAllocation       0x10   0x20
**                        pVirtualBlock         0x14   0x28
**                        nVirtualBlockSize     0x18   0x30   (includes the guard page)
**                        nUserRequestedSize    0x20   0x40
**                        StackTrace            0x30   0x60
**   user pointer - 0x20/0x40 = _DPH_BLOCK_INFORMATION (StartStamp 0xABCDBBBB full / 0xABCDAAAA
**                  light, ..., EndStamp), which WinDbg's HEAP_ENTRY column shows for such blocks.
**
** The tree is walked in order with the parent pointers (O(1) memory), bounded by max_list and
** by the root's own element count; every node is checked (user pointer inside its virtual
** block, sizes ordered, stamps) and a bad one reported at its address.
*/
#include <string.h>
#include "heap_int.h"

static const hl_dph *dph_of(const hh_heap *h) { return h->c->ptr == 8 ? &hl_dph_x64 : &hl_dph_x86; }

/* Leftmost node under N (0 when a link is not readable). */
static uint64_t leftmost(const hd_dump *d, const hl_dph *L, unsigned ptr, uint64_t n, uint64_t *steps, uint64_t limit)
{
    uint64_t l;
    while (n && ++*steps <= limit) {
        if (as_ptr(d, n + L->bl_left, ptr, &l) != HD_OK) return 0;
        if (!l) return n;
        n = l;
    }
    return 0;
}

static void emit_node(hh_walk *w, const hl_dph *L, uint64_t node, uint64_t *busy_bytes)
{
    hd_dump *d = w->d;
    hh_heap *h = w->h;
    unsigned ptr = h->c->ptr;
    uint64_t user = 0, vblock = 0, vsize = 0, access = 0, req = 0, actual = 0, st = 0;
    uint32_t s0 = 0, s1 = 0;
    hd_block b;
    if (!hd_view(d, node, L->sizeof_node)) {
        hh_damage(w, HD_SEV_WARN, HD_EUNMAPPED, node, "page heap node 0x%llx is not captured", (unsigned long long)node);
        w->incomplete = 1;
        return;
    }
    as_ptr(d, node + L->n_user_allocation, ptr, &user);
    as_ptr(d, node + L->n_virtual_block, ptr, &vblock);
    as_ptr(d, node + L->n_virtual_block_size, ptr, &vsize);
    as_ptr(d, node + L->n_virtual_access_size, ptr, &access);
    as_ptr(d, node + L->n_user_requested_size, ptr, &req);
    as_ptr(d, node + L->n_user_actual_size, ptr, &actual);
    as_ptr(d, node + L->n_stack_trace, ptr, &st);
    memset(&b, 0, sizeof b);
    b.heap = &h->pub;
    b.segment = -1;
    b.kind = HD_BLOCK_PAGEHEAP;
    b.state = HD_BLOCK_BUSY;
    b.user_address = user;
    b.address = user - L->sizeof_block_info;
    b.size = vsize;
    b.user_size = req;
    b.dph_node = node;
    b.dph_virtual_block = vblock;
    if (st) {
        b.stack_scheme = HD_STACK_PAGEHEAP;
        b.stack_ref = st;
    }
    /* §8.3 validation: the user data inside the virtual block, sizes ordered */
    if (!vblock || user < vblock + L->sizeof_block_info || user - vblock >= vsize || req > actual || actual > access || access > vsize) {
        hh_damage(w, HD_SEV_ERROR, HD_ECORRUPT, node, "page heap node 0x%llx is inconsistent (user 0x%llx, virtual block 0x%llx+0x%llx, "
                  "requested 0x%llx, actual 0x%llx, accessible 0x%llx)", (unsigned long long)node, (unsigned long long)user,
                  (unsigned long long)vblock, (unsigned long long)vsize, (unsigned long long)req, (unsigned long long)actual,
                  (unsigned long long)access);
        b.damaged = 1;
        hh_emit(w, &b);
        return;
    }
    /* the stamps of the _DPH_BLOCK_INFORMATION before the user data (§8.4) */
    if (as_u32(d, b.address + L->bi_start_stamp, &s0) != HD_OK || as_u32(d, b.address + L->bi_end_stamp, &s1) != HD_OK) {
        b.incomplete = 1;
    } else if (!((s0 == HL_DPH_FULL_BUSY_START && s1 == HL_DPH_FULL_BUSY_END) || (s0 == HL_DPH_LIGHT_BUSY_START && s1 == HL_DPH_LIGHT_BUSY_END))) {
        hh_damage(w, HD_SEV_ERROR, HD_ECORRUPT, b.address, "page heap block 0x%llx: stamps 0x%08x / 0x%08x are not a busy pair",
                  (unsigned long long)b.address, s0, s1);
        b.damaged = 2;   /* the node is sound: its fields still count */
    }
    *busy_bytes += access;
    hh_emit(w, &b);
    hh_drop(d, user);
}

void hh_dph_walk(hh_walk *w)
{
    hd_dump *d = w->d;
    hh_heap *h = w->h;
    const hl_dph *L = dph_of(h);
    unsigned ptr = h->c->ptr;
    uint64_t root = h->pub.address + L->root_offset, table = root + L->r_busy_table, n, steps = 0, seen = 0, busy_bytes = 0;
    uint64_t limit = d->lim.max_list;
    uint32_t sig = 0, nbusy = 0, nelem = 0;
    if (as_u32(d, root + L->r_signature, &sig) != HD_OK || sig != HL_DPH_SIGNATURE) {
        hh_damage(w, HD_SEV_ERROR, HD_ECORRUPT, root, "page heap root 0x%llx: signature 0x%08x, expected 0xFFEEDDCC", (unsigned long long)root, sig);
        return;
    }
    as_u32(d, root + L->r_busy_allocations, &nbusy);
    as_u32(d, table + L->avl_elements, &nelem);
    if (as_ptr(d, table + L->avl_right_child, ptr, &n) != HD_OK) return;
    n = leftmost(d, L, ptr, n, &steps, limit);
    while (n && !w->stop) {
        uint64_t r, p, c;
        if (++seen > (uint64_t)nelem + 1 || seen > limit) {
            hh_damage(w, HD_SEV_ERROR, HD_ECORRUPT, n, "page heap 0x%llx: BusyNodesTable has more nodes than its %u elements (a loop?)",
                      (unsigned long long)h->pub.address, nelem);
            break;
        }
        emit_node(w, L, n, &busy_bytes);
        /* in-order successor with parent pointers */
        if (as_ptr(d, n + L->bl_right, ptr, &r) != HD_OK) break;
        if (r) {
            n = leftmost(d, L, ptr, r, &steps, limit);
            continue;
        }
        c = n;
        for (;;) {
            if (as_ptr(d, c + L->bl_parent, ptr, &p) != HD_OK || !p || p == c || ++steps > limit) { p = 0; break; }
            if (p == table) { p = 0; break; }   /* climbed back to BalancedRoot: done */
            if (as_ptr(d, p + L->bl_left, ptr, &r) != HD_OK) { p = 0; break; }
            if (r == c) break;   /* came up from the left: the parent is next */
            c = p;
        }
        n = p;
    }
    if (!w->stop && !w->h->pub.analyzed) {
        hh_add_check(h, "page heap: nodes in BusyNodesTable == nBusyAllocations", nbusy, seen, w->incomplete ? HH_CHECK_INCOMPLETE : 0);
        hh_add_check(h, "page heap: NumberGenericTableElements == nBusyAllocations", nbusy, nelem, 0);
    }
    (void)busy_bytes;
}
