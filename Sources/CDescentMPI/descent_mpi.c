#include "descent_mpi.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

// Open MPI's ABI: every handle is a pointer to a library global, MPI_IN_PLACE is (void *)1.
typedef void *mpi_handle;
#define MPI_IN_PLACE ((void *)1)
#define MPI_THREAD_SERIALIZED 2

static struct {
    int (*init_thread)(int *, char ***, int, int *);
    int (*initialized)(int *);
    int (*finalized)(int *);
    int (*finalize)(void);
    int (*comm_rank)(mpi_handle, int *);
    int (*comm_size)(mpi_handle, int *);
    int (*allreduce)(const void *, void *, int, mpi_handle, mpi_handle, mpi_handle);
    int (*bcast)(void *, int, mpi_handle, int, mpi_handle);
    int (*barrier)(mpi_handle);
    int (*abort)(mpi_handle, int);
    mpi_handle world, f32, f64, i64, byte, sum, max, min;
    int rank, size, started;
    char error[512];
} mpi;

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void finalize_at_exit(void) { descent_mpi_finalize(); }

static void start(void) {
    // DESCENT_MPI_LIBRARY, when set, is the only place looked at.
    const char *chosen = getenv("DESCENT_MPI_LIBRARY");
    const char *names[] = {"libmpi.so.40", "libmpi.so", "libmpi.40.dylib", "/opt/homebrew/lib/libmpi.dylib",
                           "/usr/local/lib/libmpi.dylib"};
    void *lib = NULL;
    for (size_t i = 0; i < (chosen ? 1 : sizeof names / sizeof *names) && !lib; i++) {
        // GLOBAL: Open MPI's plug-ins resolve their symbols against libmpi.
        lib = dlopen(chosen ? chosen : names[i], RTLD_NOW | RTLD_GLOBAL);
    }
    if (!lib) {
        snprintf(mpi.error, sizeof mpi.error,
                 "Open MPI's library (libmpi) was not found%s%s; install Open MPI (Debian/Ubuntu: apt install "
                 "libopenmpi-dev openmpi-bin; macOS: brew install open-mpi) and start the processes with mpirun, "
                 "or set DESCENT_MPI_LIBRARY to libmpi's path",
                 chosen ? " at " : "", chosen ? chosen : "");
        return;
    }
#define LOOKUP(field, name)                                                                              \
    if (!(*(void **)&mpi.field = dlsym(lib, name))) {                                                    \
        snprintf(mpi.error, sizeof mpi.error, "libmpi has no symbol %s: Descent needs Open MPI (4 or 5)", name); \
        return;                                                                                          \
    }
    LOOKUP(init_thread, "MPI_Init_thread")
    LOOKUP(initialized, "MPI_Initialized")
    LOOKUP(finalized, "MPI_Finalized")
    LOOKUP(finalize, "MPI_Finalize")
    LOOKUP(comm_rank, "MPI_Comm_rank")
    LOOKUP(comm_size, "MPI_Comm_size")
    LOOKUP(allreduce, "MPI_Allreduce")
    LOOKUP(bcast, "MPI_Bcast")
    LOOKUP(barrier, "MPI_Barrier")
    LOOKUP(abort, "MPI_Abort")
    LOOKUP(world, "ompi_mpi_comm_world")
    LOOKUP(f32, "ompi_mpi_float")
    LOOKUP(f64, "ompi_mpi_double")
    LOOKUP(i64, "ompi_mpi_int64_t")
    LOOKUP(byte, "ompi_mpi_byte")
    LOOKUP(sum, "ompi_mpi_op_sum")
    LOOKUP(max, "ompi_mpi_op_max")
    LOOKUP(min, "ompi_mpi_op_min")
#undef LOOKUP
    int flag = 0, provided = 0;
    mpi.initialized(&flag);
    // SERIALIZED: Descent calls MPI from one thread at a time, though not always the same one
    // (Swift tasks move between threads).
    if (!flag && mpi.init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, &provided) != 0) {
        snprintf(mpi.error, sizeof mpi.error, "MPI_Init_thread failed");
        return;
    }
    mpi.comm_rank(mpi.world, &mpi.rank);
    mpi.comm_size(mpi.world, &mpi.size);
    mpi.started = 1;
    atexit(finalize_at_exit);
}

int descent_mpi_start(char *error, size_t error_size) {
    pthread_once(&once, start);
    if (mpi.started) return 0;
    snprintf(error, error_size, "%s", mpi.error);
    return -1;
}

int descent_mpi_rank(void) { return mpi.rank; }
int descent_mpi_size(void) { return mpi.size; }

int descent_mpi_allreduce(void *buffer, int64_t count, int type, int op) {
    mpi_handle t = type == DESCENT_MPI_FLOAT32 ? mpi.f32 : type == DESCENT_MPI_FLOAT64 ? mpi.f64 : mpi.i64;
    mpi_handle o = op == DESCENT_MPI_SUM ? mpi.sum : op == DESCENT_MPI_MAX ? mpi.max : mpi.min;
    size_t item = type == DESCENT_MPI_FLOAT32 ? 4 : 8;
    // MPI counts are ints: larger buffers go in pieces.
    for (int64_t done = 0; done < count;) {
        int n = count - done > INT_MAX / 2 ? INT_MAX / 2 : (int)(count - done);
        int code = mpi.allreduce(MPI_IN_PLACE, (char *)buffer + done * item, n, t, o, mpi.world);
        if (code) return code;
        done += n;
    }
    return 0;
}

int descent_mpi_broadcast(void *buffer, int64_t bytes, int root) {
    for (int64_t done = 0; done < bytes;) {
        int n = bytes - done > INT_MAX / 2 ? INT_MAX / 2 : (int)(bytes - done);
        int code = mpi.bcast((char *)buffer + done, n, mpi.byte, root, mpi.world);
        if (code) return code;
        done += n;
    }
    return 0;
}

int descent_mpi_barrier(void) { return mpi.barrier(mpi.world); }

void descent_mpi_finalize(void) {
    int done = 0;
    if (!mpi.started) return;
    mpi.finalized(&done);
    if (!done) mpi.finalize();
}

void descent_mpi_abort(int code) {
    if (mpi.started) mpi.abort(mpi.world, code);
    exit(code);
}
