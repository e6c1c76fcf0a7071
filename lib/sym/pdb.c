/*
** pdb.c - program database (PDB, MSF 7.0 container) reader: just enough to name code addresses.
** Format facts: LLVM's "The PDB File Format" documentation (MSF, PDB info, DBI, module and
** public streams) and Microsoft's cvinfo.h record kinds; no code was copied.
**
** MSF container (all little-endian):
**   +0x00  magic "Microsoft C/C++ MSF 7.00\r\n\x1a" "DS\0\0\0" (32 bytes)
**   +0x20  BlockSize (512/1024/2048/4096)   +0x24 FreeBlockMapBlock   +0x28 NumBlocks
**   +0x2C  NumDirectoryBytes                +0x30 unknown              +0x34 BlockMapAddr
**   block BlockMapAddr: u32 block numbers of the stream directory;
**   directory: NumStreams, StreamSizes[NumStreams] (0xFFFFFFFF = none), then each stream's
**   block numbers (ceil(size / BlockSize) of them).  A stream is the concatenation of its blocks.
**
** Streams used:
**   1  PDB info: Version +0, Signature +4, Age +8, GUID +0xC (16 bytes)
**   3  DBI: header (64 bytes): Age +8, SymRecordStream u16 +0x14, ModInfoSize +0x18,
**      SectionContributionSize +0x1C, SectionMapSize +0x20, SourceInfoSize +0x24,
**      TypeServerMapSize +0x28, OptionalDbgHeaderSize +0x30, ECSubstreamSize +0x34,
**      Machine u16 +0x3A; then the substreams in that order: module info, section contributions,
**      section map, source info, type server map, EC, optional debug header (u16 stream numbers;
**      [5] = section headers).
**      Module info record: 64 fixed bytes (ModuleSymStream u16 +0x22, SymByteSize u32 +0x24),
**      then ModuleName and ObjFileName (NUL-terminated), padded to 4.
**   module stream: u32 signature (4), then SymByteSize - 4 bytes of symbol records
**   symbol record stream (DBI SymRecordStream): the global symbol records, S_PUB32 among them
**   section header stream: IMAGE_SECTION_HEADER[] (VirtualAddress +0xC)
** Symbol record: u16 RecordLength (excluding itself), u16 Kind, data.
**   S_PUB32 0x110E: Flags u32, Offset u32, Segment u16, Name
**   S_LPROC32 0x110F / S_GPROC32 0x1110 / S_LPROC32_ID 0x1146 / S_GPROC32_ID 0x1147:
**      Parent, End, Next, CodeSize +0xC, DbgStart, DbgEnd, TypeIndex, Offset +0x1C,
**      Segment u16 +0x20, Flags u8 +0x22, Name +0x23
**
** Hostile input: every block number is checked against NumBlocks and the file length, every
** stream size against the file length, every record against its stream; nothing is trusted.
** Images rearranged after linking (BBT: Windows 7's system DLLs among others) carry OMAP: the
** symbols then refer to the original sections (optional debug header [10], SectionHdrOrig) and are
** mapped to image RVAs through OmapFromSrc ([4]; {u32 source, u32 target} sorted by source; a
** target of 0 drops the range).  Not supported: the older MSF 2.0 container.
*/
#include <stdio.h>    /* snprintf */
#include <stdlib.h>   /* malloc, free, qsort */
#include <string.h>   /* memcmp, memcpy, strlen */
#include "../common/rd.h"
#include "pdb.h"
#include "../common/vec.h"

static const char MSF_MAGIC[32] = "Microsoft C/C++ MSF 7.00\r\n\x1a" "DS\0\0";

typedef struct msf {
    const uint8_t *data;
    size_t len;
    uint32_t bs, nblocks;
    uint32_t nstreams;
    const uint8_t *sizes;        /* into dir */
    uint32_t *first_block;       /* index into dir's block list of each stream's first block */
    uint8_t *dir;                /* the assembled directory */
    size_t dir_len;
} msf;

/* A growing pool of names, turned into pointers once complete. */
typedef struct pool { char *p; size_t len, cap; } pool;

