/*
** vm.c - the simulated process address space and the sparse dump writer.
**
** Reservations are whole VirtualAlloc allocations (64 KB aligned); regions are runs of pages
** with one state and protection inside them (what MINIDUMP_MEMORY_INFO describes).  Every
** committed, accessible region is captured in the Memory64List unless a corruption leaves it out.
**
** Writing: the captured bytes of all regions follow each other in the file from data_off, in
** address order (Memory64List requires exactly that).  Simulated memory is never held whole:
** writes go through a direct-mapped cache of 64 KB file chunks, and only the 4 KB pages that
** were written reach the file (pwrite); everything else stays a hole of the sparse file.
*/
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "mkdump.h"

#if defined(_WIN32)
/* POSIX positional I/O over Win32 handles, and a sparse output file so that the holes of a
** multi-GB dump stay unallocated on NTFS as they do on Linux/macOS file systems. */
#  define WIN32_LEAN_AND_MEAN
#  include <windows.h>
#  include <winioctl.h>   /* FSCTL_SET_SPARSE */
#  include <io.h>         /* _open, _get_osfhandle, _chsize_s */
typedef long long mk_off_t;
typedef long long mk_ssize_t;
static int mk_open_out(const char *path)
{
    int fd = _open(path, _O_RDWR | _O_CREAT | _O_TRUNC | _O_BINARY, _S_IREAD | _S_IWRITE);
    DWORD got;
    if (fd >= 0)
        DeviceIoControl((HANDLE)_get_osfhandle(fd), FSCTL_SET_SPARSE, NULL, 0, NULL, 0, &got, NULL);
    return fd;
}
static int mk_truncate(int fd, mk_off_t size) { return _chsize_s(fd, size) == 0 ? 0 : -1; }
static mk_ssize_t mk_pio(int fd, void *p, size_t n, mk_off_t off, int write)
{
    OVERLAPPED o;
    DWORD done = 0;
    BOOL ok;
    memset(&o, 0, sizeof o);
    o.Offset = (DWORD)off;
    o.OffsetHigh = (DWORD)((unsigned long long)off >> 32);
    if (n > 0x40000000u) n = 0x40000000u;
    ok = write ? WriteFile((HANDLE)_get_osfhandle(fd), p, (DWORD)n, &done, &o)
               : ReadFile((HANDLE)_get_osfhandle(fd), p, (DWORD)n, &done, &o);
    if (!ok) {
        if (!write && GetLastError() == ERROR_HANDLE_EOF) return 0;
        errno = EIO;
        return -1;
    }
    return (mk_ssize_t)done;
}
#  define pwrite(fd, p, n, off) mk_pio((fd), (void *)(p), (n), (off), 1)
#  define pread(fd, p, n, off) mk_pio((fd), (p), (n), (off), 0)
#else
#  include <unistd.h>     /* pread, pwrite, ftruncate */
typedef off_t mk_off_t;
typedef ssize_t mk_ssize_t;
static int mk_open_out(const char *path) { return open(path, O_RDWR | O_CREAT | O_TRUNC, 0644); }
static int mk_truncate(int fd, mk_off_t size) { return ftruncate(fd, size); }
#endif

#define CH_SHIFT 16
#define CH_SIZE (1u << CH_SHIFT)
#define CH_PAGES (CH_SIZE / PAGE)
#define NSLOT 1024   /* 64 MB of cache */

typedef struct resv { u64 base, end; } resv;
typedef struct crange { u64 base, size, off; } crange;
typedef struct excl { u64 addr, n; } excl;
typedef struct chunk { u64 idx; u8 *data; u32 dirty; } chunk;

struct vm {
    VEC(resv) res;
    VEC(region) regs;    /* from the planning pass: the file layout is computed from these */
    VEC(region) regs2;   /* the same regions again from the writing pass (must be identical) */
    VEC(excl) ex;
    u64 limit;
    int sorted;
    /* output */
    int fd, live, err;
    crange *cr;
    size_t ncr, last;
    chunk *ch;
    u8 *seen;        /* chunk was ever written to the file */
    u64 nchunks;
};

static const char *USAGE[U_COUNT] = {"Image", "Stack", "TEB", "PEB", "Heap", "Other", "<unknown>"};
const char *usage_name(int u) { return u >= 0 && u < U_COUNT ? USAGE[u] : "<unknown>"; }

vm *vm_new(void)
{
    vm *m = xcalloc(1, sizeof *m);
    m->fd = -1;
    return m;
}

