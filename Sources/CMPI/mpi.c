// See include/nnkit_mpi.h. Symbols are looked up once, under a lock, by nnkit_mpi_load.
#include "nnkit_mpi.h"
#include "mpi_abi.h"
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;
static int loaded;
static nnkit_mpi_init_thread_fn p_init_thread;
static nnkit_mpi_initialized_fn p_initialized;
static nnkit_mpi_comm_rank_fn p_comm_rank;
static nnkit_mpi_comm_size_fn p_comm_size;
static nnkit_mpi_comm_set_errhandler_fn p_set_errhandler;
static nnkit_mpi_allreduce_fn p_allreduce;
static nnkit_mpi_iallreduce_fn p_iallreduce;
static nnkit_mpi_waitall_fn p_waitall;
static nnkit_mpi_error_string_fn p_error_string;
static nnkit_mpi_finalize_fn p_finalize;
static nnkit_mpi_abort_fn p_abort;
static nnkit_mpi_alltoallv_fn p_alltoallv;
// Predefined handles: addresses of Open MPI's global objects.
static void *comm_world, *type_byte, *type_float, *type_double, *type_uint64, *op_sum, *op_min, *op_max, *errors_return;

int nnkit_mpi_load(char *error, size_t error_size) {
    pthread_mutex_lock(&load_lock);
    if (loaded) { pthread_mutex_unlock(&load_lock); return 0; }
    const char *path = getenv("NNKIT_MPI_LIBRARY");
    if (!path || !*path) path = "libmpi.so.40";
    // RTLD_GLOBAL: Open MPI's components (dlopened by libmpi itself) resolve libmpi's symbols globally.
    void *lib = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    if (!lib) {
        snprintf(error, error_size, "cannot load Open MPI (%s): %s", path, dlerror());
        pthread_mutex_unlock(&load_lock);
        return -1;
    }
    struct { const char *name; void **slot; } symbols[] = {
        {"MPI_Init_thread", (void **)&p_init_thread}, {"MPI_Initialized", (void **)&p_initialized},
        {"MPI_Comm_rank", (void **)&p_comm_rank}, {"MPI_Comm_size", (void **)&p_comm_size},
        {"MPI_Comm_set_errhandler", (void **)&p_set_errhandler}, {"MPI_Allreduce", (void **)&p_allreduce},
        {"MPI_Iallreduce", (void **)&p_iallreduce}, {"MPI_Waitall", (void **)&p_waitall},
        {"MPI_Error_string", (void **)&p_error_string}, {"MPI_Finalize", (void **)&p_finalize},
        {"MPI_Abort", (void **)&p_abort}, {"MPI_Alltoallv", (void **)&p_alltoallv},
        {"ompi_mpi_comm_world", &comm_world}, {"ompi_mpi_byte", &type_byte}, {"ompi_mpi_float", &type_float}, {"ompi_mpi_double", &type_double},
        {"ompi_mpi_uint64_t", &type_uint64}, {"ompi_mpi_op_sum", &op_sum}, {"ompi_mpi_op_min", &op_min},
        {"ompi_mpi_op_max", &op_max}, {"ompi_mpi_errors_return", &errors_return},
    };
    for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
        void *s = dlsym(lib, symbols[i].name);
        if (!s) {
            snprintf(error, error_size, "%s is not Open MPI (libmpi.so.40): it has no symbol %s", path, symbols[i].name);
            pthread_mutex_unlock(&load_lock);
            return -1;
        }
        *symbols[i].slot = s;
    }
    loaded = 1;
    pthread_mutex_unlock(&load_lock);
    return 0;
}

int nnkit_mpi_init(void) {
    int flag = 0, provided = 0;
    int rc = p_initialized(&flag);
    if (rc != NNKIT_MPI_SUCCESS) return rc;
    if (!flag) {
        rc = p_init_thread(NULL, NULL, NNKIT_MPI_THREAD_FUNNELED, &provided);
        if (rc != NNKIT_MPI_SUCCESS) return rc;
    }
    return p_set_errhandler(comm_world, errors_return);
}

int nnkit_mpi_rank_and_size(int *rank, int *size) {
    int rc = p_comm_rank(comm_world, rank);
    return rc != NNKIT_MPI_SUCCESS ? rc : p_comm_size(comm_world, size);
}

// MARK: - Watchdog

