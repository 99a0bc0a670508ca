/// An elementwise pass as a plan records it when it may be fused with its neighbours: a kernel
/// over `count` elements whose output is contiguous and whose operands are read either at the
/// output's index (contiguous, same count) or whole (one value).
///
/// Such passes can run in chunks: a run of them over the same count becomes one pass over
/// memory that runs every kernel on the first 512 elements, then on the next 512, and so on
/// (`_FusedPasses`), so an intermediate is read back while it is still in the first-level
/// cache, and an intermediate nothing reads after the run is never written to memory at all
/// (it lives in a chunk of scratch). Each element still goes through the same kernels in the
/// same order with the same operands, so the bits are the eager run's: elementwise arithmetic
/// rounds each element on its own, whatever the loop's bounds (threads already split passes
/// at other bounds than eager code did).
package struct _ElementwisePass {
    /// An operand: its memory, its element size, and whether it is read at the output's index.
    struct Operand {
        var pointer: UnsafeRawPointer
        var bytes: Int
        var indexed: Bool

        /// An operand read at the output's index.
        static func atIndex<T>(_ p: UnsafePointer<T>) -> Operand {
            Operand(pointer: UnsafeRawPointer(p), bytes: MemoryLayout<T>.stride, indexed: true)
        }

        /// An operand of one value, read whole by every element.
        static func oneValue<T>(_ p: UnsafePointer<T>) -> Operand {
            Operand(pointer: UnsafeRawPointer(p), bytes: MemoryLayout<T>.stride, indexed: false)
        }
    }

    /// The kernel: writes `count` elements at its first argument from the operands' pointers.
    typealias Kernel = (UnsafeMutableRawPointer, UnsafePointer<UnsafeRawPointer>, Int) -> Void

    let count: Int
    let output: UnsafeMutableRawPointer
    let outputBytes: Int
    /// Whether the output is also read (at its own index): an in-place update.
    let inPlace: Bool
    let operands: [Operand]
    let kernel: Kernel

    init<R>(_ output: UnsafeMutablePointer<R>, count: Int, inPlace: Bool = false, _ operands: [Operand], kernel: @escaping Kernel) {
        self.count = count
        self.output = UnsafeMutableRawPointer(output)
        self.outputBytes = MemoryLayout<R>.stride
        self.inPlace = inPlace
        self.operands = operands
        self.kernel = kernel
    }

    /// The pass on its own, split over threads as the eager drivers split it.
    func run() {
        _FusedPasses([self], scratch: []).run()
    }

    /// The bytes the pass writes, and every range it reads.
    var written: Range<UInt> { Self.range(output, count * outputBytes) }
    var read: [(range: Range<UInt>, indexed: Bool)] {
        operands.map { (Self.range($0.pointer, $0.indexed ? count * $0.bytes : $0.bytes), $0.indexed) }
    }

    static func range(_ p: UnsafeRawPointer, _ bytes: Int) -> Range<UInt> {
        let start = UInt(bitPattern: p)
        return start..<(start + UInt(bytes))
    }
}

/// Passes over the same count run chunk by chunk, each chunk through every pass in order, split
/// over threads as one pass would be. Outputs listed in `scratch` (intermediates nothing reads
/// after the run) are written to a per-thread chunk of scratch instead of their memory.
final class _FusedPasses {
    /// Elements per chunk: a few float operands of 2 KiB each stay in a 32 KiB first-level cache.
    static let chunk = 512

    /// Where an operand lies for the chunk starting at element `c`: `base + c * stride`, or
    /// the scratch slot `slot` when it is not negative.
    struct Place {
        var base: UnsafeRawPointer
        var stride: Int
        var slot: Int
    }

    private let count: Int
    private let kernels: [_ElementwisePass.Kernel]
    /// Per pass: its output's place, then its operands' places.
    private let places: [Place]
    private let arities: [Int]
    private let slots: Int

