/*
** mdbuild.h - a tiny minidump writer for unit tests that need hand-placed bytes at chosen
** addresses (a PE image, a trace record, a corrupt structure).  It writes only the container
** (header, directory, SystemInfo, ModuleList, MemoryList, MemoryInfoList, ThreadList); what is
** inside the memory is the test's business.  The ground-truth generator for heaps is
** tools/mkdump; this is for small, surgical cases.
*/
#ifndef HD_MDBUILD_H
#define HD_MDBUILD_H

#include <stddef.h>
#include <stdint.h>

typedef struct mdw mdw;

/* arch: 9 = AMD64, 0 = x86 (PROCESSOR_ARCHITECTURE_*). */
mdw *mdw_new(uint16_t arch, uint32_t major, uint32_t minor, uint32_t build);
void mdw_free(mdw *b);
/* Captured memory at VA (bytes copied; may be NULL for LEN zero bytes). */
void mdw_memory(mdw *b, uint64_t va, const void *bytes, size_t len);
/* A module-list entry; guid may be NULL (no CodeView record). */
void mdw_module(mdw *b, uint64_t base, uint32_t size, const char *path, const uint8_t guid[16],
                uint32_t age, const char *pdb_name);
/* An UnloadedModuleList entry. */
void mdw_unloaded(mdw *b, uint64_t base, uint32_t size, const char *path);
/* A MemoryInfoList entry. */
void mdw_region(mdw *b, uint64_t base, uint64_t alloc_base, uint64_t size, uint32_t state,
                uint32_t protect, uint32_t type);
/* A thread with TEB and captured stack range (the stack bytes come from mdw_memory). */
void mdw_thread(mdw *b, uint32_t id, uint64_t teb, uint64_t stack_start, uint32_t stack_size);
/* Serialise; returns malloc'ed bytes (free()) and their length. */
uint8_t *mdw_finish(mdw *b, size_t *len);
/* Serialise into a file; 0 on success. */
int mdw_write(mdw *b, const char *path);

/* Map a PE file's bytes the way the loader would (headers, then each section's raw data at its
** VirtualAddress); returns malloc'ed SizeOfImage bytes, or NULL when the file is not a PE. */
uint8_t *mdw_map_pe(const uint8_t *file, size_t len, uint32_t *size_of_image);

#endif
