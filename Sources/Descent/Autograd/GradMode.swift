/// Whether operations record the autograd graph (PyTorch's grad mode).
///
/// The flag is task-local and thread-local: `noGrad { }` in one task or thread leaves every
/// other one recording, and a new thread starts with recording on, as in PyTorch.
public enum GradMode {
    @TaskLocal static var _enabled = true

    /// Whether operations currently record the graph.
    ///
    /// ```swift
    /// noGrad { print(GradMode.isEnabled) }   // false
    /// ```
    public static var isEnabled: Bool { _enabled }
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
    try GradMode.$_enabled.withValue(false, operation: body)
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
    try await GradMode.$_enabled.withValue(false, operation: body, isolation: isolation)
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
    try GradMode.$_enabled.withValue(true, operation: body)
}

/// Runs async `body` with graph recording on.
@discardableResult
public func enableGrad<R>(
    isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> R
) async rethrows -> R {
    try await GradMode.$_enabled.withValue(true, operation: body, isolation: isolation)
}