static _Atomic long long call_started_ns;   // 0: no collective running
// What the running collective is, copied in (the caller's string lives only for the call); the
// watchdog may read it while the next call rewrites it, which can garble its line but never crash.
static char call_what[200];
static _Atomic long long timeout_ns;
static int watchdog_rank;
static pthread_t watchdog_thread;
static int watchdog_running;

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void *watchdog(void *unused) {
    (void)unused;
    for (;;) {
        struct timespec tick = {0, 100 * 1000 * 1000};
        nanosleep(&tick, NULL);
        long long started = atomic_load(&call_started_ns), limit = atomic_load(&timeout_ns);
        if (started == 0 || now_ns() - started <= limit) continue;
        char what[sizeof call_what];
        memcpy(what, call_what, sizeof what);
        what[sizeof what - 1] = 0;
        char line[512];
        int n = snprintf(line, sizeof line,
                         "nnrun: rank %d: %s waited %.0f s for the other ranks (the collective timeout, --collective-timeout); "
                         "another rank has stopped, hung or lost its connection; ending the job (exit 6)\n",
                         watchdog_rank, what[0] ? what : "a collective", (double)limit / 1e9);
        if (n > 0) { ssize_t w = write(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1); (void)w; }
        _exit(6);
    }
    return NULL;
}

int nnkit_mpi_set_timeout(double seconds, int rank) {
    atomic_store(&timeout_ns, (long long)(seconds * 1e9));
    watchdog_rank = rank;
    if (watchdog_running) return 0;
    int rc = pthread_create(&watchdog_thread, NULL, watchdog, NULL);
    if (rc == 0) { pthread_detach(watchdog_thread); watchdog_running = 1; }
    return rc;
}

static void begin(const char *what) {
    snprintf(call_what, sizeof call_what, "%s", what ? what : "");
    atomic_store(&call_started_ns, now_ns());
}
static void end(void) { atomic_store(&call_started_ns, 0); }

// MARK: - Collectives

int nnkit_mpi_sum_doubles(double *values, int count, const char *what) {
    begin(what);
    int rc = p_allreduce(NNKIT_MPI_IN_PLACE, values, count, type_double, op_sum, comm_world);
    end();
    return rc;
}

int nnkit_mpi_sum_float_arrays_and_doubles(float *const *arrays, const int *counts, int array_count,
                                            double *doubles, int double_count, const char *what) {
    void *stack[33], **requests = array_count < 33 ? stack : malloc(sizeof(void *) * (size_t)(array_count + 1));
    if (!requests) return -1;
    int started = 0, rc = NNKIT_MPI_SUCCESS;
    begin(what);
    for (int i = 0; i < array_count && rc == NNKIT_MPI_SUCCESS; i++) {
        if (counts[i] == 0) continue;
        rc = p_iallreduce(NNKIT_MPI_IN_PLACE, arrays[i], counts[i], type_float, op_sum, comm_world, &requests[started]);
        if (rc == NNKIT_MPI_SUCCESS) started++;
    }
    if (rc == NNKIT_MPI_SUCCESS) {
        rc = p_iallreduce(NNKIT_MPI_IN_PLACE, doubles, double_count, type_double, op_sum, comm_world, &requests[started]);
        if (rc == NNKIT_MPI_SUCCESS) started++;
    }
    int wait = started > 0 ? p_waitall(started, requests, NNKIT_MPI_STATUSES_IGNORE) : NNKIT_MPI_SUCCESS;
    if (rc == NNKIT_MPI_SUCCESS) rc = wait;
    end();
    if (requests != stack) free(requests);
    return rc;
}

int nnkit_mpi_min_max_u64(const uint64_t *values, uint64_t *min, uint64_t *max, int count, const char *what) {
    begin(what);
    int rc = p_allreduce(values, min, count, type_uint64, op_min, comm_world);
    if (rc == NNKIT_MPI_SUCCESS) rc = p_allreduce(values, max, count, type_uint64, op_max, comm_world);
    end();
    return rc;
}

int nnkit_mpi_alltoallv_bytes(const void *send, const int *send_counts, const int *send_displacements,
                               void *receive, const int *receive_counts, const int *receive_displacements, const char *what) {
    begin(what);
    int rc = p_alltoallv(send, send_counts, send_displacements, type_byte, receive, receive_counts, receive_displacements,
                         type_byte, comm_world);
    end();
    return rc;
}

void nnkit_mpi_error_text(int code, char *text, size_t size) {
    char buffer[NNKIT_MPI_MAX_ERROR_STRING + 1] = {0};
    int length = 0;
    if (!p_error_string || p_error_string(code, buffer, &length) != NNKIT_MPI_SUCCESS) snprintf(buffer, sizeof buffer, "MPI error %d", code);
    snprintf(text, size, "%s", buffer);
}

int nnkit_mpi_finalize(void) { return p_finalize ? p_finalize() : 0; }

void nnkit_mpi_abort(int code) { if (p_abort) p_abort(comm_world, code); _exit(code); }