static int pool_add(pool *pl, const char *s, size_t n, size_t *at)
{
    if (pl->len + n + 1 > pl->cap) {
        size_t c = pl->cap ? pl->cap : 4096;
        char *np;
        while (c < pl->len + n + 1) c *= 2;
        if (!(np = realloc(pl->p, c))) return -1;
        pl->p = np;
        pl->cap = c;
    }
    memcpy(pl->p + pl->len, s, n);
    pl->p[pl->len + n] = 0;
    *at = pl->len;
    pl->len += n + 1;
    return 0;
}

typedef struct rawsym { uint32_t rva, len; size_t name; int proc; } rawsym;
typedef struct symvec { rawsym *v; size_t n, cap; } symvec;

static int symvec_push(symvec *s, rawsym r)
{
    if (s->n == s->cap) {
        size_t c = s->cap ? s->cap * 2 : 256;
        rawsym *nv = realloc(s->v, c * sizeof *nv);
        if (!nv) return -1;
        s->v = nv;
        s->cap = c;
    }
    s->v[s->n++] = r;
    return 0;
}

#define FAIL(code, ...) do { snprintf(why, whylen, __VA_ARGS__); return (code); } while (0)

static hd_err msf_open(msf *m, const uint8_t *data, size_t len, char *why, size_t whylen)
{
    uint32_t dir_bytes, map_addr, ndir_blocks, i;
    uint64_t off;
    size_t k, nb_total;
    memset(m, 0, sizeof *m);
    m->data = data;
    m->len = len;
    if (len < 0x38 || memcmp(data, MSF_MAGIC, 32) != 0) FAIL(HD_EFORMAT, "not an MSF 7.00 program database");
    m->bs = rd_le32(data + 0x20);
    m->nblocks = rd_le32(data + 0x28);
    dir_bytes = rd_le32(data + 0x2C);
    map_addr = rd_le32(data + 0x34);
    if (m->bs != 512 && m->bs != 1024 && m->bs != 2048 && m->bs != 4096)
        FAIL(HD_ECORRUPT, "block size %u is not 512, 1024, 2048 or 4096", m->bs);
    if ((uint64_t)m->nblocks * m->bs > len) {
        /* A truncated copy: use the blocks that are there. */
        m->nblocks = (uint32_t)(len / m->bs);
    }
    if (map_addr >= m->nblocks) FAIL(HD_ETRUNC, "block map at block %u beyond the %u blocks present", map_addr, m->nblocks);
    if (dir_bytes < 4 || dir_bytes > len) FAIL(HD_ECORRUPT, "stream directory of %u bytes", dir_bytes);
    ndir_blocks = (uint32_t)(((uint64_t)dir_bytes + m->bs - 1) / m->bs);
    if ((uint64_t)ndir_blocks * 4 > m->bs) FAIL(HD_ECORRUPT, "stream directory needs %u blocks, more than one block map holds", ndir_blocks);
    m->dir = malloc((size_t)ndir_blocks * m->bs);
    if (!m->dir) FAIL(HD_ENOMEM, "out of memory for the stream directory");
    for (i = 0; i < ndir_blocks; i++) {
        uint32_t b = rd_le32(data + (size_t)map_addr * m->bs + (size_t)i * 4);
        if (b >= m->nblocks) FAIL(HD_ECORRUPT, "directory block %u is beyond the file", b);
        memcpy(m->dir + (size_t)i * m->bs, data + (size_t)b * m->bs, m->bs);
    }
    m->dir_len = dir_bytes;
    m->nstreams = rd_le32(m->dir);
    if ((uint64_t)m->nstreams * 4 + 4 > m->dir_len) FAIL(HD_ECORRUPT, "%u streams do not fit the directory", m->nstreams);
    m->sizes = m->dir + 4;
    m->first_block = malloc(((size_t)m->nstreams + 1) * sizeof *m->first_block);
    if (!m->first_block) FAIL(HD_ENOMEM, "out of memory for %u streams", m->nstreams);
    off = 4 + (uint64_t)m->nstreams * 4;
    nb_total = 0;
    for (k = 0; k < m->nstreams; k++) {
        uint32_t sz = rd_le32(m->sizes + 4 * k);
        uint64_t nb = sz == 0xFFFFFFFFu ? 0 : ((uint64_t)sz + m->bs - 1) / m->bs;
        m->first_block[k] = (uint32_t)nb_total;
        nb_total += (size_t)nb;
        if (off + (uint64_t)nb_total * 4 > m->dir_len) FAIL(HD_ECORRUPT, "stream %zu's block list runs past the directory", k);
    }
    return HD_OK;
}

