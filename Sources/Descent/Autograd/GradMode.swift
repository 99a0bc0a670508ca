import CDescentKernels
import Synchronization

/// Whether operations record the autograd graph (PyTorch's grad mode).
///
/// Synchronous `noGrad { }` and `enableGrad { }` set a thread-local flag, as PyTorch's grad
/// mode is thread-local: a new thread starts with recording on. Their async forms set a
/// task-local value instead, which child tasks inherit. Inside a synchronous block the
/// thread's flag wins.
public enum GradMode {
    @TaskLocal static var _taskEnabled = true
    /// Task-local lookups cost tens of nanoseconds; skip them until async grad mode is used.
    static let _asyncUsed = Atomic<Bool>(false)

    /// Whether operations currently record the graph.
    ///
    /// ```swift
    /// noGrad { print(GradMode.isEnabled) }   // false
    /// ```
    public static var isEnabled: Bool {
        let flag = descent_grad_mode_override()
        if flag >= 0 { return flag == 1 }
        if !_asyncUsed.load(ordering: .relaxed) { return true }
        return _taskEnabled
    }

    static func withThreadMode<R>(_ enabled: Bool, _ body: () throws -> R) rethrows -> R {
        let previous = descent_grad_mode_override()
        descent_set_grad_mode_override(enabled ? 1 : 0)
        defer { descent_set_grad_mode_override(previous) }
        return try body()
    }
}

/// Runs `body` without recording the autograd graph, like `with torch.no_grad():`.
///
/// Results computed inside do not require grad, and in-place updates of parameters are allowed:
/// ```swift
/// noGrad {
///     w -= w.grad! * 1e-5
///     w.grad!.zero()
/// }
/// ```
/// Calls nest; the previous mode returns when `body` ends, even if it throws.
@discardableResult
public func noGrad<R>(_ body: () throws -> R) rethrows -> R {
    try GradMode.withThreadMode(false, body)
}

/// Runs async `body` without recording the autograd graph, for this task and its child tasks.
///
/// ```swift
/// let y = await noGrad { await model.predict(x) }
/// ```
@discardableResult
public func noGrad<R>(
    isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> R
) async rethrows -> R {
    GradMode._asyncUsed.store(true, ordering: .relaxed)
    return try await GradMode.$_taskEnabled.withValue(false, operation: body, isolation: isolation)
}

/// Runs `body` with graph recording on, even inside `noGrad`, like `torch.enable_grad()`.
///
/// ```swift
/// noGrad {
///     enableGrad { (w * 2).sum().backward() }
/// }
/// ```
@discardableResult
public func enableGrad<R>(_ body: () throws -> R) rethrows -> R {
    try GradMode.withThreadMode(true, body)
}

/// Runs async `body` with graph recording on.
@discardableResult
public func enableGrad<R>(
    isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> R
) async rethrows -> R {
    GradMode._asyncUsed.store(true, ordering: .relaxed)
    return try await GradMode.$_taskEnabled.withValue(true, operation: body, isolation: isolation)
}
