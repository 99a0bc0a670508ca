// Open MPI, loaded at run time. Swift cannot import MPI's handles (they are C macros that take
// the address of library globals), and Descent must build where MPI is not installed, so this
// shim opens libmpi with dlopen, looks the functions and the handles' globals up by name, and
// offers the handful of calls data-parallel training needs.
#ifndef DESCENT_MPI_H
#define DESCENT_MPI_H

#include <stddef.h>
#include <stdint.h>

/// Element types for reductions.
enum { DESCENT_MPI_FLOAT32 = 0, DESCENT_MPI_FLOAT64 = 1, DESCENT_MPI_INT64 = 2 };
/// Reduction operators.
enum { DESCENT_MPI_SUM = 0, DESCENT_MPI_MAX = 1, DESCENT_MPI_MIN = 2 };

/// Opens Open MPI's library and initialises MPI (once per process). Returns 0, or -1 with a
/// message in `error` saying what is missing.
int descent_mpi_start(char *error, size_t error_size);
/// This process's rank and the number of processes in MPI_COMM_WORLD.
int descent_mpi_rank(void);
int descent_mpi_size(void);
/// Reduces `count` elements in place across all ranks. Returns MPI's error code (0 = success).
int descent_mpi_allreduce(void *buffer, int64_t count, int type, int op);
/// Copies `bytes` bytes from rank `root` to every rank. Returns MPI's error code.
int descent_mpi_broadcast(void *buffer, int64_t bytes, int root);
/// Waits until every rank has called it. Returns MPI's error code.
int descent_mpi_barrier(void);
/// Ends MPI; called at process exit once started.
void descent_mpi_finalize(void);
/// Stops every rank, as MPI_Abort.
void descent_mpi_abort(int code);

#endif
