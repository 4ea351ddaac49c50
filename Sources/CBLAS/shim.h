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

/// 1 when this OpenBLAS was built with DYNAMIC_ARCH and has the kernel set `symbol`
/// (`gotoblas_SKYLAKEX`, …) and can re-select kernels in a running process (exports
/// `gotoblas_dynamic_init` and `gotoblas_dynamic_quit`); looked up at run time because none of
/// these is declared in cblas.h and single-architecture builds lack them.
static inline int nnkit_openblas_has_kernel_set(const char *symbol) {
    return dlsym(RTLD_DEFAULT, symbol) != NULL
        && dlsym(RTLD_DEFAULT, "gotoblas_dynamic_init") != NULL
        && dlsym(RTLD_DEFAULT, "gotoblas_dynamic_quit") != NULL;
}

/// Re-runs OpenBLAS' kernel selection, which reads `OPENBLAS_CORETYPE` (set it first): forgets
/// the current kernel table (`gotoblas_dynamic_quit`) and selects again (`gotoblas_dynamic_init`).
/// Only valid when `nnkit_openblas_has_kernel_set` returned 1 for the kernel named in the
/// variable (OpenBLAS exits the process when the name is unknown), and only while no other
/// thread is inside OpenBLAS. Returns 0 when the functions are missing.
static inline int nnkit_openblas_reselect_kernels(void) {
    void (*quit)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "gotoblas_dynamic_quit");
    void (*init)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "gotoblas_dynamic_init");
    if (!quit || !init) return 0;
    quit();
    init();
    return 1;
}
#endif
