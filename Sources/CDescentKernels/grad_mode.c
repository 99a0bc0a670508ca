// Grad mode for synchronous code lives in a C thread-local: reading it costs a few
// nanoseconds on every operation, where a Swift task-local lookup costs tens.

#include "CDescentKernels.h"

// initial-exec: a direct thread-pointer access, not a __tls_get_addr call per read.
static _Thread_local int grad_mode_override __attribute__((tls_model("initial-exec"))) = -1;

int descent_grad_mode_override(void) { return grad_mode_override; }

void descent_set_grad_mode_override(int value) { grad_mode_override = value; }
