/*
** file.c - map a dump file read-only: POSIX mmap, or CreateFileMapping/MapViewOfFile on Windows,
** behind the same two functions (file_map / file_unmap).
** Captured memory is never copied: every read of process memory points into this mapping.
*/
#include <stdlib.h>
#include "../core.h"
#include "dump_int.h"

#if defined(_WIN32)
#  define WIN32_LEAN_AND_MEAN
#  include <windows.h>    /* CreateFileW, CreateFileMappingW, MapViewOfFile */

typedef struct win_map { HANDLE file, mapping; void *view; } win_map;

/* A non-NULL cookie for an empty file (nothing is mapped: a zero-length mapping is an error). */
static win_map empty_cookie;

hd_err file_map(const char *path, const uint8_t **base, uint64_t *size, void **cookie)
{
    int n = MultiByteToWideChar(CP_UTF8, 0, path, -1, NULL, 0);
    wchar_t *wpath;
    win_map *w;
    LARGE_INTEGER sz;
    if (n <= 0 || !(wpath = malloc((size_t)n * sizeof *wpath))) return HD_EIO;
    MultiByteToWideChar(CP_UTF8, 0, path, -1, wpath, n);
    w = calloc(1, sizeof *w);
    if (!w) { free(wpath); return HD_ENOMEM; }
    w->file = CreateFileW(wpath, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_DELETE, NULL,
                          OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    free(wpath);
    if (w->file == INVALID_HANDLE_VALUE || !GetFileSizeEx(w->file, &sz)) goto fail;
    if (sz.QuadPart == 0) {
        CloseHandle(w->file);
        free(w);
        *base = (const uint8_t *)"";
        *size = 0;
        *cookie = &empty_cookie;
        return HD_OK;
    }
    if ((uint64_t)sz.QuadPart > (uint64_t)SIZE_MAX) { CloseHandle(w->file); free(w); return HD_ELIMIT; }
    w->mapping = CreateFileMappingW(w->file, NULL, PAGE_READONLY, 0, 0, NULL);
    if (!w->mapping) goto fail;
    w->view = MapViewOfFile(w->mapping, FILE_MAP_READ, 0, 0, 0);
    if (!w->view) goto fail;
    *base = w->view;
    *size = (uint64_t)sz.QuadPart;
    *cookie = w;
    return HD_OK;
fail:
    if (w->mapping) CloseHandle(w->mapping);
    if (w->file != INVALID_HANDLE_VALUE) CloseHandle(w->file);
    free(w);
    return HD_EIO;
}

void file_unmap(const uint8_t *base, uint64_t size, void *cookie)
{
    win_map *w = cookie;
    (void)base; (void)size;
    if (!w || w == &empty_cookie) return;
    UnmapViewOfFile(w->view);
    CloseHandle(w->mapping);
    CloseHandle(w->file);
    free(w);
}
#else
#  include <fcntl.h>      /* open */
#  include <sys/mman.h>   /* mmap */
#  include <sys/stat.h>   /* fstat */
#  include <unistd.h>     /* close */

/* A non-NULL cookie for an empty file (nothing is mapped). */
static char empty_cookie;

hd_err file_map(const char *path, const uint8_t **base, uint64_t *size, void **cookie)
{
    struct stat st;
    void *p;
    int fd = open(path, O_RDONLY);
    if (fd < 0) return HD_EIO;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return HD_EIO;
    }
    if (st.st_size == 0) {
        close(fd);
        *base = (const uint8_t *)"";
        *size = 0;
        *cookie = &empty_cookie;
        return HD_OK;
    }
    if ((uint64_t)st.st_size > (uint64_t)SIZE_MAX) {
        close(fd);
        return HD_ELIMIT;
    }
    p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED) return HD_EIO;
    *base = p;
    *size = (uint64_t)st.st_size;
    *cookie = p;
    return HD_OK;
}

void file_unmap(const uint8_t *base, uint64_t size, void *cookie)
{
    if (cookie && cookie != &empty_cookie) munmap((void *)(uintptr_t)base, (size_t)size);
}
#endif
