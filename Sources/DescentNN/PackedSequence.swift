import Descent

/// Sequences of different lengths packed time step by time step, longest first, like
/// `torch.nn.utils.rnn.PackedSequence`: `data` holds step 0 of every sequence, then step 1 of
/// those that have one, and so on; `batchSizes[t]` says how many sequences reach step `t`.
///
/// ```swift
/// let packed = packPaddedSequence(padded, lengths: [5, 3, 2], batchFirst: true)
/// let (output, (h, c)) = lstm(packed, nil)
/// let (unpacked, lengths) = padPackedSequence(output, batchFirst: true)
/// ```
public struct PackedSequence: @unchecked Sendable {
    /// `[Σ lengths, *]`: the steps in packed order.
    public let data: Tensor
    /// Sequences reaching each step (int64, non-increasing).
    public let batchSizes: Tensor
    /// The batch order by decreasing length, or `nil` when the input was already sorted.
    public let sortedIndices: Tensor?
    /// Where each original sequence went: the inverse of `sortedIndices`.
    public let unsortedIndices: Tensor?

    /// A packed sequence from its parts.
    public init(data: Tensor, batchSizes: Tensor, sortedIndices: Tensor? = nil, unsortedIndices: Tensor? = nil) {
        self.data = data
        self.batchSizes = batchSizes
        self.sortedIndices = sortedIndices
        self.unsortedIndices = unsortedIndices ?? sortedIndices.map(Self.invert)
    }

    static func invert(_ permutation: Tensor) -> Tensor {
        let p = permutation.scalars(as: Int.self)
        var inverse = [Int64](repeating: 0, count: p.count)
        for (i, v) in p.enumerated() { inverse[v] = Int64(i) }
        return Tensor(shape: [p.count], scalars: inverse)
    }

    /// Each sequence's length, in sorted (packed) order.
    var sortedLengths: [Int] {
        let sizes = batchSizes.scalars(as: Int.self)
        guard let first = sizes.first else { return [] }
        return (0..<first).map { b in sizes.filter { $0 > b }.count }
    }
}

/// Pads `sequences` (each `[L_i, *]`) to the longest, stacked along a new batch dimension,
/// like `pad_sequence`: `[L_max, B, *]`, or `[B, L_max, *]` with `batchFirst`.
///
/// ```swift
/// let padded = padSequence([a, b, c], batchFirst: true)
/// ```
public func padSequence(_ sequences: [Tensor], batchFirst: Bool = false, paddingValue: Double = 0, paddingSideLeft: Bool = false) -> Tensor {
    guard let first = sequences.first else { preconditionFailure("received an empty list of sequences") }
    let longest = sequences.map { $0.shape[0] }.max()!
    let padded = sequences.map { s -> Tensor in
        let missing = longest - s.shape[0]
        if missing == 0 { return s }
        let filler = Tensor.full([missing] + Array(s.shape.dropFirst()), paddingValue, dtype: first.dtype)
        return Tensor.cat(paddingSideLeft ? [filler, s] : [s, filler])
    }
    return Tensor.stack(padded, dim: batchFirst ? 0 : 1)
}

/// Packs a padded batch whose sequences have `lengths`, like `pack_padded_sequence`. Unless
/// `enforceSorted` is false, lengths must be in decreasing order.
public func packPaddedSequence(_ input: Tensor, lengths: [Int], batchFirst: Bool = false, enforceSorted: Bool = true) -> PackedSequence {
    let batchDim = batchFirst ? 0 : 1
    if lengths.count != input.shape[batchDim] {
        preconditionFailure("Expected `len(lengths)` to be equal to batch_size, but got \(lengths.count) (batch_size=\(input.shape[batchDim]))")
    }
    if lengths.contains(where: { $0 <= 0 }) {
        preconditionFailure("Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0")
    }
    var order = Array(lengths.indices)
    var sortedIndices: Tensor? = nil
    if enforceSorted {
        if zip(lengths, lengths.dropFirst()).contains(where: { $0 < $1 }) {
            preconditionFailure("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this requirement if you do not need ONNX exportability.")
        }
    } else {
        order.sort { lengths[$0] > lengths[$1] || (lengths[$0] == lengths[$1] && $0 < $1) }
        sortedIndices = Tensor(shape: [order.count], scalars: order.map(Int64.init))
    }
    let timeMajor = batchFirst ? input.transpose(0, 1) : input
    if lengths.max()! > timeMajor.shape[0] {
        preconditionFailure("Expected sequence length to be at most \(timeMajor.shape[0]), but got \(lengths.max()!)")
    }
    let sortedLengths = order.map { lengths[$0] }
    var steps: [Tensor] = [], sizes: [Int64] = []
    for t in 0..<sortedLengths[0] {
        let count = sortedLengths.filter { $0 > t }.count
        let rows = Tensor(shape: [count], scalars: order.prefix(count).map(Int64.init))
        steps.append(timeMajor.select(0, t).indexSelect(0, rows))
        sizes.append(Int64(count))
    }
    return PackedSequence(data: Tensor.cat(steps), batchSizes: Tensor(shape: [sizes.count], scalars: sizes), sortedIndices: sortedIndices)
}

