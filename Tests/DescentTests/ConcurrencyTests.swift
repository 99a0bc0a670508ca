import Foundation
import Testing
import Descent
import DescentNN

/// Models trained in parallel tasks give exactly what training them one after another gives.
struct ConcurrencyTests {
    static func train(seed: UInt64) -> [Float] {
        let g = Generator(seed: seed)
        let x = Tensor.randn(64, 8, generator: g), y = Tensor.randint(0, 4, [64], generator: g)
        let net = Sequential(Linear(inFeatures: 8, outFeatures: 16, generator: g), ReLU(),
                             Linear(inFeatures: 16, outFeatures: 4, generator: g))
        let opt = Adam(net.parameters(), lr: 1e-2)
        for _ in 0..<50 {
            opt.zeroGrad()
            CrossEntropyLoss()(net(x), y).backward()
            opt.step()
        }
        return net.parameters().flatMap { $0.scalars(as: Float.self) }
    }

    @Test func parallelTrainingMatchesSequentialTraining() async {
        let sequential = (1...4).map { Self.train(seed: UInt64($0)) }
        let parallel = await withTaskGroup(of: (Int, [Float]).self) { group in
            for i in 1...4 { group.addTask { (i, Self.train(seed: UInt64(i))) } }
            var results = [[Float]](repeating: [], count: 4)
            for await (i, r) in group { results[i - 1] = r }
            return results
        }
        #expect(parallel == sequential)
    }

    /// Small results reuse the memory blocks of small tensors that died on the same thread (a pool
    /// per thread, drained when the thread exits). Tensors made on one thread and dropped on
    /// another, by threads that then exit, keep their values; run under the address sanitizer
    /// this also checks the blocks' holder counts.
    @Test func smallTensorsCrossThreadsThatExit() {
        let made = Locked<[Tensor]>([])
        let done = DispatchGroup()
        for t in 0..<8 {
            done.enter()
            let thread = Thread {
                var mine: [Tensor] = []
                for i in 0..<200 {
                    let a = Tensor([Float(t), Float(i)]) * 2   // a small result, maybe pooled
                    if i % 2 == 0 { mine.append(a) }
                }
                made.withLock { $0 += mine }   // handed to whichever thread drops them last
                done.leave()
            }
            thread.start()
        }
        done.wait()
        let all = made.withLock { $0 }
        #expect(all.count == 800)
        var seen = Set<[Float]>()
        for x in all { seen.insert(x.scalars(as: Float.self)) }
        #expect(seen.count == 800)
        for t in 0..<8 { for i in stride(from: 0, to: 200, by: 2) { #expect(seen.contains([Float(2 * t), Float(2 * i)])) } }
        made.withLock { $0 = [] }   // dropped here, on this thread: into this thread's pool

        // A reused block starts a new life: version 0, the new dtype, the new values.
        for _ in 0..<100 {
            let old = Tensor([1.0, 2.0, 3.0], dtype: .float64)
            noGrad { old += old }
            #expect(old.version == 1)
        }
        let fresh = Tensor([7, 8], dtype: .int64) + 1
        #expect(fresh.version == 0)
        #expect(fresh.scalars(as: Int64.self) == [8, 9])
    }

    /// Views of one tensor let go of its memory on many threads at once, after the tensor
    /// itself: the last holder, whichever thread it is on, frees the block, once (the address
    /// sanitizer checks the once; the values check that nobody freed it early).
    @Test func viewsLetGoOnManyThreads() async {
        for round in 0..<50 {
            let sums = await withTaskGroup(of: Float.self) { group in
                do {
                    let made = Tensor.full([2, 4], Double(round))   // a pooled block
                    for i in 0..<8 {
                        let view = made[i % 2]   // held only by its task from here on
                        group.addTask { view.scalars(as: Float.self).reduce(0, +) }
                    }
                }
                var all: [Float] = []
                for await s in group { all.append(s) }
                return all
            }
            #expect(sums == [Float](repeating: Float(4 * round), count: 8))
        }
    }

    @Test func noGradInOneTaskLeavesAnotherRecording() async {
        let w = Tensor.ones(3, requiresGrad: true)
        async let quiet: Bool = noGrad {
            try? await Task.sleep(nanoseconds: 5_000_000)
            return (w * 2).requiresGrad
        }
        async let recording: Bool = {
            try? await Task.sleep(nanoseconds: 5_000_000)
            return (w * 2).requiresGrad
        }()
        let (a, b) = await (quiet, recording)
        #expect(!a && b)
    }
}
