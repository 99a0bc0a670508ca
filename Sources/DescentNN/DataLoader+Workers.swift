import Foundation

/// Batches made ahead of time on worker threads, handed out strictly in order: what
/// `DataLoader(numWorkers:)` iterates through. Workers take the next batch index from a shared
/// counter and stay at most `window` batches ahead of the consumer (PyTorch's
/// `prefetch_factor` of 2 per worker), so memory stays bounded; the batches and their order
/// are those of the loader without workers.
final class _BatchPrefetcher<Batch>: @unchecked Sendable {
    private let condition = NSCondition()
    private var ready: [Int: Batch] = [:]
    private var nextToMake = 0
    private var consumed = 0
    private var cancelled = false
    private let total: Int
    private let window: Int
    private let make: (Int) -> Batch

    init(total: Int, workers: Int, make: @escaping (Int) -> Batch) {
        self.total = total
        self.window = 2 * workers
        self.make = make
        for w in 0..<workers {
            let thread = Thread { [self] in self.work() }
            thread.name = "descent.dataloader.\(w)"
            thread.start()
        }
    }

    private func work() {
        while true {
            condition.lock()
            while !cancelled && nextToMake < total && nextToMake >= consumed + window { condition.wait() }
            if cancelled || nextToMake >= total {
                condition.unlock()
                return
            }
            let k = nextToMake
            nextToMake += 1
            condition.unlock()
            let batch = make(k)
            condition.lock()
            ready[k] = batch
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Batch `k`, waiting for a worker to finish it.
    func take(_ k: Int) -> Batch {
        condition.lock()
        defer { condition.unlock() }
        while ready[k] == nil { condition.wait() }
        consumed = k + 1
        condition.broadcast()
        return ready.removeValue(forKey: k)!
    }

    /// Stops the workers after the batches they are making (the consumer left early).
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}

/// Owned by the iterator alone: when the iterator goes, the workers stop.
final class _PrefetchHandle<Batch> {
    let prefetcher: _BatchPrefetcher<Batch>
    init(_ prefetcher: _BatchPrefetcher<Batch>) { self.prefetcher = prefetcher }
    deinit { prefetcher.cancel() }
}
