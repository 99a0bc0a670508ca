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
/// after the run) are written to a chunk of scratch instead of their memory.
///
/// A replay calls this for every run of passes, most of them a few elements long in small
/// models, so the run is laid out for the call: the addresses of every pass's output and
/// operands in one array (a pass's kernel reads its operands' straight from it), its strides
/// beside it, and the kernels in boxes called without reference counting.
final class _FusedPasses {
    /// Elements per chunk: a few float operands of 2 KiB each stay in a 32 KiB first-level cache.
    static let chunk = 512
    /// Bytes of one scratch slot: a chunk of the widest element.
    static let slotBytes = chunk * 8

    final class Box {
        let kernel: _ElementwisePass.Kernel
        init(_ kernel: @escaping _ElementwisePass.Kernel) { self.kernel = kernel }
    }

    private let count: Int
    private let boxes: [Box]
    private let kernels: UnsafeMutablePointer<Unmanaged<Box>>
    private let arities: UnsafeMutablePointer<Int>
    private let passCount: Int
    /// Per pass: its output's place, then its operands'. An address is that of element 0 (or
    /// of the slot in `scratch`), a stride is bytes per element (0 for one value or a slot).
    private let placeCount: Int
    private let addresses: UnsafeMutablePointer<UnsafeRawPointer>
    private let strides: UnsafeMutablePointer<Int>
    /// Each place's scratch slot, or -1.
    private let slotOfPlace: [Int]
    private let slots: Int
    /// The scratch of a run on the calling thread; threads' runs take their own.
    private let scratch: UnsafeMutableRawPointer

    /// `scratch`: the outputs (memory addresses) that live in scratch.
    init(_ passes: [_ElementwisePass], scratch: Set<UnsafeMutableRawPointer>) {
        count = passes[0].count
        passCount = passes.count
        boxes = passes.map { Box($0.kernel) }
        kernels = .allocate(capacity: passCount)
        kernels.initialize(from: boxes.map { Unmanaged.passUnretained($0) }, count: passCount)
        arities = .allocate(capacity: passCount)
        arities.initialize(from: passes.map(\.operands.count), count: passCount)
        var slotOf: [UnsafeRawPointer: Int] = [:]
        for p in passes where scratch.contains(p.output) && slotOf[UnsafeRawPointer(p.output)] == nil {
            slotOf[UnsafeRawPointer(p.output)] = slotOf.count
        }
        slots = slotOf.count
        self.scratch = .allocate(byteCount: max(1, slots) * Self.slotBytes, alignment: 64)
        var places: [(base: UnsafeRawPointer, stride: Int, slot: Int)] = []
        for p in passes {
            let out = UnsafeRawPointer(p.output)
            places.append((out, p.outputBytes, slotOf[out] ?? -1))
            for o in p.operands {
                places.append((o.pointer, o.indexed ? o.bytes : 0, o.indexed ? slotOf[o.pointer] ?? -1 : -1))
            }
        }
        placeCount = places.count
        slotOfPlace = places.map(\.slot)
        addresses = .allocate(capacity: placeCount)
        strides = .allocate(capacity: placeCount)
        for (i, place) in places.enumerated() {
            (addresses + i).initialize(to: place.base)
            (strides + i).initialize(to: place.stride)
        }
        Self.place(scratch: UnsafeRawPointer(self.scratch), slotOfPlace, addresses, strides)
    }

    deinit {
        kernels.deallocate()
        arities.deallocate()
        addresses.deallocate()
        strides.deallocate()
        scratch.deallocate()
    }

    /// Points the places that live in scratch at their slots of `scratch`.
    private static func place(scratch: UnsafeRawPointer, _ slotOfPlace: [Int], _ addresses: UnsafeMutablePointer<UnsafeRawPointer>,
                              _ strides: UnsafeMutablePointer<Int>) {
        for (i, slot) in slotOfPlace.enumerated() where slot >= 0 {
            addresses[i] = scratch + slot * slotBytes
            strides[i] = 0
        }
    }

    func run() {
        let n = count, parts = Threads.parts(work: n, grain: Elementwise.parallelGrain)
        if parts <= 1 { return run(0, n, addresses) }
        let step = (n + parts - 1) / parts
        let me = _UncheckedSendable(self)
        Threads.run(parts) { t in
            let me = me.value, lo = t * step
            // Each thread its own scratch, and so its own copy of the addresses.
            withUnsafeTemporaryAllocation(byteCount: max(1, me.slots) * Self.slotBytes, alignment: 64) { scratch in
                withUnsafeTemporaryAllocation(of: UnsafeRawPointer.self, capacity: me.placeCount) { mine in
                    let mine = mine.baseAddress!
                    mine.initialize(from: me.addresses, count: me.placeCount)
                    Self.place(scratch: UnsafeRawPointer(scratch.baseAddress!), me.slotOfPlace, mine, me.strides)
                    me.run(lo, Swift.min(n, lo + step), mine)
                }
            }
        }
    }

    private func run(_ lo: Int, _ hi: Int, _ addresses: UnsafeMutablePointer<UnsafeRawPointer>) {
        guard hi > lo else { return }
        // One pass runs its range at once: chunks matter only between passes.
        let chunk = passCount == 1 ? hi - lo : Self.chunk
        if lo == 0 && hi <= chunk {
            // One chunk from the start: the addresses are the operands'.
            var at = 0
            for k in 0..<passCount {
                kernels[k]._withUnsafeGuaranteedRef { $0.kernel(UnsafeMutableRawPointer(mutating: addresses[at]), addresses + at + 1, hi) }
                at += 1 + arities[k]
            }
            return
        }
        withUnsafeTemporaryAllocation(of: UnsafeRawPointer.self, capacity: placeCount) { moved in
            let moved = moved.baseAddress!
            var c = lo
            while c < hi {
                let m = Swift.min(chunk, hi - c)
                for i in 0..<placeCount { (moved + i).initialize(to: addresses[i] + c * strides[i]) }
                var at = 0
                for k in 0..<passCount {
                    kernels[k]._withUnsafeGuaranteedRef { $0.kernel(UnsafeMutableRawPointer(mutating: moved[at]), moved + at + 1, m) }
                    at += 1 + arities[k]
                }
                c += m
            }
        }
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
