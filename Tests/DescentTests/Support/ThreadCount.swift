import Foundation
@testable import Descent

/// `Threads.count` is one setting for the whole process, and tests run in parallel: a test that
/// compares the bits of two runs (eager and compiled) must not see another test change it
/// between them. Tests that change it do so inside ``withThreads(_:_:)``, tests that compare
/// inside ``sameThreadCount(_:)``; both hold this lock (recursive, so a comparison may nest).
private let threadCountLock = NSRecursiveLock()

/// Runs `body` with `count` threads, then restores the count, while no other test holding the
/// lock runs.
func withThreads<R>(_ count: Int, _ body: () throws -> R) rethrows -> R {
    threadCountLock.lock()
    defer { threadCountLock.unlock() }
    let saved = Threads.count
    defer { Threads.count = saved }
    Threads.count = count
    return try body()
}

/// Runs `body` while no other test changes the thread count.
func sameThreadCount<R>(_ body: () throws -> R) rethrows -> R {
    threadCountLock.lock()
    defer { threadCountLock.unlock() }
    return try body()
}
