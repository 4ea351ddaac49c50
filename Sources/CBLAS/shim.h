// OpenBLAS' CBLAS interface for Swift. Only Runtime's GEMM wrapper imports this module.
#ifndef NNKIT_CBLAS_SHIM_H
#define NNKIT_CBLAS_SHIM_H
#include <cblas.h>
#include <dlfcn.h>

/// Stops OpenBLAS' worker threads if this OpenBLAS has them (its pthread build starts them when
/// the library loads and each spins on sched_yield for ~0.1 s of CPU before sleeping, which steals
/// a core from the caller's own threads). Looked up at run time because `blas_thread_shutdown_` is
/// exported but not declared in cblas.h; a no-op for builds without it. OpenBLAS restarts the
/// threads by itself if a later call asks for more than one.
static inline void nnkit_openblas_stop_worker_threads(void) {
    void (*shutdown)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "blas_thread_shutdown_");
    if (shutdown) shutdown();
}
#endif
