/*
** dph.c - full page heap (gflags +hpa / `heap NAME pageheap`; reference §8).
**
**  handle H (64 KB aligned, one reservation):
**    H + 0x0000  a small NT `_HEAP` (Flags and ForceFlags with 0x01000000), one fully committed
**                1-page segment (heap.c builds it)
**    H + 0x1000  `_DPH_HEAP_ROOT` {Signature 0xFFEEDDCC, HeapFlags, HeapCritSect, …,
**                BusyNodesTable (RTL_AVL_TABLE), nBusyAllocations…, NextHeap, NormalHeap, …}
**                followed by its CRITICAL_SECTION
**    H + 0x2000  the node pool: one `_DPH_HEAP_BLOCK` per allocation (AVL links at +0,
**                pUserAllocation, pVirtualBlock, sizes, StackTrace, AdjacencyEntry, pVirtualRegion)
**  each allocation: its own reservation V = [allocation header {0xEEEEEEED, node}]
**                   … [`_DPH_BLOCK_INFORMATION` (stamps 0xABCDBBBB/0xDCBABBBB, Heap, sizes,
**                   TraceIndex, StackTrace)] [user data, end aligned] [0xD0 fill] | guard page
**                   (reserved, not committed)
**  Stacks: page heap records every allocation in the classic stack trace database (§7.1, §8.5).
*/
#include <stdlib.h>
#include <string.h>
#include "heap.h"

typedef struct dnode { u64 node, vblock; } dnode;

static u64 node_size(int p) { return p == 8 ? 0x80 : 0x40; }
static u64 root_size(int p) { return p == 8 ? 0x168 : 0xC0; }

static u64 heap_count(gen *g, int hi)
{
    size_t i;
    u64 n = 0;
    for (i = 0; i < g->sc->allocs.n; i++)
        if (g->sc->allocs.v[i].heap == hi) n += g->sc->allocs.v[i].count;
    return n;
}

u64 dph_reserve(gen *g, int hi)
{
    int p = g->sc->heaps.v[hi].bits / 8;
    return ALIGN_UP(2 * PAGE + heap_count(g, hi) * node_size(p) + PAGE, ALLOC_GRAN);
}

static int cmp_dnode(const void *a, const void *b)
{
    const dnode *x = a, *y = b;
    return x->vblock < y->vblock ? -1 : x->vblock > y->vblock;
}

/* Balanced tree over sorted nodes: RTL_BALANCED_LINKS {Parent, LeftChild, RightChild, Balance}. */
static int avl(hstate *h, dnode *v, long lo, long hi, u64 parent, u64 *root)
{
    vm *m = h->g->m;
    int p = h->ptr, hl, hr;
    long mid;
    u64 left = 0, right = 0;
    if (lo > hi) {
        *root = 0;
        return 0;
    }
    mid = (lo + hi) / 2;
    hl = avl(h, v, lo, mid - 1, v[mid].node, &left);
    hr = avl(h, v, mid + 1, hi, v[mid].node, &right);
    wptr(m, p, v[mid].node, parent);
    wptr(m, p, v[mid].node + (u64)p, left);
    wptr(m, p, v[mid].node + 2 * (u64)p, right);
    w8(m, v[mid].node + 3 * (u64)p, (u8)(int8_t)(hr - hl));
    *root = v[mid].node;
    return 1 + (hl > hr ? hl : hr);
}