static void msf_close(msf *m)
{
    free(m->dir);
    free(m->first_block);
}

/* Copy stream IDX into a malloc'ed buffer.  HD_ENOTFOUND for a nil or missing stream. */
static hd_err msf_stream(const msf *m, uint32_t idx, uint8_t **out, size_t *outlen)
{
    uint32_t sz, i, nb;
    const uint8_t *list;
    uint8_t *buf;
    *out = NULL;
    *outlen = 0;
    if (idx >= m->nstreams) return HD_ENOTFOUND;
    sz = rd_le32(m->sizes + 4 * (size_t)idx);
    if (sz == 0xFFFFFFFFu) return HD_ENOTFOUND;
    if (sz > m->len) return HD_ECORRUPT;
    nb = (uint32_t)(((uint64_t)sz + m->bs - 1) / m->bs);
    list = m->dir + 4 + (size_t)m->nstreams * 4 + (size_t)m->first_block[idx] * 4;
    buf = malloc(sz ? sz : 1);
    if (!buf) return HD_ENOMEM;
    for (i = 0; i < nb; i++) {
        uint32_t b = rd_le32(list + (size_t)i * 4);
        size_t n = HD_MIN((size_t)m->bs, (size_t)sz - (size_t)i * m->bs);
        if (b >= m->nblocks) { free(buf); return HD_ECORRUPT; }
        memcpy(buf + (size_t)i * m->bs, m->data + (size_t)b * m->bs, n);
    }
    *out = buf;
    *outlen = sz;
    return HD_OK;
}

/* ---- names ------------------------------------------------------------------------------ */

static int ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$';
}

const char *pdb_undecorate(const char *in, int x86, char *out, size_t cap)
{
    const char *frag[32];
    size_t flen[32], nf = 0, i, o = 0;
    const char *p, *op = NULL;
    int ctor = 0, dtor = 0;
    if (cap == 0) return out;
    out[0] = 0;
    if (in[0] != '?') {
        /* C: x86 adds '_' (cdecl, stdcall "_f@N") or '@' (fastcall "@f@N"). */
        const char *s = in, *at;
        size_t n;
        if (x86 && (in[0] == '_' || in[0] == '@')) s = in + 1;
        n = strlen(s);
        at = strrchr(s, '@');
        if (x86 && at && at[1] >= '0' && at[1] <= '9' && strspn(at + 1, "0123456789") == strlen(at + 1)) n = (size_t)(at - s);
        if (n >= cap) n = cap - 1;
        memcpy(out, s, n);
        out[n] = 0;
        return out;
    }
    p = in + 1;
    if (p[0] == '?') {
        switch (p[1]) {
        case '0': ctor = 1; p += 2; break;
        case '1': dtor = 1; p += 2; break;
        case '2': op = "operator new"; p += 2; break;
        case '3': op = "operator delete"; p += 2; break;
        case '_':
            if (p[2] == 'U') { op = "operator new[]"; p += 3; break; }
            if (p[2] == 'V') { op = "operator delete[]"; p += 3; break; }
            goto raw;
        default: goto raw;
        }
    }
    /* fragments up to the empty one ("@@") */
    for (;;) {
        const char *s = p;
        while (ident_char(*p)) p++;
        if (*p != '@') goto raw;
        if (p == s) break;                       /* empty fragment: end of the name */
        if (nf == 32 || (p - s == 1 && s[0] >= '0' && s[0] <= '9')) goto raw;   /* back-reference */
        frag[nf] = s;
        flen[nf++] = (size_t)(p - s);
        p++;
    }
    if ((ctor || dtor) && nf == 0) goto raw;
    if (!op && !ctor && !dtor && nf == 0) goto raw;
    /* scopes outermost first: frag[nf-1] :: ... :: frag[1] :: name (frag[0], unless an operator) */
    {
        size_t first_scope = (op || ctor || dtor) ? 0 : 1;
        size_t k;
        for (k = nf; k-- > first_scope;) {
            if (o + flen[k] + 3 >= cap) goto raw;
            memcpy(out + o, frag[k], flen[k]);
            o += flen[k];
            out[o++] = ':';
            out[o++] = ':';
        }
        if (op) {
            size_t n = strlen(op);
            if (o + n + 1 >= cap) goto raw;
            memcpy(out + o, op, n);
            o += n;
        } else if (ctor || dtor) {
            if (o + flen[0] + 2 >= cap) goto raw;
            if (dtor) out[o++] = '~';
            memcpy(out + o, frag[0], flen[0]);
            o += flen[0];
        } else {
            if (o + flen[0] + 1 >= cap) goto raw;
            memcpy(out + o, frag[0], flen[0]);
            o += flen[0];
        }
        out[o] = 0;
        return out;
    }
raw:
    for (i = 0; in[i] && i + 1 < cap; i++) out[i] = in[i];
    out[i] = 0;
    return out;
}

