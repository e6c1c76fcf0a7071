/*
** err.c - error names, version string and default limits.
*/
#include "heapdig.h"

const char *hd_strerror(hd_err e)
{
    switch (e) {
    case HD_OK: return "success";
    case HD_EIO: return "cannot read the file";
    case HD_ENOMEM: return "out of memory";
    case HD_EFORMAT: return "not a minidump";
    case HD_ETRUNC: return "truncated";
    case HD_ECORRUPT: return "corrupt structure";
    case HD_EUNMAPPED: return "memory not captured in the dump";
    case HD_ENOTFOUND: return "not found";
    case HD_EINVAL: return "invalid argument";
    case HD_ELIMIT: return "exceeds a configured limit";
    case HD_EUNSUPPORTED: return "not supported";
    }
    return "unknown error";
}

const char *hd_version(void) { return HD_VERSION_STRING; }

void hd_limits_default(hd_limits *lim)
{
    lim->max_streams = 4096;
    lim->max_ranges = (uint64_t)1 << 24;     /* 16 M ranges */
    lim->max_regions = (uint64_t)1 << 24;
    lim->max_threads = 1u << 20;
    lim->max_modules = 1u << 16;
    lim->max_heaps = 4096;
    lim->max_segments = 1u << 16;
    lim->max_list = (uint64_t)1 << 26;       /* 64 M list entries */
    lim->max_blocks = (uint64_t)1 << 32;
    lim->max_diags = 10000;
    lim->max_stack_depth = 256;
    lim->max_handles = 1u << 20;
}
