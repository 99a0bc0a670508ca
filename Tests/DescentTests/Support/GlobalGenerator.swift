import Foundation

/// Tests run in parallel, and `manualSeed` seeds one process-wide generator: every test that
/// seeds it or draws from it does so inside this, so no other test's draw lands in between.
private let globalGeneratorLock = NSLock()

func exclusiveGlobalGenerator<R>(_ body: () throws -> R) rethrows -> R {
    globalGeneratorLock.lock()
    defer { globalGeneratorLock.unlock() }
    return try body()
}