/* ---- symbols ------------------------------------------------------------------------------ */

/* How symbols' SEG:OFF become image RVAs: the sections they refer to, and for images rearranged
** after linking (BBT / OMAP) the OmapFromSrc table {u32 source rva, u32 image rva} sorted by
** source rva, with the sections of the original layout. */
typedef struct secmap {
    const uint32_t *rva, *size, *flags;
    size_t n;
    const uint8_t *omap;     /* NULL: no translation */
    size_t nomap;
} secmap;

/* Image RVA of source RVA R through the OMAP: the last entry at or below R, offset by the
** distance from it; -1 when R falls before the table or in a range the optimiser dropped. */
static int64_t omap_map(const secmap *s, uint32_t r)
{
    size_t lo = 0, hi = s->nomap;
    uint32_t from, to;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (rd_le32(s->omap + 8 * mid) <= r) lo = mid + 1; else hi = mid;
    }
    if (lo == 0) return -1;
    from = rd_le32(s->omap + 8 * (lo - 1));
    to = rd_le32(s->omap + 8 * (lo - 1) + 4);
    if (to == 0) return -1;
    if ((uint64_t)to + (r - from) > 0xFFFFFFFFu) return -1;
    return (int64_t)to + (r - from);
}

/* RVA of SEG:OFF when SEG is an executable section; -1 otherwise. */
static int64_t code_rva(const secmap *s, uint16_t seg, uint32_t off)
{
    uint64_t r;
    if (seg == 0 || seg > s->n) return -1;
    if (!(s->flags[seg - 1] & (0x20u | 0x20000000u))) return -1;   /* CNT_CODE | MEM_EXECUTE */
    r = (uint64_t)s->rva[seg - 1] + off;
    if (r > 0xFFFFFFFFu) return -1;
    return s->omap ? omap_map(s, (uint32_t)r) : (int64_t)r;
}

/* Section headers (IMAGE_SECTION_HEADER[]) of stream IDX into three malloc'ed arrays. */
static size_t load_sections(const uint8_t *h, size_t len, uint32_t **rva, uint32_t **size, uint32_t **flags)
{
    size_t n = len / 40, i;
    *rva = malloc((n ? n : 1) * 4);
    *size = malloc((n ? n : 1) * 4);
    *flags = malloc((n ? n : 1) * 4);
    if (!*rva || !*size || !*flags) return (size_t)-1;
    for (i = 0; i < n; i++) {
        (*size)[i] = rd_le32(h + 40 * i + 8);
        (*rva)[i] = rd_le32(h + 40 * i + 0xC);
        (*flags)[i] = rd_le32(h + 40 * i + 0x24);
        if ((*size)[i] == 0) (*size)[i] = rd_le32(h + 40 * i + 0x10);
    }
    return n;
}

