import Foundation

/// A value behind a lock, shared by reference between threads a test starts.
///
/// An `NSLock` (a pthread mutex) rather than `Synchronization.Mutex`: on Linux `Mutex` waits on
/// a futex directly, which the thread sanitizer does not see as synchronization, so it reported
/// the accesses the lock serializes as races.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<R>(_ body: (inout Value) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
