/*
** entry.c - one _HEAP_ENTRY: decoding, checksum, user pointer and size, stack reference.
**
**   x86  +0 Size u16 | +2 Flags | +3 SmallTagIndex | +4 PreviousSize u16 | +6 SegmentOffset | +7 UnusedBytes
**   x64  +0..+7 PreviousBlockPrivateData (the previous block's), then the same 8-byte body at +8
**
** Encoding (§3.2): when _HEAP.EncodeFlagMask is set, the Size/Flags/SmallTagIndex dword and the
** PreviousSize word are stored XOR-ed with the same bytes of _HEAP.Encoding; SegmentOffset and
** UnusedBytes are stored raw.  The checksum is SmallTagIndex == Size.lo ^ Size.hi ^ Flags.  We
** always decode and verify (the "is it encoded" bit test misreads LAST_ENTRY blocks), falling
** back to the raw bytes for a header caught mid-operation.
**
** User extent (§3.5): data starts at header + gran unless UnusedBytes has 0x40 (a +ust prefix of
** UB & 0x3F granules, with an extended header - signature 5 - just below the user data, §7.2);
** the unused count is UB & 0x3F, or, when that reads 0x3F, stored after the block (x64: the next
** header's PreviousBlockPrivateData; x86: the block's last dword).
*/
#include <string.h>
#include "heap_int.h"

void hh_decode(const hh_heap *h, const uint8_t *body, hh_entry *e)
{
    uint8_t b[8];
    int i;
    memcpy(b, body, 8);
    e->raw = 0;
    if (h->encoded)
        for (i = 0; i < 6; i++) b[i] ^= h->key[i];
    e->size = rd_le16(b);
    e->flags = b[2];
    e->sti = b[3];
    e->prev = rd_le16(b + 4);
    e->segoff = b[6];
    e->unused = b[7];
    e->ok = hh_checksum_ok(e);
    if (!e->ok && h->encoded) {   /* a header left decoded by an interrupted operation */
        hh_entry r;
        r.size = rd_le16(body);
        r.flags = body[2];
        r.sti = body[3];
        r.prev = rd_le16(body + 4);
        r.segoff = body[6];
        r.unused = body[7];
        if (hh_checksum_ok(&r) && r.size != 0) {
            *e = r;
            e->ok = 1;
            e->raw = 1;
        }
    }
}

int hh_read_entry(const hd_dump *d, const hh_heap *h, uint64_t va, hh_entry *e)
{
    const uint8_t *p = hd_view(d, va + h->c->entry_body, 8);
    if (!p) {
        memset(e, 0, sizeof *e);
        return 0;
    }
    hh_decode(h, p, e);
    return 1;
}

/* LEN bytes at HDR + OFF: from the caller's span when it covers them, else through hd_view. */
static const uint8_t *at(const hd_dump *d, uint64_t hdr, const uint8_t *span, uint64_t avail, uint64_t off, size_t len)
{
    if (span && off + len <= avail) return span + off;
    return hd_view(d, hdr + off, len);
}

int hh_user_extent(const hd_dump *d, const hh_heap *h, uint64_t hdr, uint64_t units, const hh_entry *e, hd_block *b,
                   const char **why, const uint8_t *span, uint64_t avail)
{
    const hl_common *c = h->c;
    uint64_t bytes = units * c->gran, unused = 0, ext;
    uint8_t ub = e->unused;
    const uint8_t *p;
    *why = NULL;
    b->user_address = hdr + c->gran;
    b->stack_scheme = HD_STACK_NONE;
    b->stack_ref = 0;
    if (ub & 0x40) {
        /* +ust prefix (§7.2): header, record pointer, extended header, user data */
        unsigned pre = ub & 0x3F;
        ext = (uint64_t)pre * c->gran;
        p = at(d, hdr, span, avail, ext + c->entry_body, 8);
        if (!p) {
            *why = "the +ust extended header is not captured";
            b->user_size = 0;
            return -1;
        }
        if (pre == 0 || p[7] != 5 || p[6] != pre || (uint64_t)pre * c->gran + c->gran > bytes) {
            *why = "UnusedBytes announces a +ust prefix but no valid extended header follows";
            b->user_size = 0;
            return -1;
        }
        unused = rd_le16(p + 4);
        b->user_address = hdr + ext + c->gran;
        if ((p = at(d, hdr, span, avail, c->gran, c->ptr)) != NULL) {
            uint64_t rec = rd_ptr(p, c->ptr);
            if (rec) {
                b->stack_scheme = HD_STACK_UST_RECORD;
                b->stack_ref = rec;
            }
        }
    } else if ((ub & 0x3F) == 0x3F) {
        /* the count did not fit in 6 bits: stored after the block (§3.5) */
        if (c->ptr == 8) {
            if (!(p = at(d, hdr, span, avail, bytes, 8))) {
                *why = "the unused-bytes count stored after the block is not captured";
                b->user_size = 0;
                return -1;
            }
            unused = rd_le64(p);
        } else {
            if (bytes < 4 || !(p = at(d, hdr, span, avail, bytes - 4, 4))) {
                *why = "the unused-bytes count stored in the block is not captured";
                b->user_size = 0;
                return -1;
            }
            unused = rd_le32(p);
        }
    } else {
        unused = ub & 0x3F;
    }
    if (unused > bytes) {
        *why = "the unused-bytes count exceeds the block";
        b->user_size = 0;
        return -1;
    }
    b->user_size = bytes - unused;
    if (!(ub & 0x40) && (e->flags & HL_ENTRY_EXTRA_PRESENT) && bytes >= c->gran) {
        /* classic stack trace index in the _HEAP_ENTRY_EXTRA of the last granule (§3.6) */
        if ((p = at(d, hdr, span, avail, bytes - c->gran + c->extra_bt_index, 2)) != NULL && rd_le16(p)) {
            b->stack_scheme = HD_STACK_TRACE_INDEX;
            b->stack_ref = rd_le16(p);
        }
    }
    return 0;
}