/* Walk the records of BUF[start..end); collect publics and procedures. */
static int scan_records(const uint8_t *buf, size_t start, size_t end, const secmap *sm, int x86,
                        pool *pl, symvec *sv)
{
    size_t off = start;
    char tmp[1024];
    while (off + 4 <= end) {
        uint16_t reclen = rd_le16(buf + off), kind;
        const uint8_t *r;
        size_t rlen, name_at, n;
        rawsym rs;
        int64_t rva;
        if (reclen < 2 || off + 2 + (size_t)reclen > end) break;   /* damaged: stop this stream */
        kind = rd_le16(buf + off + 2);
        r = buf + off + 4;
        rlen = (size_t)reclen - 2;
        off += 2 + (size_t)reclen;
        memset(&rs, 0, sizeof rs);
        if (kind == 0x110E) {                       /* S_PUB32 */
            if (rlen < 11) continue;
            rva = code_rva(sm, rd_le16(r + 8), rd_le32(r + 4));
            name_at = 10;
        } else if (kind == 0x110F || kind == 0x1110 || kind == 0x1146 || kind == 0x1147) {
            if (rlen < 0x24) continue;
            rva = code_rva(sm, rd_le16(r + 0x20), rd_le32(r + 0x1C));
            rs.len = rd_le32(r + 0xC);
            rs.proc = 1;
            name_at = 0x23;
        } else {
            continue;
        }
        if (rva < 0) continue;
        for (n = 0; name_at + n < rlen && r[name_at + n]; n++) {}
        if (n == 0) continue;
        rs.rva = (uint32_t)rva;
        if (!rs.proc) {
            char raw[1024];
            size_t m = HD_MIN(n, sizeof raw - 1);
            memcpy(raw, r + name_at, m);
            raw[m] = 0;
            pdb_undecorate(raw, x86, tmp, sizeof tmp);
            if (pool_add(pl, tmp, strlen(tmp), &rs.name) < 0) return -1;
        } else if (pool_add(pl, (const char *)r + name_at, n, &rs.name) < 0) {
            return -1;
        }
        if (symvec_push(sv, rs) < 0) return -1;
    }
    return 0;
}

static int cmp_rawsym(const void *a, const void *b)
{
    const rawsym *x = a, *y = b;
    if (x->rva != y->rva) return x->rva < y->rva ? -1 : 1;
    if (x->proc != y->proc) return x->proc ? -1 : 1;   /* procedures (static ones too) first */
    return x->name < y->name ? -1 : x->name > y->name;
}

