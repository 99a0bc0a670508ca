import CDescentKernels

/// What `compile` records while a step runs once eagerly: every kernel the step ran, as a
/// closure over the very memory it read and wrote, in order. Replaying the closures repeats
/// the step's arithmetic (the same kernels on the same buffers, so the same bits) with none
/// of the eager bookkeeping: no shapes worked out, no tensors or graph nodes made, no
/// reference counts. This is what CUDA graphs do for PyTorch, on the CPU.
///
/// A capture is faithful only if every write the step made went through a recorded kernel.
/// Kernels that record themselves call ``record(_:writes:reads:)``; everything else is
/// detected and refuses the capture (the step then stays eager):
/// - memory made during the capture that no recorded kernel wrote (an op whose kernel does
///   not record itself yet),
/// - an in-place write (a version bump) into memory no recorded kernel wrote in place,
/// - a value read back to Swift (`item()`, printing, a value an op reads to decide what to
///   do), a random draw, or anything else that calls ``refuse(_:)``.
///
/// The tape holds every block made during the capture for the plan's life (a block whose
/// tensor died during the capture serves a later one of the same size, as in the eager run),
/// and every tensor from outside it that a kernel read or wrote (parameters, constants), with
/// the memory each had: a replay first checks that none was given other memory since.
package final class _CaptureTape {
    typealias Header = TensorMemory.Header

    /// The work, in the order the capture ran it, each closure in a box: kept in an array,
    /// a closure is stored in its most general form and every call went through two thunks.
    private(set) var steps: [Step] = []
    /// The first reason the capture cannot be replayed.
    private(set) var refusal: String?
    /// Blocks made during the capture that no recorded kernel has written yet, with their
    /// element counts (for the refusal's message).
    private var unwritten: [UnsafeMutableRawPointer: (order: Int, count: Int)] = [:]
    private var madeCount = 0
    /// Blocks of the capture no tensor holds any more, by total size.
    private var free: [Int: [UnsafeMutableRawPointer]] = [:]
    /// Blocks given a second life during the capture.
    private var reused: Set<UnsafeMutableRawPointer> = []
    /// Blocks made zeroed that no recorded kernel has written since, with their sizes: their
    /// memory must still be zero when the capture ends, or something unrecorded wrote it.
    private var zeroed: [UnsafeMutableRawPointer: Int] = [:]
    /// Every block made during the capture, held until the tape ends.
    private var made: [UnsafeMutablePointer<Header>: UnsafeMutableRawPointer] = [:]
    /// Memory written in place during the capture (version bumps), and memory a recorded
    /// kernel wrote in place.
    private var bumped: [UnsafeMutablePointer<Header>: Int] = [:]
    private var writtenInPlace: [UnsafeMutablePointer<Header>: Int] = [:]
    /// Blocks a recorded kernel wrote whole (not in place) in their current life.
    private var writtenWhole: Set<UnsafeMutableRawPointer> = []
    /// The steps that are elementwise passes, which ``fuse()`` may run together.
    private var passes: [Int: _ElementwisePass] = [:]
    /// For blocks of the capture whose last tensor died: how many steps were recorded then.
    private var diedAt: [UnsafeMutableRawPointer: Int] = [:]
    /// For every block of the capture: how many steps were recorded when its last life began.
    private var madeAt: [UnsafeMutableRawPointer: Int] = [:]
    /// Blocks a replay clears (made zeroed): never moved to scratch, their clearing step writes them.
    private var cleared: Set<UnsafeMutableRawPointer> = []
    /// Tensors from outside the capture (roots of views) and the memory each had then.
    private var outside: [ObjectIdentifier: (tensor: Tensor, data: UnsafeMutableRawPointer, requiresGrad: Bool)] = [:]

    init() {}

    deinit {
        for (header, data) in made { TensorMemory.drop(data, header) }
    }

    // MARK: the capturing thread's tape

    /// The tape this thread is capturing into.
    @inline(__always)
    package static var current: _CaptureTape? {
        guard let raw = descent_capture_tape() else { return nil }
        return Unmanaged<_CaptureTape>.fromOpaque(raw).takeUnretainedValue()
    }

    /// Whether this thread is capturing: one thread-local load, for the eager paths.
    @inline(__always)
    package static var isActive: Bool { descent_capture_tape() != nil }

    /// Runs `body` with this tape capturing on this thread.
    func capturing<R>(_ body: () throws -> R) rethrows -> R {
        let previous = descent_capture_tape()
        descent_set_capture_tape(Unmanaged.passUnretained(self).toOpaque())
        defer { descent_set_capture_tape(previous) }
        return try body()
    }

    /// Runs `body` with no capture on this thread (a unit recorded as a whole).
    package static func suspended<R>(_ body: () throws -> R) rethrows -> R {
        let previous = descent_capture_tape()
        descent_set_capture_tape(nil)
        defer { descent_set_capture_tape(previous) }
        return try body()
    }

    // MARK: what the eager code reports

    /// Marks the capture as not replayable, keeping the first reason.
    package static func refuse(_ reason: @autoclosure () -> String) {
        guard let tape = current, tape.refusal == nil else { return }
        tape.refusal = reason()
    }

    /// A block was made (`TensorMemory.allocate`): the plan holds it, and a kernel must write it.
    static func made(_ data: UnsafeMutableRawPointer, _ header: UnsafeMutablePointer<Header>) {
        guard let tape = current else { return }
        TensorMemory.hold(header)
        tape.made[header] = data
        tape.diedAt[data] = nil
        tape.madeAt[data] = tape.steps.count
        tape.zeroed[data] = nil
        tape.writtenWhole.remove(data)
        tape.unwritten[data] = (tape.madeCount, header.pointee.count)
        tape.madeCount += 1
    }

    /// A block made during the capture whose last eager holder let go (only the tape holds it
    /// now): free for a later tensor of the capture of the same size, as it would be in eager
    /// code. The replay runs the same kernels in the same order, so the block's two lives never
    /// overlap there either; a plan's memory is then what the eager step needed at its peak,
    /// not the sum of all its tensors. Constants (values written from Swift once) keep their
    /// block: no replay writes them again. Blocks a recorded closure holds through a handle
    /// never come here (the handle holds them). Nor do blocks the verdict has yet to judge.
    static func released(_ data: UnsafeMutableRawPointer, _ header: UnsafeMutablePointer<Header>) {
        // Not a block that still awaits its recorded write, or zeros still to be checked: the
        // verdict must see those as they are.
        guard let tape = current, tape.made[header] != nil, header.pointee.holders == 1 else { return }
        // No step recorded from now on can read it (a later kernel would have been given a
        // tensor over it): a fused run that ends before this point may keep it in scratch.
        tape.diedAt[data] = tape.steps.count
        guard !tape.constants.contains(data), tape.unwritten[data] == nil, tape.zeroed[data] == nil else { return }
        tape.free[header.pointee.bytes, default: []].append(data)
    }

    /// Whether the tape holds `header`'s block (one it made) and one tensor besides
    /// (``TensorMemory/isHeldOnce(_:)`` does not count the tape's hold).
    static func holdsBesideOneTensor(_ header: UnsafeMutablePointer<Header>) -> Bool {
        guard let tape = current, tape.made[header] != nil else { return false }
        return header.pointee.holders == 2
    }

    /// A dead block of the capture with room for exactly `bytes` (elements and header), if any.
    static func reusable(bytes: Int) -> UnsafeMutableRawPointer? {
        // The caller writes a new header over the old (one holder), and `made` holds it again
        // for the tape.
        guard let tape = current, let data = tape.free[bytes]?.popLast() else { return nil }
        tape.reused.insert(data)
        return data
    }

    /// A block was made filled with zero bits: the plan clears it again on every replay.
    static func madeZeroed(_ data: UnsafeMutableRawPointer, bytes: Int) {
        guard let tape = current else { return }
        tape.unwritten[data] = nil
        tape.zeroed[data] = bytes
        tape.cleared.insert(data)
        tape.steps.append(Step { data.initializeMemory(as: UInt8.self, repeating: 0, count: bytes) })
    }

    /// A tensor's memory was written in place.
    static func bumped(_ header: UnsafeMutablePointer<Header>) {
        guard let tape = current else { return }
        tape.bumped[header, default: 0] += 1
    }

    /// A value written by Swift code (`_setRaw`): fine into fresh memory nothing else writes
    /// (a number made a tensor, `arange`), which stays as it is for the plan; anything else
    /// (a value set into zeros, which a replay clears again) refuses the capture.
    static func wroteFromSwift(_ t: Tensor) {
        guard let tape = current else { return }
        // Not into a block with an earlier life in the plan: a replay writes that life's values
        // into it again, over the constant. (Only blocks above the small size are given a
        // second life, so the numbers made tensors, small, never land on one.)
        if !tape.reused.contains(t.data), tape.unwritten.removeValue(forKey: t.data) != nil || tape.constants.contains(t.data) {
            tape.constants.insert(t.data)
            return
        }
        refuse("an op writes values from Swift into memory a replay writes again")
    }
    private var constants: Set<UnsafeMutableRawPointer> = []

    /// Fresh memory that recorded kernels have just written in parts which together cover it
    /// (`cat` copies each operand into its slice).
    package static func writtenInParts(_ t: Tensor) {
        current?.unwritten[t.data] = nil
    }

    /// `.grad` of `tensor` became `value`: the replay assigns it again, as eager code would.
    static func assignedGrad(_ tensor: Tensor, _ value: Tensor?) {
        guard let tape = current else { return }
        tape.note(tensor)
        if let value { tape.note(value) }
        tape.steps.append(Step { tensor._grad = value })
    }

    /// Records `step`, a kernel that just ran and wrote `writes` (fresh memory, or in place
    /// with `inPlace`) from `reads`, to run again on every replay.
    package static func record(_ step: @escaping () -> Void, writes: Tensor, inPlace: Bool = false, reads: Tensor...) {
        record(step, writes: writes, inPlace: inPlace, reads: reads)
    }

    package static func record(_ step: @escaping () -> Void, writes: Tensor, inPlace: Bool = false, reads: [Tensor]) {
        record(step, writes: [writes], inPlace: inPlace, reads: reads)
    }

    /// Records `pass`, an elementwise kernel that just ran and wrote `writes` (fresh memory, or
    /// in place with `inPlace`) from `reads`: run on its own on every replay, or chunk by
    /// chunk with its neighbours once ``fuse()`` has found a run of passes it can join.
    package static func record(_ pass: _ElementwisePass, writes: Tensor, inPlace: Bool = false, reads: [Tensor]) {
        guard let tape = current else { return }
        let alone = _FusedPasses([pass], scratch: [])
        record({ alone.run() }, writes: [writes], inPlace: inPlace, reads: reads)
        tape.passes[tape.steps.count - 1] = pass
    }

    /// Records `step`, a kernel that wrote `writes` (fresh) and also updated `alsoInPlace` in
    /// place (a batch norm's running statistics).
    package static func record(_ step: @escaping () -> Void, writes: Tensor, reads: [Tensor], alsoInPlace: [Tensor]) {
        record(step, writes: [writes], reads: reads, alsoInPlace: alsoInPlace)
    }

    /// Records `step`, a pass that wrote several tensors (fresh) and updated `alsoInPlace` in
    /// place (a recurrent layer's pass through time: its gate buffer, its running gradients;
    /// a batch norm's running statistics through the one-output form above).
    package static func record(_ step: @escaping () -> Void, writes outputs: [Tensor], reads: [Tensor], alsoInPlace: [Tensor]) {
        guard let tape = current else { return }
        record(step, writes: outputs, reads: reads)
        for t in alsoInPlace { tape.noteWrite(t, inPlace: true) }
    }

    /// Records `step`, a kernel that wrote several tensors (an attention pass's output and its
    /// log-sum-exp; three gradients).
    package static func record(_ step: @escaping () -> Void, writes outputs: [Tensor], inPlace: Bool = false, reads: [Tensor]) {
        guard let tape = current else { return }
        tape.steps.append(Step(step))
        for r in reads { tape.note(r) }
        for writes in outputs { tape.noteWrite(writes, inPlace: inPlace) }
    }

    private func noteWrite(_ writes: Tensor, inPlace: Bool) {
        note(writes)
        if inPlace {
            writtenInPlace[writes.header, default: 0] += 1
            zeroed[writes.data] = nil
            // Written in place over the whole of fresh memory (a tensor made, then filled; a
            // clone keeps a transposed layout).
            if writes._isDense && writes.storageOffset == 0 && writes.scalarCount == writes.header.pointee.count {
                unwritten[writes.data] = nil
            }
        } else {
            unwritten[writes.data] = nil
            // A fresh output is written by one recorded kernel (or by parts through views):
            // a second whole write means a driver recorded a pass its caller records too.
            if writes._isDense && writes.storageOffset == 0 && writes.scalarCount == writes.header.pointee.count {
                assert(writtenWhole.insert(writes.data).inserted, "a kernel was recorded twice for one output")
            }
        }
    }

    /// Records `step`, work recorded as a whole (an optimizer's update, which reads its step
    /// count again on every call), which ran with the capture suspended.
    package static func recordCall(_ step: @escaping () -> Void) {
        current?.steps.append(Step(step))
    }

    /// A bare tensor over `t`'s memory and geometry, for a recorded kernel that takes tensors:
    /// no autograd state, so the plan keeps no graph alive.
    package static func handle(_ t: Tensor) -> Tensor {
        Tensor(over: t, shape: t.shape, strides: t.strides, offset: t.storageOffset, base: nil, contiguous: t.isContiguous)
    }

    /// Runs `compute`, a pure function of its inputs' values whose kernels do not record
    /// themselves (a convolution, a pooling window walk, a reduction whose driver takes a
    /// closure), as one unit of the plan: during the capture it runs unrecorded, and every
    /// replay runs it again eagerly on bare handles of the inputs and copies its results into
    /// the plan's memory for them. Exact by construction (the op itself runs); it costs the
    /// replay the op's allocations and a copy.
    package static func opaque(_ inputs: [Tensor?], _ compute: @escaping ([Tensor?]) -> [Tensor]) -> [Tensor] {
        guard let tape = current else { return compute(inputs) }
        let outputs = suspended { () -> [Tensor] in
            // A result over an input's memory (or another result's) would be overwritten by
            // the copies of a replay: such results are given their own memory.
            var seen = Set(inputs.compactMap { $0?.header })
            return compute(inputs).map { out in
                let own = out._isView || !seen.insert(out.header).inserted ? out.clone() : out
                seen.insert(own.header)
                return own
            }
        }
        for out in outputs {
            TensorMemory.hold(out.header)
            tape.made[out.header] = out.data
        }
        let handles = inputs.map { $0.map(handle) }, targets = outputs.map(handle)
        record({
            for (result, target) in zip(compute(handles), targets) { CopyKernel.copy(result, into: target) }
        }, writes: outputs[0], reads: inputs.compactMap { $0 })
        return outputs
    }

    /// Runs `kernel`, which fills every element of `outputs` (fresh tensors) from `inputs`
    /// through kernels that do not record themselves (a convolution's im2col and packing, a
    /// pooling window walk), and records it as one step of the plan: every replay runs it
    /// again on bare handles, straight into the plan's memory for `outputs`. Unlike
    /// ``opaque(_:_:)`` a replay allocates no results and copies nothing (those copies made
    /// a compiled LeNet step slower than the eager one). `_Conv.forwardValues` is an example.
    package static func unit(_ inputs: [Tensor?], outputs: [Tensor], _ kernel: @escaping ([Tensor?], [Tensor]) -> Void) -> [Tensor] {
        guard current != nil else {
            kernel(inputs, outputs)
            return outputs
        }
        suspended { kernel(inputs, outputs) }
        let handles = inputs.map { $0.map(handle) }, targets = outputs.map(handle)
        record({ kernel(handles, targets) }, writes: outputs, reads: inputs.compactMap { $0 })
        return outputs
    }

    /// Keeps a tensor from outside the capture, and the memory it has now.
    private func note(_ t: Tensor) {
        guard made[t.header] == nil else { return }
        let root = t.base ?? t
        let id = ObjectIdentifier(root)
        if outside[id] == nil { outside[id] = (root, root.data, root._requiresGrad) }
    }

    // MARK: after the capture

    /// Why the capture cannot be replayed, or nil when it can.
    func verdict() -> String? {
        if let refusal { return refusal }
        if let first = unwritten.values.min(by: { $0.order < $1.order }) {
            return "an operation whose kernel is not recorded yet made a tensor of \(first.count) elements "
                + "(the step's allocation number \(first.order))"
        }
        // Counted per memory block: each in-place write (a version bump) needs its own recorded
        // kernel, so an unrecorded `zero()` after a recorded `+=` on the same `.grad` is seen.
        if bumped.contains(where: { $0.value > writtenInPlace[$0.key, default: 0] }) {
            return "an in-place write went through a kernel that is not recorded yet"
        }
        for (data, bytes) in zeroed where !UnsafeRawBufferPointer(start: data, count: bytes).allSatisfy({ $0 == 0 }) {
            return "an operation whose kernel is not recorded yet wrote into a tensor of \(bytes) bytes made of zeros"
        }
        return nil
    }

    /// Whether every tensor from outside still has the memory and `requiresGrad` it had.
    func outsideUnchanged() -> Bool {
        // Checked on every call: an array, laid out once, walks faster than the dictionary.
        if outsideList.count != outside.count { outsideList = Array(outside.values) }
        for entry in outsideList where entry.tensor.data != entry.data || entry.tensor._requiresGrad != entry.requiresGrad {
            return false
        }
        return true
    }
    private var outsideList: [(tensor: Tensor, data: UnsafeMutableRawPointer, requiresGrad: Bool)] = []

    /// Joins each run of elementwise passes over the same count that can run chunk by chunk
    /// into one step, and moves the intermediates nothing reads after their run into scratch,
    /// freeing their memory. Called once, after a capture the verdict accepted.
    func fuse() {
        var joined: [Step] = [], i = 0
        let blocks = Dictionary(uniqueKeysWithValues: made.map { ($0.value, $0.key) })
        while i < steps.count {
            guard let first = passes[i] else {
                joined.append(steps[i])
                i += 1
                continue
            }
            var group = [first], end = i + 1
            while end < steps.count, let next = passes[end], Self.fusable(group, next) {
                group.append(next)
                end += 1
            }
            if group.count == 1 {
                joined.append(steps[i])
            } else {
                let scratch = scratchable(group, from: i, to: end, blocks)
                let fused = _FusedPasses(group, scratch: scratch)
                joined.append(Step { fused.run() })
                // A block with lives before the run keeps its memory for the steps that use them.
                for data in scratch where !reused.contains(data) {
                    let header = blocks[data]!
                    made[header] = nil
                    TensorMemory.drop(data, header)
                }
                fusedPasses += group.count
                scratchBlocks += scratch.count
            }
            i = end
        }
        steps = joined
        unretained = []
        passes = [:]
    }

    /// The outputs of `group` (steps `start..<end`) that can live in scratch: blocks of the
    /// capture whose every life that the run touches begins with a fresh write in the run, and
    /// whose last life ends in it (no step after the run reads them).
    private func scratchable(_ group: [_ElementwisePass], from start: Int, to end: Int,
                             _ blocks: [UnsafeMutableRawPointer: UnsafeMutablePointer<Header>]) -> Set<UnsafeMutableRawPointer> {
        var scratch: Set<UnsafeMutableRawPointer> = [], touched: Set<UnsafeRawPointer> = []
        for p in group {
            // Read before this run wrote them: their value comes from outside the run.
            for o in p.operands { touched.insert(o.pointer) }
            let out = p.output
            defer { touched.insert(UnsafeRawPointer(out)) }
            guard !p.inPlace, !touched.contains(UnsafeRawPointer(out)), let header = blocks[out], header.pointee.count == p.count,
                  let born = madeAt[out], born >= start, let died = diedAt[out], died <= end,
                  !constants.contains(out), !cleared.contains(out) else { continue }
            scratch.insert(out)
        }
        return scratch
    }

    /// The bytes of every block the plan holds (elements and headers).
    var heldBytes: Int { made.keys.reduce(0) { $0 + $1.pointee.bytes } }

    /// How many passes ``fuse()`` joined with others.
    private(set) var fusedPasses = 0
    /// How many intermediates ``fuse()`` moved into scratch.
    private(set) var scratchBlocks = 0

    /// Runs the recorded work once.
    func replay() {
        if unretained.count != steps.count { unretained = steps.map { Unmanaged.passUnretained($0) } }
        // Through unretained boxes: calling closures out of the array retained and released
        // each one's context around the call, a third of a seed-loop replay.
        unretained.withUnsafeBufferPointer { steps in
            for i in steps.indices { steps[i]._withUnsafeGuaranteedRef { $0.run() } }
        }
    }

    /// A recorded closure in a box the replay can call without counting references.
    final class Step {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }
    private var unretained: [Unmanaged<Step>] = []
}
