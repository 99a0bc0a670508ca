/// Stops the program for a programmer error with PyTorch's message (ARCHITECTURE.md §3).
///
/// `fatalError` keeps its message in optimised builds, where `precondition` drops it, so a
/// release build still says why it stopped.
@usableFromInline
func _fail(_ message: @autoclosure () -> String, file: StaticString = #file, line: UInt = #line) -> Never {
    fatalError(message(), file: file, line: line)
}

/// Formats a shape the way PyTorch's messages print `IntArrayRef`: `[2, 3]`.
package func _shapeString(_ shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ", ") + "]"
}

/// Formats a shape as `torch.Size([2, 3])`.
func _torchSize(_ shape: [Int]) -> String {
    "torch.Size(" + _shapeString(shape) + ")"
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// Writes one line to standard error, for warnings that PyTorch raises as `UserWarning`.
func _printToStandardError(_ message: String) {
    let line = message + "\n"
    // Write straight to file descriptor 2: the C `stderr` global is not concurrency-safe.
    _ = line.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
}

import Synchronization

private let _warningsShown = Mutex<Set<String>>([])

/// Prints a `UserWarning` the first time its text comes up in the process, as Python's
/// default warning filter shows a warning once per place.
func _warnOnce(_ message: String) {
    let first = _warningsShown.withLock { $0.insert(message).inserted }
    if first { _printToStandardError("UserWarning: " + message) }
}
