// Open MPI for nnkit's data-parallel training (`nnrun train --distributed`), loaded at run time.
//
// Only NNRunKit's MPI wrapper imports this module. Nothing here links libmpi: `nnkit_mpi_load`
// `dlopen`s it (libmpi.so.40, Open MPI 3.x-5.x, or the file NNKIT_MPI_LIBRARY names) the first time a
// command asks for MPI, so nnrun starts, predicts and trains on a machine without Open MPI, and a
// run without --distributed never initialises MPI. Open MPI's handles are the addresses of global
// objects (MPI_COMM_WORLD is `&ompi_mpi_comm_world`, MPI_FLOAT `&ompi_mpi_float`, MPI_SUM
// `&ompi_mpi_op_sum`), which are looked up with `dlsym` like the functions; `mpi_abi.h` lists the
// signatures, which fixtures/mpi/abi_check.c compiles against the real mpi.h in the tests.
//
// Every collective runs under a watchdog (`nnkit_mpi_set_timeout`): a call that has not returned after
// the timeout prints one line naming this rank and the call, and ends the process with status 6,
// after which mpirun ends the other ranks.
#ifndef NNKIT_MPI_H
#define NNKIT_MPI_H
#include <stddef.h>
#include <stdint.h>

/// Loads libmpi and every symbol below. 0 on success; otherwise -1 with a sentence in `error`.
/// Idempotent.
int nnkit_mpi_load(char *error, size_t error_size);

/// MPI_Init_thread(MPI_THREAD_FUNNELED) (only the main thread calls MPI), then MPI_ERRORS_RETURN on
/// MPI_COMM_WORLD so that failures come back as codes. 0 on success, else an MPI error code.
int nnkit_mpi_init(void);

/// This process's rank and the number of ranks in MPI_COMM_WORLD. 0 on success, else an MPI error code.
int nnkit_mpi_rank_and_size(int *rank, int *size);

/// The timeout of each collective in seconds (> 0) and the rank named in the watchdog's line.
/// Starts the watchdog thread on first call. 0 on success, else an errno value.
int nnkit_mpi_set_timeout(double seconds, int rank);

/// MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD) under the
/// watchdog; `what` names the call in the watchdog's line (its first 199 bytes).
/// 0 on success, else an MPI error code.
int nnkit_mpi_sum_doubles(double *values, int count, const char *what);

/// The element-wise sums over all ranks, in place, of each of the `array_count` float arrays
/// (`counts[i]` values each; MPI_FLOAT) and of `doubles` (MPI_DOUBLE), as one round: one
/// MPI_Iallreduce per array in flight, then MPI_Waitall (one wait for the slowest rank), under the
/// watchdog. Summing the gradient arrays where they are saves copying them into one buffer and back.
/// 0 on success, else an MPI error code (-1: out of memory).
int nnkit_mpi_sum_float_arrays_and_doubles(float *const *arrays, const int *counts, int array_count,
                                            double *doubles, int double_count, const char *what);

/// MPI_Allreduce of `count` unsigned 64-bit integers with MPI_MIN into `min` and MPI_MAX into `max`
/// (two calls, under the watchdog). 0 on success, else an MPI error code.
int nnkit_mpi_min_max_u64(const uint64_t *values, uint64_t *min, uint64_t *max, int count, const char *what);

/// MPI_Alltoallv of bytes (MPI_BYTE) on MPI_COMM_WORLD under the watchdog: this rank sends
/// `send_counts[q]` bytes from `send + send_displacements[q]` to rank q and receives
/// `receive_counts[q]` bytes from rank q at `receive + receive_displacements[q]` (every count and
/// displacement a C int, checked by the caller). 0 on success, else an MPI error code.
int nnkit_mpi_alltoallv_bytes(const void *send, const int *send_counts, const int *send_displacements,
                               void *receive, const int *receive_counts, const int *receive_displacements, const char *what);

/// MPI_Error_string into `text` (at least 64 bytes; truncated to `size`).
void nnkit_mpi_error_text(int code, char *text, size_t size);

/// MPI_Finalize. 0 on success.
int nnkit_mpi_finalize(void);

/// MPI_Abort(MPI_COMM_WORLD, code): ends every rank of the job.
void nnkit_mpi_abort(int code);
#endif