    /// `scratch`: the outputs (memory addresses) that live in scratch.
    init(_ passes: [_ElementwisePass], scratch: Set<UnsafeMutableRawPointer>) {
        count = passes[0].count
        kernels = passes.map(\.kernel)
        arities = passes.map(\.operands.count)
        var slotOf: [UnsafeRawPointer: Int] = [:]
        for p in passes where scratch.contains(p.output) && slotOf[UnsafeRawPointer(p.output)] == nil {
            slotOf[UnsafeRawPointer(p.output)] = slotOf.count
        }
        slots = slotOf.count
        var places: [Place] = []
        for p in passes {
            let out = UnsafeRawPointer(p.output)
            places.append(Place(base: out, stride: p.outputBytes, slot: slotOf[out] ?? -1))
            for o in p.operands {
                places.append(Place(base: o.pointer, stride: o.indexed ? o.bytes : 0, slot: o.indexed ? slotOf[o.pointer] ?? -1 : -1))
            }
        }
        self.places = places
    }

    func run() {
        let n = count, parts = Threads.parts(work: n, grain: Elementwise.parallelGrain)
        if parts <= 1 { return run(0, n) }
        let step = (n + parts - 1) / parts
        let me = _UncheckedSendable(self)
        Threads.run(parts) { t in
            let lo = t * step
            me.value.run(lo, Swift.min(n, lo + step))
        }
    }

    private func run(_ lo: Int, _ hi: Int) {
        guard hi > lo else { return }
        // Without scratch, one pass runs its range at once (the chunks only matter between passes).
        let chunk = kernels.count == 1 ? hi - lo : Self.chunk
        withUnsafeTemporaryAllocation(byteCount: slots * Self.chunk * 8, alignment: 64) { scratch in
            withUnsafeTemporaryAllocation(of: UnsafeRawPointer.self, capacity: 4) { operands in
                let scratch = UnsafeRawPointer(scratch.baseAddress)
                let ops = operands.baseAddress!
                places.withUnsafeBufferPointer { places in
                    var c = lo
                    while c < hi {
                        let m = Swift.min(chunk, hi - c)
                        var at = 0
                        for k in kernels.indices {
                            let out = Self.address(places[at], c, scratch)
                            for j in 0..<arities[k] { ops[j] = Self.address(places[at + 1 + j], c, scratch) }
                            kernels[k](UnsafeMutableRawPointer(mutating: out), ops, m)
                            at += 1 + arities[k]
                        }
                        c += m
                    }
                }
            }
        }
    }

    @inline(__always)
    private static func address(_ p: Place, _ c: Int, _ scratch: UnsafeRawPointer?) -> UnsafeRawPointer {
        p.slot < 0 ? p.base + c * p.stride : scratch.unsafelyUnwrapped + p.slot * chunk * 8
    }
}

extension _CaptureTape {
    /// Whether `next` can run chunk by chunk after `group`: the same count, and no memory one
    /// of them writes is read or written by another at any index but its own (a same-index
    /// read or write keeps its order within a chunk; any other would not).
    static func fusable(_ group: [_ElementwisePass], _ next: _ElementwisePass) -> Bool {
        guard next.count == group[0].count, next.count > 0, next.operands.count <= 4 else { return false }
        func accesses(_ p: _ElementwisePass) -> [(range: Range<UInt>, indexed: Bool, bytes: Int)] {
            [(p.written, true, p.outputBytes)] + zip(p.read, p.operands).map { ($0.range, $0.indexed, $1.bytes) }
        }
        func clash(_ written: Range<UInt>, _ bytes: Int, _ other: (range: Range<UInt>, indexed: Bool, bytes: Int)) -> Bool {
            guard written.overlaps(other.range) else { return false }
            return !(other.indexed && other.range == written && other.bytes == bytes)
        }
        let mine = accesses(next)
        for p in group {
            let theirs = accesses(p)
            if theirs.contains(where: { clash(next.written, next.outputBytes, $0) }) { return false }
            if mine.contains(where: { clash(p.written, p.outputBytes, $0) }) { return false }
        }
        return true
    }
}
