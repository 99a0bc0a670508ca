// Grad mode for synchronous code lives in a C thread-local: reading it costs a few
// nanoseconds on every operation, where a Swift task-local lookup costs tens.

#include "CDescentKernels.h"

static _Thread_local int grad_mode_override = -1;

int descent_grad_mode_override(void) { return grad_mode_override; }

void descent_set_grad_mode_override(int value) { grad_mode_override = value; }