hd_err pdb_parse(const uint8_t *data, size_t len, const uint32_t *fallback_rva, const uint32_t *fallback_size,
                 const uint32_t *fallback_flags, size_t nfallback, pdb **out, char *why, size_t whylen)
{
    msf m;
    pdb *p = NULL;
    uint8_t *info = NULL, *dbi = NULL, *shdr = NULL, *mod = NULL;
    size_t info_len, dbi_len, shdr_len = 0, mod_len;
    hd_err e;
    pool pl = {0};
    symvec sv = {0};
    secmap sm = {fallback_rva, fallback_size, fallback_flags, nfallback, NULL, 0};
    secmap symmap;             /* what symbols are translated with (sm, or the original layout + OMAP) */
    uint32_t *own_rva = NULL, *own_size = NULL, *own_flags = NULL;
    uint32_t *orig_rva = NULL, *orig_size = NULL, *orig_flags = NULL;
    uint8_t *omap = NULL, *ohdr = NULL;
    size_t omap_len = 0, ohdr_len = 0;
    size_t i;
    *out = NULL;
    if (whylen) why[0] = 0;
    if ((e = msf_open(&m, data, len, why, whylen)) != HD_OK) { msf_close(&m); return e; }
    p = calloc(1, sizeof *p);
    if (!p) { e = HD_ENOMEM; snprintf(why, whylen, "out of memory"); goto done; }

    if ((e = msf_stream(&m, 1, &info, &info_len)) != HD_OK || info_len < 0x1C) {
        snprintf(why, whylen, "no PDB info stream");
        e = HD_ECORRUPT;
        goto done;
    }
    p->age = rd_le32(info + 8);
    memcpy(p->guid, info + 0xC, 16);

    if ((e = msf_stream(&m, 3, &dbi, &dbi_len)) != HD_OK || dbi_len < 64) {
        snprintf(why, whylen, "no DBI stream");
        e = HD_ECORRUPT;
        goto done;
    }
    {
        int32_t sizes[7];
        uint64_t at = 64, sub[7];
        uint16_t symrec = rd_le16(dbi + 0x14);
        static const unsigned field[7] = {0x18, 0x1C, 0x20, 0x24, 0x28, 0x34, 0x30};   /* in stream order */
        int x86;
        p->dbi_age = rd_le32(dbi + 8);
        p->machine = rd_le16(dbi + 0x3A);
        x86 = p->machine == 0x14c;
        for (i = 0; i < 7; i++) {
            sizes[i] = (int32_t)rd_le32(dbi + field[i]);
            if (sizes[i] < 0 || at + (uint64_t)sizes[i] > dbi_len) {
                snprintf(why, whylen, "DBI substream %zu (%d bytes) runs past the stream", i, sizes[i]);
                e = HD_ECORRUPT;
                goto done;
            }
            sub[i] = at;
            at += (uint64_t)sizes[i];
        }
        /* section headers: optional debug header [5] */
        if (sizes[6] >= 12) {
            uint16_t sidx = rd_le16(dbi + sub[6] + 10);
            if (sidx != 0xFFFF && msf_stream(&m, sidx, &shdr, &shdr_len) == HD_OK && shdr_len >= 40) {
                size_t n = load_sections(shdr, shdr_len, &own_rva, &own_size, &own_flags);
                if (n == (size_t)-1) { e = HD_ENOMEM; snprintf(why, whylen, "out of memory"); goto done; }
                sm.rva = own_rva;
                sm.size = own_size;
                sm.flags = own_flags;
                sm.n = n;
            }
        }
        if (sm.n == 0) {
            snprintf(why, whylen, "no section headers (neither in the PDB nor from the image)");
            e = HD_ECORRUPT;
            goto done;
        }
        /* an image rearranged after linking: symbols refer to the original sections ([10],
        ** SectionHdrOrig) and map to the image through OmapFromSrc ([4]) */
        symmap = sm;
        if (sizes[6] >= 22) {
            uint16_t oidx = rd_le16(dbi + sub[6] + 8), hidx = rd_le16(dbi + sub[6] + 20);
            if (oidx != 0xFFFF && hidx != 0xFFFF && msf_stream(&m, oidx, &omap, &omap_len) == HD_OK && omap_len >= 8 &&
                msf_stream(&m, hidx, &ohdr, &ohdr_len) == HD_OK && ohdr_len >= 40) {
                size_t n = load_sections(ohdr, ohdr_len, &orig_rva, &orig_size, &orig_flags);
                if (n == (size_t)-1) { e = HD_ENOMEM; snprintf(why, whylen, "out of memory"); goto done; }
                symmap.rva = orig_rva;
                symmap.size = orig_size;
                symmap.flags = orig_flags;
                symmap.n = n;
                symmap.omap = omap;
                symmap.nomap = omap_len / 8;
                p->omap = 1;
            }
        }
        /* public and global records */
        if (symrec != 0xFFFF) {
            uint8_t *recs = NULL;
            size_t rl;
            if (msf_stream(&m, symrec, &recs, &rl) == HD_OK) {
                int r = scan_records(recs, 0, rl, &symmap, x86, &pl, &sv);
                free(recs);
                if (r < 0) { e = HD_ENOMEM; snprintf(why, whylen, "out of memory"); goto done; }
            }
        }
        /* module streams: procedures, static ones included */
        at = sub[0];
        while (at + 64 <= sub[0] + (uint64_t)sizes[0]) {
            const uint8_t *mi = dbi + at;
            uint16_t ms = rd_le16(mi + 0x22);
            uint32_t symbytes = rd_le32(mi + 0x24);
            uint64_t s = at + 64;
            int strings = 0;
            while (s < sub[0] + (uint64_t)sizes[0] && strings < 2) {   /* ModuleName, ObjFileName */
                if (dbi[s] == 0) strings++;
                s++;
            }
            if (strings < 2) break;
            at = (s + 3) & ~(uint64_t)3;
            if (ms == 0xFFFF || symbytes < 4) continue;
            if (msf_stream(&m, ms, &mod, &mod_len) != HD_OK) continue;
            if (scan_records(mod, 4, HD_MIN((size_t)symbytes, mod_len), &symmap, x86, &pl, &sv) < 0) {
                e = HD_ENOMEM;
                snprintf(why, whylen, "out of memory");
                goto done;
            }
            free(mod);
            mod = NULL;
        }
    }
    /* sort, keep one symbol per rva, resolve names */
    hd_sort(sv.v, sv.n, sizeof *sv.v, cmp_rawsym);
    p->syms = malloc((sv.n ? sv.n : 1) * sizeof *p->syms);
    if (!p->syms) { e = HD_ENOMEM; snprintf(why, whylen, "out of memory"); goto done; }
    for (i = 0; i < sv.n; i++) {
        pdb_sym *d;
        if (p->nsyms && p->syms[p->nsyms - 1].rva == sv.v[i].rva) continue;
        d = &p->syms[p->nsyms++];
        d->rva = sv.v[i].rva;
        d->len = sv.v[i].len;
        d->proc = sv.v[i].proc;
        d->name = (const char *)(uintptr_t)sv.v[i].name;   /* offset for now */
    }
    p->pool = pl.p;
    pl.p = NULL;
    for (i = 0; i < p->nsyms; i++) p->syms[i].name = p->pool + (size_t)(uintptr_t)p->syms[i].name;
    /* keep the section table for same-section lookups */
    p->nsections = sm.n;
    p->sec_rva = malloc((sm.n ? sm.n : 1) * 4);
    p->sec_size = malloc((sm.n ? sm.n : 1) * 4);
    p->sec_flags = malloc((sm.n ? sm.n : 1) * 4);
    if (!p->sec_rva || !p->sec_size || !p->sec_flags) { e = HD_ENOMEM; snprintf(why, whylen, "out of memory"); goto done; }
    memcpy(p->sec_rva, sm.rva, sm.n * 4);
    memcpy(p->sec_size, sm.size, sm.n * 4);
    memcpy(p->sec_flags, sm.flags, sm.n * 4);
    e = HD_OK;
done:
    msf_close(&m);
    free(info);
    free(dbi);
    free(shdr);
    free(mod);
    free(own_rva);
    free(own_size);
    free(own_flags);
    free(orig_rva);
    free(orig_size);
    free(orig_flags);
    free(omap);
    free(ohdr);
    free(pl.p);
    free(sv.v);
    if (e != HD_OK) {
        pdb_free(p);
        return e;
    }
    *out = p;
    return HD_OK;
}

void pdb_free(pdb *p)
{
    if (!p) return;
    free(p->syms);
    free(p->pool);
    free(p->sec_rva);
    free(p->sec_size);
    free(p->sec_flags);
    free(p);
}

static ptrdiff_t section_of(const pdb *p, uint32_t rva)
{
    size_t i;
    for (i = 0; i < p->nsections; i++)
        if (rva >= p->sec_rva[i] && rva - p->sec_rva[i] < p->sec_size[i]) return (ptrdiff_t)i;
    return -1;
}

const pdb_sym *pdb_lookup(const pdb *p, uint32_t rva)
{
    size_t lo = 0, hi;
    const pdb_sym *s;
    if (!p || !p->nsyms) return NULL;
    hi = p->nsyms;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->syms[mid].rva <= rva) lo = mid + 1; else hi = mid;
    }
    if (lo == 0) return NULL;
    s = &p->syms[lo - 1];
    if (section_of(p, s->rva) != section_of(p, rva)) return NULL;
    return s;
}