void vm_free(vm *m)
{
    size_t i;
    if (!m) return;
    if (m->ch)
        for (i = 0; i < NSLOT; i++) free(m->ch[i].data);
    free(m->ch);
    free(m->seen);
    free(m->cr);
    VFREE(m->res);
    VFREE(m->regs);
    VFREE(m->regs2);
    VFREE(m->ex);
    free(m);
}

void vm_reset(vm *m, u64 limit)
{
    m->res.n = 0;
    m->limit = limit;
    if (m->live) {
        m->regs2.n = 0;
        return;
    }
    m->regs.n = 0;
    m->ex.n = 0;
    m->sorted = 0;
}

/* Index of the first reservation whose end is above addr. */
static size_t res_lower(const vm *m, u64 addr)
{
    size_t lo = 0, hi = m->res.n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (m->res.v[mid].end <= addr) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static void res_insert(vm *m, u64 base, u64 size)
{
    size_t i = res_lower(m, base);
    VGROW(m->res);
    memmove(&m->res.v[i + 1], &m->res.v[i], (m->res.n - i) * sizeof(resv));
    m->res.v[i].base = base;
    m->res.v[i].end = base + size;
    m->res.n++;
}

u64 vm_reserve(vm *m, u64 size, u64 hint, u64 align)
{
    u64 base;
    size_t i;
    if (align < ALLOC_GRAN) align = ALLOC_GRAN;
    size = ALIGN_UP(size, PAGE);
    base = ALIGN_UP(hint ? hint : ALLOC_GRAN, align);
    for (i = res_lower(m, base); i < m->res.n; i++) {
        if (base + size <= m->res.v[i].base) break;
        if (m->res.v[i].end > base) base = ALIGN_UP(m->res.v[i].end, align);
    }
    if (base + size > m->limit || base + size < base) return 0;
    res_insert(m, base, size);
    return base;
}

int vm_reserve_at(vm *m, u64 base, u64 size)
{
    size_t i;
    size = ALIGN_UP(size, PAGE);
    if (base + size > m->limit) return 0;
    i = res_lower(m, base);
    if (i < m->res.n && m->res.v[i].base < base + size) return 0;
    res_insert(m, base, size);
    return 1;
}

region *vm_region(vm *m, u64 base, u64 size, u64 alloc_base, u32 state, u32 protect, u32 type, int usage)
{
    region r;
    memset(&r, 0, sizeof r);
    if (!size) die("internal: empty region at 0x%llx", (unsigned long long)base);
    if ((base | size) & (PAGE - 1)) die("internal: region 0x%llx+0x%llx not page aligned", (unsigned long long)base, (unsigned long long)size);
    r.base = base;
    r.size = size;
    r.alloc_base = alloc_base;
    r.alloc_protect = type == MEM_IMAGE ? PAGE_EXECUTE_WRITECOPY : PAGE_READWRITE;
    if (type == MEM_PRIVATE && (protect == PAGE_EXECUTE_READ || protect == PAGE_EXECUTE_READWRITE))
        r.alloc_protect = PAGE_EXECUTE_READWRITE;
    r.state = state;
    r.protect = state == MEM_COMMIT ? protect : 0;
    r.type = type;
    r.usage = usage;
    if (m->live) {
        VPUSH(m->regs2, r);
        return &m->regs2.v[m->regs2.n - 1];
    }
    VPUSH(m->regs, r);
    m->sorted = 0;
    return &m->regs.v[m->regs.n - 1];
}

void vm_uncapture(vm *m, u64 addr, u64 n)
{
    excl e;
    if (m->live) return;   /* applied by vm_layout after the planning pass */
    e.addr = addr;
    e.n = n;
    VPUSH(m->ex, e);
}

size_t vm_region_count(const vm *m) { return m->regs.n; }
region *vm_region_at(vm *m, size_t i) { return &m->regs.v[i]; }

static int cmp_region(const void *a, const void *b)
{
    const region *x = a, *y = b;
    return x->base < y->base ? -1 : x->base > y->base;
}

u64 vm_layout(vm *m, u64 data_off)
{
    size_t i, k;
    u64 off = data_off;
    qsort(m->regs.v, m->regs.n, sizeof(region), cmp_region);
    m->sorted = 1;
    for (i = 0; i < m->regs.n; i++) {
        region *r = &m->regs.v[i];
        if (i && m->regs.v[i - 1].base + m->regs.v[i - 1].size > r->base)
            die("internal: regions overlap at 0x%llx", (unsigned long long)r->base);
        r->cap_size = 0;
        r->file_off = 0;
        if (r->state != MEM_COMMIT || (r->protect & (PAGE_GUARD | PAGE_NOACCESS))) continue;
        r->cap_size = r->size;
        for (k = 0; k < m->ex.n; k++) {
            const excl *e = &m->ex.v[k];
            if (e->addr + e->n <= r->base || e->addr >= r->base + r->cap_size) continue;
            r->cap_size = e->addr > r->base ? e->addr - r->base : 0;
        }
        if (r->cap_size) {
            r->file_off = off;
            off += r->cap_size;
        }
    }
    return off - data_off;
}

/* ---- output ------------------------------------------------------------------------------------ */

int vm_open_output(vm *m, const char *path, u64 file_size)
{
    size_t i, n = 0;
    if (!m->sorted) vm_layout(m, 0);
    m->fd = mk_open_out(path);
    if (m->fd < 0) return -1;
    if (mk_truncate(m->fd, (mk_off_t)file_size) != 0) return -1;
    free(m->cr);
    m->cr = xcalloc(m->regs.n + 1, sizeof(crange));
    for (i = 0; i < m->regs.n; i++) {
        const region *r = &m->regs.v[i];
        if (!r->cap_size) continue;
        m->cr[n].base = r->base;
        m->cr[n].size = r->cap_size;
        m->cr[n].off = r->file_off;
        n++;
    }
    m->ncr = n;
    m->last = 0;
    m->ch = xcalloc(NSLOT, sizeof(chunk));
    for (i = 0; i < NSLOT; i++) m->ch[i].idx = UINT64_MAX;
    m->nchunks = (file_size >> CH_SHIFT) + 1;
    m->seen = xcalloc((size_t)(m->nchunks / 8 + 1), 1);
    m->live = 1;
    return 0;
}

int vm_live(const vm *m) { return m->live; }

static void pwrite_all(vm *m, const u8 *p, size_t n, u64 off)
{
    while (n) {
        mk_ssize_t w = pwrite(m->fd, p, n, (mk_off_t)off);
        if (w < 0) {
            if (errno == EINTR) continue;
            m->err = errno;
            return;
        }
        p += w;
        n -= (size_t)w;
        off += (u64)w;
    }
}

static void flush_chunk(vm *m, chunk *c)
{
    unsigned i = 0;
    if (c->idx == UINT64_MAX || !c->dirty) return;
    while (i < CH_PAGES) {
        unsigned j = i;
        if (!(c->dirty & (1u << i))) {
            i++;
            continue;
        }
        while (j < CH_PAGES && (c->dirty & (1u << j))) j++;
        pwrite_all(m, c->data + i * PAGE, (size_t)(j - i) * PAGE, (c->idx << CH_SHIFT) + (u64)i * PAGE);
        i = j;
    }
    m->seen[c->idx / 8] |= (u8)(1u << (c->idx % 8));
    c->dirty = 0;
}

static chunk *get_chunk(vm *m, u64 idx)
{
    chunk *c = &m->ch[(idx * 0x9E3779B1u) % NSLOT];
    if (c->idx == idx) return c;
    flush_chunk(m, c);
    if (!c->data) c->data = xmalloc(CH_SIZE);
    c->idx = idx;
    c->dirty = 0;
    if (idx < m->nchunks && (m->seen[idx / 8] & (1u << (idx % 8)))) {
        size_t got = 0;
        while (got < CH_SIZE) {
            mk_ssize_t r = pread(m->fd, c->data + got, CH_SIZE - got, (mk_off_t)((idx << CH_SHIFT) + got));
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) break;
            got += (size_t)r;
        }
        if (got < CH_SIZE) memset(c->data + got, 0, CH_SIZE - got);
    } else {
        memset(c->data, 0, CH_SIZE);
    }
    return c;
}

