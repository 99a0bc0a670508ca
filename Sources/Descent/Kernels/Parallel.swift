import Dispatch
import Synchronization

/// How many threads Descent's large kernels may use (PyTorch's `torch.set_num_threads`).
///
/// Work is split only where it pays: matrix products and elementwise or reduction passes over
/// large tensors. Small operations always run on the calling thread.
///
/// ```swift
/// Threads.count = 1   // like torch.set_num_threads(1)
/// ```
public enum Threads {
    // An atomic, not a lock: the small ops of a training step read it on their fast paths.
    private static let value = Atomic<Int>(Threads.defaultCount)

    private static var defaultCount: Int {
        if let env = _environment("DESCENT_NUM_THREADS"), let n = Int(env), n > 0 { return n }
        return max(1, _activeProcessorCount())
    }

    /// The number of threads kernels may use; at least 1.
    public static var count: Int {
        get { value.load(ordering: .relaxed) }
        set { value.store(max(1, newValue), ordering: .relaxed) }
    }

    /// Runs `body(i)` for `i` in `0..<parts`, on up to ``count`` threads.
    static func run(_ parts: Int, _ body: (Int) -> Void) {
        if parts <= 1 {
            if parts == 1 { body(0) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let box = _UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: parts) { box.value($0) }
        }
    }

    /// How many parts to split `work` units into, at least `grain` units each.
    static func parts(work: Int, grain: Int) -> Int {
        if work < 2 * grain { return 1 }
        let n = count
        if n <= 1 { return 1 }
        return min(n, work / grain)
    }
}

/// Passes a non-Sendable value into `concurrentPerform`, whose iterations only read it or
/// write disjoint memory.
package struct _UncheckedSendable<T>: @unchecked Sendable {
    package let value: T
    package init(_ value: T) { self.value = value }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func _environment(_ name: String) -> String? {
    guard let p = getenv(name) else { return nil }
    return String(cString: p)
}

func _activeProcessorCount() -> Int {
    Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
}
