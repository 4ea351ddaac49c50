// Read-only file mappings that survive the file being truncated under them. A plain mapping of a
// file that another program truncates kills the reader with SIGBUS the next time it touches a lost
// page; the `.nnf` reader's in-place loading (spec/nnf.md, "Reading") maps model files, so every
// mapping made here is registered with one process-wide SIGBUS handler that puts zero pages where
// the file's pages went, marks the mapping damaged and lets the read finish. The Swift owner
// (`MappedFile` in Format) checks the mark and reports an error instead of using the zeros.
#ifndef NNKIT_FILE_MAP_H
#define NNKIT_FILE_MAP_H
#include <stddef.h>

/// Maps the first `length` (> 0) bytes of the open file `fd` read-only and private, populating
/// the page tables (MAP_POPULATE), and registers the range with the SIGBUS guard (installed on the
/// first call; a SIGBUS outside every registered range goes to the handler that was there before,
/// or ends the process as it would have).
/// Returns the mapping's address and stores its guard slot in `*slot`, or returns NULL with errno
/// set: the mmap(2) error, EMFILE when 256 mappings are registered already, or the sigaction(2)
/// error when the guard cannot be installed.
void *nnkit_file_map(int fd, size_t length, int *slot);

/// Unregisters and unmaps a mapping that `nnkit_file_map` returned (same `length` and `slot`).
void nnkit_file_unmap(void *base, size_t length, int slot);

/// 1 when a read inside the mapping of `slot` touched a page the file no longer had (it was
/// truncated after mapping) and the guard put zeros there; 0 otherwise. One atomic load.
int nnkit_file_map_damaged(int slot);

/// Test hook: the number of SIGBUS signals the guard has turned into zero pages in this process.
unsigned long nnkit_file_map_repairs(void);

#endif
