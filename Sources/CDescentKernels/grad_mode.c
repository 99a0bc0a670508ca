// Grad mode for synchronous code lives in a C thread-local: reading it costs a few
// nanoseconds on every operation, where a Swift task-local lookup costs tens. The accessors
// are inline in the header.

#include "CDescentKernels.h"

// initial-exec: a direct thread-pointer access, not a __tls_get_addr call per read.
_Thread_local int descent_grad_mode_override_value __attribute__((tls_model("initial-exec"))) = -1;
_Thread_local void *descent_capture_tape_value __attribute__((tls_model("initial-exec"))) = 0;
