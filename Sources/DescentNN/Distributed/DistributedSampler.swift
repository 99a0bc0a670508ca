import Descent

/// Which rows each rank visits in an epoch of data-parallel training, as
/// `torch.utils.data.distributed.DistributedSampler` chooses them: every epoch a permutation of
/// all rows seeded with `seed + epoch` (the same on every rank), padded by repeating its start
/// to a multiple of the world size (or cut to one with `dropLast`), of which rank `r` takes
/// positions `r, r + worldSize, ...`. The shares are disjoint (apart from the padding), equal in
/// size, and identical to PyTorch's for the same arguments, since `randperm` is.
///
/// ```swift
/// let sampler = DistributedSampler(count: rows, rank: group.rank, worldSize: group.worldSize, seed: 7)
/// for epoch in 0..<epochs {
///     let mine = sampler.indices(epoch: epoch)        // Tensor of int64 row numbers
///     for start in stride(from: 0, to: mine.scalarCount, by: 64) { ... x[mine[start..<end]] ... }
/// }
/// ```
public struct DistributedSampler: Sendable {
    /// Rows in the whole data set.
    public let count: Int
    /// This rank, and how many ranks share the rows.
    public let rank: Int, worldSize: Int
    /// Whether each epoch has its own order (else rows stay in order).
    public let shuffle: Bool
    /// The seed the epochs' permutations are drawn from.
    public let seed: UInt64
    /// Whether to cut the tail instead of padding, so that no row is visited twice.
    public let dropLast: Bool

    /// A sampler over `count` rows for `rank` of `worldSize`.
    public init(count: Int, rank: Int, worldSize: Int, shuffle: Bool = true, seed: UInt64 = 0, dropLast: Bool = false) {
        if worldSize <= 0 || !(0..<worldSize).contains(rank) {
            // PyTorch's message (a ValueError there); a programmer error here.
            fatalError("Invalid rank \(rank), rank should be in the interval [0, \(worldSize - 1)]")
        }
        self.count = count
        self.rank = rank
        self.worldSize = worldSize
        self.shuffle = shuffle
        self.seed = seed
        self.dropLast = dropLast
    }

    /// How many rows each rank visits per epoch.
    public var rowsPerRank: Int {
        dropLast && count % worldSize != 0 ? count / worldSize : (count + worldSize - 1) / worldSize
    }

    /// This rank's rows for `epoch`, as an int64 tensor for indexing.
    public func indices(epoch: Int) -> Tensor {
        var all = shuffle
            ? Tensor.randperm(count, generator: Generator(seed: seed &+ UInt64(epoch))).scalars(as: Int64.self)
            : (0..<Int64(count)).map { $0 }
        let total = rowsPerRank * worldSize
        if total > all.count, !all.isEmpty {
            let padding = total - all.count
            var extra: [Int64] = []
            while extra.count < padding { extra += all.prefix(padding - extra.count) }
            all += extra
        } else {
            all = Array(all.prefix(total))
        }
        let mine = stride(from: rank, to: total, by: worldSize).map { all[$0] }
        return Tensor(shape: [mine.count], scalars: mine, dtype: .int64)
    }
}