/* Write or read through the cache at a file offset. */
static void cache_io(vm *m, u64 off, u8 *p, size_t n, int wr, int fill, u8 byte)
{
    while (n) {
        chunk *c = get_chunk(m, off >> CH_SHIFT);
        u32 o = (u32)(off & (CH_SIZE - 1));
        size_t k = CH_SIZE - o < n ? CH_SIZE - o : n;
        if (wr) {
            u32 p0 = o / PAGE, p1 = (u32)((o + k - 1) / PAGE), b;
            if (fill) memset(c->data + o, byte, k);
            else memcpy(c->data + o, p, k);
            for (b = p0; b <= p1; b++) c->dirty |= 1u << b;
        } else {
            memcpy(p, c->data + o, k);
        }
        if (p) p += k;
        off += k;
        n -= k;
    }
}

static const crange *find_range(vm *m, u64 addr)
{
    size_t lo = 0, hi = m->ncr;
    if (m->last < m->ncr && addr - m->cr[m->last].base < m->cr[m->last].size) return &m->cr[m->last];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (m->cr[mid].base + m->cr[mid].size <= addr) lo = mid + 1;
        else hi = mid;
    }
    if (lo < m->ncr && m->cr[lo].base <= addr) {
        m->last = lo;
        return &m->cr[lo];
    }
    return NULL;
}