/// Packs a list of sequences (`[L_i, *]`), like `pack_sequence`.
public func packSequence(_ sequences: [Tensor], enforceSorted: Bool = true) -> PackedSequence {
    packPaddedSequence(padSequence(sequences), lengths: sequences.map { $0.shape[0] }, enforceSorted: enforceSorted)
}

/// Unpacks to a padded batch in the original order and each sequence's length, like
/// `pad_packed_sequence`; `totalLength` pads further.
public func padPackedSequence(_ sequence: PackedSequence, batchFirst: Bool = false, paddingValue: Double = 0,
                              totalLength: Int? = nil) -> (Tensor, Tensor) {
    let sizes = sequence.batchSizes.scalars(as: Int.self)
    let lengths = sequence.sortedLengths
    let steps = Swift.max(sizes.count, totalLength ?? 0)
    if let totalLength, totalLength < sizes.count {
        preconditionFailure("Expected total_length to be at least the length of the longest sequence in input, but got total_length=\(totalLength) and max sequence length being \(sizes.count)")
    }
    let feature = Array(sequence.data.shape.dropFirst())
    var rows: [Tensor] = [], offset = 0
    for t in 0..<steps {
        let count = t < sizes.count ? sizes[t] : 0
        var step = sequence.data.narrow(0, offset, count)
        offset += count
        if count < lengths.count {
            step = Tensor.cat([step, Tensor.full([lengths.count - count] + feature, paddingValue, dtype: sequence.data.dtype)])
        }
        rows.append(step)
    }
    var padded = Tensor.stack(rows)   // [T, B, *] in sorted order
    var original = lengths
    if let unsorted = sequence.unsortedIndices {
        padded = padded.indexSelect(1, unsorted)
        let u = unsorted.scalars(as: Int.self)
        original = u.map { lengths[$0] }
    }
    if batchFirst { padded = padded.transpose(0, 1) }
    return (padded, Tensor(shape: [original.count], scalars: original.map(Int64.init)))
}

extension RNNBase {
    /// Runs the stack over a packed batch: each sequence over its own length (the reverse
    /// direction starts at its own last step); returns packed outputs and final states in the
    /// original batch order, as PyTorch does.
    func runPacked(_ input: PackedSequence, _ initial: [Tensor]?) -> (PackedSequence, [Tensor]) {
        let lengths = input.sortedLengths
        let (padded, _) = padPackedSequence(PackedSequence(data: input.data, batchSizes: input.batchSizes))   // sorted order
        // Initial states come in the original order; PyTorch permutes them to the sorted one.
        let states = initial.map { list in list.map { s in input.sortedIndices.map { s.indexSelect(1, $0) } ?? s } }
        var outputs: [Tensor] = [], finals: [[Tensor]] = []
        for (b, length) in lengths.enumerated() {
            let x = padded.narrow(0, 0, length).narrow(1, b, 1)
            let (y, s) = run(batchFirst ? x.transpose(0, 1) : x, states.map { $0.map { $0.narrow(1, b, 1) } })
            outputs.append((batchFirst ? y.transpose(0, 1) : y).squeeze(1))
            finals.append(s)
        }
        var steps: [Tensor] = []
        for t in 0..<(lengths.first ?? 0) {
            for (b, length) in lengths.enumerated() where length > t { steps.append(outputs[b].select(0, t)) }
        }
        let data = Tensor.stack(steps)
        let stacked = (0..<(finals.first?.count ?? 0)).map { k -> Tensor in
            let s = Tensor.cat(finals.map { $0[k] }, dim: 1)
            return input.unsortedIndices.map { s.indexSelect(1, $0) } ?? s
        }
        return (PackedSequence(data: data, batchSizes: input.batchSizes, sortedIndices: input.sortedIndices,
                               unsortedIndices: input.unsortedIndices), stacked)
    }
}

extension LSTM {
    /// The LSTM over a packed batch: packed outputs and the final `(h, c)` of each sequence
    /// (at its own last step), in the original batch order.
    public func callAsFunction(_ input: PackedSequence, _ state: (Tensor, Tensor)?) -> (output: PackedSequence, state: (h: Tensor, c: Tensor)) {
        let (output, states) = runPacked(input, state.map { [$0.0, $0.1] })
        return (output, (states[0], states[1]))
    }
}

extension GRU {
    /// The GRU over a packed batch: packed outputs and each sequence's final state.
    public func callAsFunction(_ input: PackedSequence, _ h0: Tensor?) -> (output: PackedSequence, hN: Tensor) {
        let (output, states) = runPacked(input, h0.map { [$0] })
        return (output, states[0])
    }
}

extension RNN {
    /// The RNN over a packed batch: packed outputs and each sequence's final state.
    public func callAsFunction(_ input: PackedSequence, _ h0: Tensor?) -> (output: PackedSequence, hN: Tensor) {
        let (output, states) = runPacked(input, h0.map { [$0] })
        return (output, states[0])
    }
}
