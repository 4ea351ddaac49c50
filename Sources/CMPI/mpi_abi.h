// The Open MPI functions nnkit calls, as C function-pointer types. Handles are pointers in Open MPI's
// ABI; they are `void *` here unless the includer defines the NNKIT_MPI_* macros to the real types
// (fixtures/mpi/abi_check.c does, with mpi.h, so that the compiler compares each signature).
#ifndef NNKIT_MPI_ABI_H
#define NNKIT_MPI_ABI_H
#ifndef NNKIT_MPI_COMM
#define NNKIT_MPI_COMM void *
#define NNKIT_MPI_DATATYPE void *
#define NNKIT_MPI_OP void *
#define NNKIT_MPI_ERRHANDLER void *
#define NNKIT_MPI_REQUEST void *
#define NNKIT_MPI_STATUS void
#endif
typedef int (*nnkit_mpi_init_thread_fn)(int *argc, char ***argv, int required, int *provided);
typedef int (*nnkit_mpi_initialized_fn)(int *flag);
typedef int (*nnkit_mpi_comm_rank_fn)(NNKIT_MPI_COMM comm, int *rank);
typedef int (*nnkit_mpi_comm_size_fn)(NNKIT_MPI_COMM comm, int *size);
typedef int (*nnkit_mpi_comm_set_errhandler_fn)(NNKIT_MPI_COMM comm, NNKIT_MPI_ERRHANDLER errhandler);
typedef int (*nnkit_mpi_allreduce_fn)(const void *sendbuf, void *recvbuf, int count, NNKIT_MPI_DATATYPE datatype,
                                      NNKIT_MPI_OP op, NNKIT_MPI_COMM comm);
typedef int (*nnkit_mpi_iallreduce_fn)(const void *sendbuf, void *recvbuf, int count, NNKIT_MPI_DATATYPE datatype,
                                       NNKIT_MPI_OP op, NNKIT_MPI_COMM comm, NNKIT_MPI_REQUEST *request);
typedef int (*nnkit_mpi_waitall_fn)(int count, NNKIT_MPI_REQUEST requests[], NNKIT_MPI_STATUS *statuses);
typedef int (*nnkit_mpi_error_string_fn)(int errorcode, char *string, int *resultlen);
typedef int (*nnkit_mpi_finalize_fn)(void);
typedef int (*nnkit_mpi_abort_fn)(NNKIT_MPI_COMM comm, int errorcode);
typedef int (*nnkit_mpi_alltoallv_fn)(const void *sendbuf, const int sendcounts[], const int sdispls[], NNKIT_MPI_DATATYPE sendtype,
                                      void *recvbuf, const int recvcounts[], const int rdispls[], NNKIT_MPI_DATATYPE recvtype,
                                      NNKIT_MPI_COMM comm);

/// Open MPI's values of the constants nnkit passes (checked against mpi.h by abi_check.c).
#define NNKIT_MPI_SUCCESS 0
#define NNKIT_MPI_THREAD_FUNNELED 1
#define NNKIT_MPI_IN_PLACE ((void *)1)
#define NNKIT_MPI_STATUSES_IGNORE ((void *)0)
#define NNKIT_MPI_MAX_ERROR_STRING 256
#endif
