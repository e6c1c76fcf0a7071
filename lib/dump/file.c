/*
** file.c - map a dump file read-only.  POSIX mmap here; a Windows build would use
** CreateFileMapping/MapViewOfFile behind the same two functions (file_map / file_unmap).
** Captured memory is never copied: every read of process memory points into this mapping.
*/
#include <stdlib.h>
#include "../core.h"
#include "dump_int.h"

#if defined(_WIN32)
#  include <stdio.h>
/* Portable fallback: read the whole file.  Keeps the Windows build working until a
** MapViewOfFile shim is written; correct, only slower for multi-GB dumps. */
hd_err file_map(const char *path, const uint8_t **base, uint64_t *size, void **cookie)
{
    FILE *f = fopen(path, "rb");
    long n;
    uint8_t *buf;
    if (!f) return HD_EIO;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return HD_EIO;
    }
    buf = malloc(n ? (size_t)n : 1);
    if (!buf) { fclose(f); return HD_ENOMEM; }
    if (n && fread(buf, 1, (size_t)n, f) != (size_t)n) { free(buf); fclose(f); return HD_EIO; }
    fclose(f);
    *base = buf;
    *size = (uint64_t)n;
    *cookie = buf;
    return HD_OK;
}
void file_unmap(const uint8_t *base, uint64_t size, void *cookie)
{
    (void)base; (void)size;
    free(cookie);
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
