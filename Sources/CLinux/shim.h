#ifndef NNKIT_CLINUX_SHIM_H
#define NNKIT_CLINUX_SHIM_H
// Linux calls Swift cannot import: prctl(2) is variadic.
#ifdef __linux__
#include <sys/prctl.h>
#include <signal.h>

/// prctl(PR_SET_PDEATHSIG, sig): the kernel sends `sig` to this process when the thread that
/// created it exits (for nnkit's import child: when the parent process dies, even by SIGKILL).
static inline int nnkit_set_parent_death_signal(int sig) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)sig, 0UL, 0UL, 0UL);
}
#else
static inline int nnkit_set_parent_death_signal(int sig) { (void)sig; return -1; }
#endif
#endif