static const region *find_region(const vm *m, u64 addr)
{
    size_t lo = 0, hi = m->regs.n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (m->regs.v[mid].base + m->regs.v[mid].size <= addr) lo = mid + 1;
        else hi = mid;
    }
    if (lo < m->regs.n && m->regs.v[lo].base <= addr) return &m->regs.v[lo];
    return NULL;
}

int vm_captured(vm *m, u64 addr)
{
    if (!m->sorted) return 0;
    if (!m->cr) {
        const region *r = find_region(m, addr);
        return r && addr - r->base < r->cap_size;
    }
    return find_range(m, addr) != NULL;
}

static void mem_io(vm *m, u64 addr, u8 *p, u64 n, int wr, int fill, u8 byte)
{
    while (n) {
        const crange *c = find_range(m, addr);
        u64 k;
        if (!c) {
            /* Not captured: fine for committed memory a corruption leaves out of the dump; a
            ** write anywhere else is a generator bug. */
            const region *r = find_region(m, addr);
            if (!r || r->state != MEM_COMMIT)
                die("internal: write to 0x%llx, which is not committed memory", (unsigned long long)addr);
            k = r->base + r->size - addr;
            if (k > n) k = n;
            if (!wr && p) memset(p, 0, (size_t)k);
        } else {
            k = c->base + c->size - addr;
            if (k > n) k = n;
            cache_io(m, c->off + (addr - c->base), p, (size_t)k, wr, fill, byte);
        }
        if (p) p += k;
        addr += k;
        n -= k;
    }
}

void vm_write(vm *m, u64 addr, const void *p, size_t n)
{
    if (!m->live || !n) return;
    mem_io(m, addr, (u8 *)(uintptr_t)p, n, 1, 0, 0);
}

void vm_fill(vm *m, u64 addr, u8 byte, u64 n)
{
    if (!m->live || !n) return;
    mem_io(m, addr, NULL, n, 1, 1, byte);
}

void vm_read(vm *m, u64 addr, void *p, size_t n)
{
    if (!m->live) {
        memset(p, 0, n);
        return;
    }
    mem_io(m, addr, p, n, 0, 0, 0);
}

void vm_file_write(vm *m, u64 off, const void *p, size_t n)
{
    if (!m->live) return;
    pwrite_all(m, p, n, off);
}

int vm_replay_ok(vm *m)
{
    size_t i;
    if (m->regs2.n != m->regs.n) return 0;
    qsort(m->regs2.v, m->regs2.n, sizeof(region), cmp_region);
    for (i = 0; i < m->regs.n; i++) {
        const region *a = &m->regs.v[i], *b = &m->regs2.v[i];
        if (a->base != b->base || a->size != b->size || a->state != b->state || a->protect != b->protect ||
            a->type != b->type || a->usage != b->usage || a->alloc_base != b->alloc_base)
            return 0;
    }
    return 1;
}

int vm_close_output(vm *m)
{
    size_t i;
    int rc;
    if (m->fd < 0) return 0;
    for (i = 0; i < NSLOT; i++) flush_chunk(m, &m->ch[i]);
    rc = m->err ? -1 : 0;
    if (close(m->fd) != 0) rc = -1;
    m->fd = -1;
    m->live = 0;
    return rc;
}

void put16(u8 *p, u16 v) { p[0] = (u8)v; p[1] = (u8)(v >> 8); }
void put32(u8 *p, u32 v) { put16(p, (u16)v); put16(p + 2, (u16)(v >> 16)); }
void put64(u8 *p, u64 v) { put32(p, (u32)v); put32(p + 4, (u32)(v >> 32)); }

void w8(vm *m, u64 a, u8 v) { vm_write(m, a, &v, 1); }
void w16(vm *m, u64 a, u16 v) { u8 b[2]; put16(b, v); vm_write(m, a, b, 2); }
void w32(vm *m, u64 a, u32 v) { u8 b[4]; put32(b, v); vm_write(m, a, b, 4); }
void w64(vm *m, u64 a, u64 v) { u8 b[8]; put64(b, v); vm_write(m, a, b, 8); }
void wptr(vm *m, int ptr, u64 a, u64 v)
{
    if (ptr == 8) w64(m, a, v);
    else w32(m, a, (u32)v);
}

u32 r32(vm *m, u64 a)
{
    u8 b[4];
    vm_read(m, a, b, 4);
    return (u32)b[0] | (u32)b[1] << 8 | (u32)b[2] << 16 | (u32)b[3] << 24;
}