void dph_build(hstate *h, int hi)
{
    gen *g = h->g;
    vm *m = g->m;
    int p = h->ptr;
    u64 H = h->base, root = H + PAGE, pool = H + 2 * PAGE, align = p == 8 ? 16 : 8, info_size = p == 8 ? 0x40 : 0x20;
    u64 ahdr = p == 8 ? 0x10 : 0x8, nalloc = heap_count(g, hi), busy_commit = 0, vbytes = 0, table = root + (p == 8 ? 0x38 : 0x20);
    u64 pool_end = pool + ALIGN_UP(nalloc * node_size(p) + 1, PAGE), resv_end = H + dph_reserve(g, hi), tree = 0;
    size_t i, n = 0;
    dnode *nodes = xcalloc((size_t)nalloc + 1, sizeof(dnode));
    int depth;
    h->ho->dph_root = root;
    vm_region(m, root, pool_end - root, H, MEM_COMMIT, PAGE_READWRITE, MEM_PRIVATE, U_HEAP);
    if (resv_end > pool_end) vm_region(m, pool_end, resv_end - pool_end, H, MEM_RESERVE, 0, MEM_PRIVATE, U_HEAP);
    for (i = 0; i < g->sc->allocs.n; i++) {
        alloc_spec *as = &g->sc->allocs.v[i];
        int rs;
        u64 k;
        if (as->heap != hi) continue;
        rs = gen_stack(g, as->stack, h->bits);
        for (k = 0; k < as->count; k++) {
            u64 req = rng_range(&h->r, as->smin, as->smax), ua = ALIGN_UP(req, align);
            u64 commit = ALIGN_UP(ahdr + info_size + ua, PAGE), V, user, info, node = pool + (u64)n * node_size(p), entry = 0;
            u32 idx = 0;
            V = gen_reserve(g, commit + PAGE, ALLOC_GRAN);
            vm_region(m, V, commit, V, MEM_COMMIT, PAGE_READWRITE, MEM_PRIVATE, U_HEAP);
            vm_region(m, V + commit, PAGE, V, MEM_RESERVE, 0, MEM_PRIVATE, U_HEAP);
            user = V + commit - ua;
            info = user - info_size;
            if (rs >= 0) idx = std_index(g, rs, &entry);
            /* allocation header (§8.4, L) */
            w32(m, V, 0xEEEEEEEDu);
            wptr(m, p, V + (p == 8 ? 8 : 4), node);
            /* `_DPH_BLOCK_INFORMATION` */
            w32(m, info, 0xABCDBBBBu);
            wptr(m, p, info + (p == 8 ? 0x08 : 0x04), root);
            wptr(m, p, info + (p == 8 ? 0x10 : 0x08), req);
            wptr(m, p, info + (p == 8 ? 0x18 : 0x0C), V + commit - info);
            w16(m, info + (p == 8 ? 0x20 : 0x10), (u16)idx);
            wptr(m, p, info + (p == 8 ? 0x30 : 0x18), entry);
            w32(m, info + (p == 8 ? 0x3C : 0x1C), 0xDCBABBBBu);
            if (ua > req) vm_fill(m, user + req, 0xD0, ua - req);
            /* `_DPH_HEAP_BLOCK` */
            wptr(m, p, node + (p == 8 ? 0x20 : 0x10), user);
            wptr(m, p, node + (p == 8 ? 0x28 : 0x14), V);
            wptr(m, p, node + (p == 8 ? 0x30 : 0x18), commit + PAGE);
            wptr(m, p, node + (p == 8 ? 0x38 : 0x1C), commit);
            wptr(m, p, node + (p == 8 ? 0x40 : 0x20), req);
            wptr(m, p, node + (p == 8 ? 0x48 : 0x24), ua);
            wptr(m, p, node + (p == 8 ? 0x60 : 0x30), entry);
            wptr(m, p, node + (p == 8 ? 0x68 : 0x34), node + (p == 8 ? 0x68 : 0x34));
            wptr(m, p, node + (p == 8 ? 0x70 : 0x38), node + (p == 8 ? 0x68 : 0x34));
            wptr(m, p, node + (p == 8 ? 0x78 : 0x3C), V);
            nodes[n].node = node;
            nodes[n].vblock = V;
            n++;
            busy_commit += commit;
            vbytes += commit + PAGE;
            h->busy_blocks++;
            h->busy_user += req;
            h->busy_bytes += commit + PAGE;
            if (rs >= 0) {
                g->rst.v[rs].blocks++;
                g->rst.v[rs].bytes += req;
            }
            hs_block_json(h, info, user, commit + PAGE, req, 1, BK_PAGEHEAP, rs, 0, "dph_node", node);
        }
    }
    /* BusyNodesTable: RTL_AVL_TABLE, BalancedRoot.RightChild = tree root */
    qsort(nodes, n, sizeof(dnode), cmp_dnode);
    depth = avl(h, nodes, 0, (long)n - 1, table, &tree);
    wptr(m, p, table, table);
    wptr(m, p, table + 2 * (u64)p, tree);
    w32(m, table + (p == 8 ? 0x2C : 0x18), (u32)n);
    w32(m, table + (p == 8 ? 0x30 : 0x1C), (u32)depth);
    free(nodes);
    /* `_DPH_HEAP_ROOT` (§8.2) */
    w32(m, root, 0xFFEEDDCCu);
    w32(m, root + 4, h->ho->flags);
    wptr(m, p, root + 8, root + ALIGN_UP(root_size(p), 16));
    w32(m, root + ALIGN_UP(root_size(p), 16) + (p == 8 ? 8 : 4), 0xFFFFFFFFu);
    wptr(m, p, root + (p == 8 ? 0x28 : 0x18), n);
    wptr(m, p, root + (p == 8 ? 0x30 : 0x1C), vbytes);
    w32(m, root + (p == 8 ? 0xA8 : 0x5C), (u32)n);
    wptr(m, p, root + (p == 8 ? 0xB0 : 0x60), busy_commit);
    wptr(m, p, root + (p == 8 ? 0xD8 : 0x74), root + (p == 8 ? 0xD8 : 0x74));
    wptr(m, p, root + (p == 8 ? 0xE0 : 0x78), root + (p == 8 ? 0xD8 : 0x74));
    wptr(m, p, root + (p == 8 ? 0x110 : 0x90), busy_commit);
    wptr(m, p, root + (p == 8 ? 0x118 : 0x94), pool);
    wptr(m, p, root + (p == 8 ? 0x120 : 0x98), pool);
    wptr(m, p, root + (p == 8 ? 0x128 : 0x9C), 1);
    wptr(m, p, root + (p == 8 ? 0x130 : 0xA0), pool_end - pool);
    wptr(m, p, root + (p == 8 ? 0x138 : 0xA4), root + (p == 8 ? 0x138 : 0xA4));
    wptr(m, p, root + (p == 8 ? 0x140 : 0xA8), root + (p == 8 ? 0x138 : 0xA4));
}
