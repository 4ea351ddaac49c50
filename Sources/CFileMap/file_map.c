#define _GNU_SOURCE
#include "nnkit_file_map.h"
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

// One slot per live mapping. The handler reads the slots without locking (it may run on any
// thread, in the middle of anything), so a slot is published by storing `end` before `start`, and
// retired by clearing `start` before the range is unmapped. Registration itself takes a mutex.
enum { max_maps = 256 };
typedef struct {
    _Atomic uintptr_t start;  // 0: free
    _Atomic uintptr_t end;    // page-rounded end of the mapping
    atomic_int damaged;
} map_slot;

static map_slot slots[max_maps];
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t guard_once = PTHREAD_ONCE_INIT;
static int guard_error;  // errno of a failed installation, 0 when installed
static struct sigaction previous_action;
static uintptr_t page_size;
static atomic_ulong repairs;

// The handler reads and writes these without locks, so they must be lock-free atomics (a lock
// inside an atomic could be held by the very code the signal interrupted).
_Static_assert(ATOMIC_LONG_LOCK_FREE == 2 && sizeof(uintptr_t) == sizeof(long), "slot addresses need lock-free atomics");
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "damage marks need lock-free atomics");

// Replaces [page, end) with anonymous zero pages: mmap(MAP_FIXED) as a raw system call.
//
// Why a system call in a signal handler is sound here, although POSIX does not list mmap among
// the async-signal-safe functions: that list is about library functions, which may take locks or
// touch state the interrupted code holds half-changed (malloc's, stdio's). The system call itself
// takes only kernel locks, and the kernel holds none of them across the return to user space that
// delivers this signal: the page fault that raised SIGBUS has finished (mmap_lock released) before
// the handler runs on the faulting thread, so taking mmap_lock for writing here waits at most for
// other threads, never for itself. Calling the kernel directly (syscall(2), an assembly stub that
// only sets errno, saved and restored by the caller) keeps every user-space wrapper out of the
// handler: glibc's mmap is one too (a system call and errno), but musl's MAP_FIXED path first
// waits on a library lock, and sanitizers (TSan, ASan) put interceptors with their own state in
// front of mmap. Another thread reading the same range meanwhile sees the file's page, a zero page,
// or its own SIGBUS (handled the same way): the range past the end of file has nothing else to show.
static void *map_zeros(uintptr_t page, uintptr_t length) {
#ifdef SYS_mmap2
    // 32-bit ABIs: mmap2 takes the offset in pages (0 here); their SYS_mmap has another calling convention.
    long r = syscall(SYS_mmap2, (void *)page, (size_t)length, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0L);
#else
    long r = syscall(SYS_mmap, (void *)page, (size_t)length, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0L);
#endif
    return r == -1 ? MAP_FAILED : (void *)r;
}

// SIGBUS: when the faulting address lies in a registered mapping, the file has shrunk below it
// (a read-only private mapping faults with SIGBUS for nothing else). Everything from the faulting
// page to the end of the mapping is past the new end of file too, so one anonymous zero mapping
// replaces all of it (MAP_FIXED, map_zeros above), the slot is marked damaged, and returning re-runs
// the load, which now reads zeros. errno is preserved for the interrupted code. Besides map_zeros
// the handler uses only lock-free atomics, sigaction-installed handlers it chains to, signal() and
// raise() (both async-signal-safe).
static void on_sigbus(int sig, siginfo_t *info, void *context) {
    int saved_errno = errno;
    uintptr_t address = (uintptr_t)info->si_addr;
    if (info->si_code > 0) {  // raised by a fault, not sent by kill(2)
        for (int i = 0; i < max_maps; i++) {
            uintptr_t start = atomic_load(&slots[i].start);
            if (start == 0 || address < start) continue;
            uintptr_t end = atomic_load(&slots[i].end);
            if (address >= end) continue;
            uintptr_t page = address & ~(page_size - 1);
            void *zeros = map_zeros(page, end - page);
            if (zeros != MAP_FAILED) {
                atomic_store(&slots[i].damaged, 1);
                atomic_fetch_add(&repairs, 1);
                errno = saved_errno;
                return;
            }
            break;
        }
    }
    // Not one of ours: whoever handled SIGBUS before us decides.
    if (previous_action.sa_flags & SA_SIGINFO) {
        if (previous_action.sa_sigaction) {
            previous_action.sa_sigaction(sig, info, context);
            errno = saved_errno;
            return;
        }
    } else if (previous_action.sa_handler != SIG_DFL && previous_action.sa_handler != SIG_IGN) {
        previous_action.sa_handler(sig);
        errno = saved_errno;
        return;
    }
    // The default action: a fault happens again when the instruction re-runs, and ends the
    // process as it would have without this handler; a signal sent by kill is raised again.
    signal(SIGBUS, SIG_DFL);
    if (info->si_code <= 0) raise(SIGBUS);
    errno = saved_errno;
}

static void install_guard(void) {
    page_size = (uintptr_t)sysconf(_SC_PAGESIZE);
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_sigbus;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGBUS, &action, &previous_action) != 0) guard_error = errno ? errno : EINVAL;
}

void *nnkit_file_map(int fd, size_t length, int *slot) {
    if (length == 0) { errno = EINVAL; return NULL; }
    pthread_once(&guard_once, install_guard);
    if (guard_error != 0) { errno = guard_error; return NULL; }
    void *base = mmap(NULL, length, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (base == MAP_FAILED) return NULL;
    uintptr_t start = (uintptr_t)base;
    uintptr_t end = (start + length + page_size - 1) & ~(page_size - 1);
    pthread_mutex_lock(&slots_lock);
    for (int i = 0; i < max_maps; i++) {
        if (atomic_load(&slots[i].start) != 0) continue;
        atomic_store(&slots[i].damaged, 0);
        atomic_store(&slots[i].end, end);
        atomic_store(&slots[i].start, start);
        pthread_mutex_unlock(&slots_lock);
        *slot = i;
        return base;
    }
    pthread_mutex_unlock(&slots_lock);
    munmap(base, length);
    errno = EMFILE;
    return NULL;
}

void nnkit_file_unmap(void *base, size_t length, int slot) {
    pthread_mutex_lock(&slots_lock);
    if (slot >= 0 && slot < max_maps && atomic_load(&slots[slot].start) == (uintptr_t)base) atomic_store(&slots[slot].start, 0);
    pthread_mutex_unlock(&slots_lock);
    munmap(base, length);
}

int nnkit_file_map_damaged(int slot) {
    return slot >= 0 && slot < max_maps ? atomic_load(&slots[slot].damaged) : 0;
}

unsigned long nnkit_file_map_repairs(void) { return atomic_load(&repairs); }
