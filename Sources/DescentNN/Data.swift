import Descent

/// Samples by position, like `torch.utils.data.Dataset` (a map-style dataset).
///
/// ```swift
/// struct Squares: Dataset {
///     var count: Int { 100 }
///     subscript(index: Int) -> [Tensor] { [Tensor(Double(index)), Tensor(Double(index * index))] }
/// }
/// ```
public protocol Dataset {
    /// One sample, such as `[features, target]`.
    associatedtype Sample
    /// The number of samples (`len(dataset)`).
    var count: Int { get }
    /// The sample at `index`, in `0..<count`.
    subscript(index: Int) -> Sample { get }
}

/// Tensors sharing their first dimension, sample `i` being row `i` of each, like
/// `torch.utils.data.TensorDataset`.
///
/// ```swift
/// let train = TensorDataset(inputs, targets)
/// let (x0, y0) = (train[0][0], train[0][1])
/// ```
public struct TensorDataset: Dataset {
    /// The tensors, in the order samples list them.
    public let tensors: [Tensor]

    /// A dataset over tensors whose first dimensions are equal.
    public init(_ tensors: Tensor...) { self.init(tensors) }

    /// A dataset over an array of tensors whose first dimensions are equal.
    public init(_ tensors: [Tensor]) {
        guard let first = tensors.first, first.rank > 0 else { preconditionFailure("TensorDataset needs at least one tensor with a first dimension") }
        if !tensors.allSatisfy({ $0.rank > 0 && $0.shape[0] == first.shape[0] }) {
            preconditionFailure("Size mismatch between tensors")
        }
        self.tensors = tensors
    }

    public var count: Int { tensors[0].shape[0] }

    /// Row `index` of every tensor.
    public subscript(index: Int) -> [Tensor] { tensors.map { $0[index] } }

    /// Rows `range` of every tensor (`train_ds[0:3]`), as views.
    public subscript(range: Range<Int>) -> [Tensor] { tensors.map { $0[range] } }

    /// The rows at `indices` of every tensor, gathered in one indexing each: what the default
    /// collate (`torch.stack` of the rows) gives, without making a tensor per row.
    public func batch(_ indices: [Int]) -> [Tensor] {
        let index = Tensor(indices.map { Int64($0) }, dtype: .int64)
        return tensors.map { $0[index] }
    }
}

/// The samples of `base` at `indices`, in that order, like `torch.utils.data.Subset`.
public struct Subset<Base: Dataset>: Dataset {
    /// The dataset the samples come from.
    public let base: Base
    /// Positions in `base`.
    public let indices: [Int]

    /// A view of `base` through `indices`.
    public init(_ base: Base, indices: [Int]) {
        self.base = base
        self.indices = indices
    }

    public var count: Int { indices.count }
    public subscript(index: Int) -> Base.Sample { base[indices[index]] }
}

/// Splits a dataset into non-overlapping random subsets of the given lengths, like
/// `torch.utils.data.random_split`: the same subsets as PyTorch's for the same generator.
///
/// ```swift
/// let parts = randomSplit(dataset, lengths: [800, 200], generator: Generator(seed: 42))
/// let (train, validation) = (parts[0], parts[1])
/// ```
public func randomSplit<D: Dataset>(_ dataset: D, lengths: [Int], generator: Generator? = nil) -> [Subset<D>] {
    if lengths.reduce(0, +) != dataset.count {
        preconditionFailure("Sum of input lengths does not equal the length of the input dataset!")
    }
    let order = Tensor.randperm(dataset.count, generator: generator).scalars(as: Int64.self).map { Int($0) }
    var offset = 0
    return lengths.map { length in
        defer { offset += length }
        return Subset(dataset, indices: Array(order[offset..<offset + length]))
    }
}

/// `randomSplit` by fractions that sum to 1: each part gets `floor(n · fraction)` samples and
/// the remainder goes one by one to the parts in order, as PyTorch distributes it.
public func randomSplit<D: Dataset>(_ dataset: D, fractions: [Double], generator: Generator? = nil) -> [Subset<D>] {
    if Swift.abs(fractions.reduce(0, +) - 1) > 1e-9 || fractions.contains(where: { $0 < 0 || $0 > 1 }) {
        preconditionFailure("Fractions must sum up to 1 and each lie in [0, 1]")
    }
    var lengths = fractions.map { Int((Double(dataset.count) * $0).rounded(.down)) }
    let remainder = dataset.count - lengths.reduce(0, +)
    for i in 0..<remainder { lengths[i % lengths.count] += 1 }
    return randomSplit(dataset, lengths: lengths, generator: generator)
}

/// Batches of a dataset, like `torch.utils.data.DataLoader`: in order, or shuffled every
/// epoch in exactly PyTorch's order for the same seed.
///
/// Iterating it once is one epoch. With `shuffle`, each epoch draws as PyTorch's iterator does:
/// a base seed for workers from `generator` (or the global generator), then a `randperm` from
/// `generator` itself, or, without one, from a new generator seeded by a second global draw
/// (`RandomSampler`).
///
/// ```swift
/// manualSeed(0)
/// let loader = DataLoader(TensorDataset(inputs, targets), batchSize: 5, shuffle: true)
/// for epoch in 0..<100 {
///     for batch in loader {
///         let (xb, yb) = (batch[0], batch[1])
///         …
///     }
/// }
/// ```
public struct DataLoader<D: Dataset, Batch>: Sequence {
    /// The dataset batches are drawn from.
    public let dataset: D
    /// Samples per batch.
    public let batchSize: Int
    /// Whether each epoch visits the samples in a new random order.
    public let shuffle: Bool
    /// Whether a last, smaller batch is left out.
    public let dropLast: Bool
    /// Where the shuffling seeds come from; the global generator when `nil`.
    public let generator: Generator?
    /// Threads that make the next batches while the current one is used; 0 makes them on the
    /// iterating thread. The batches and their order do not depend on it.
    public let numWorkers: Int
    /// Chooses the samples of each epoch instead of `shuffle` (`sampler=` in PyTorch): this
    /// process's share in data-parallel training.
    public let sampler: DistributedSampler?
    /// The epoch the sampler draws for (`sampler.set_epoch(e)` in PyTorch).
    public private(set) var epoch = 0

    /// Sets the epoch a `DistributedSampler` draws its permutation for, as
    /// `sampler.set_epoch(epoch)` does; call it before each epoch so every epoch has its own order.
    public mutating func setEpoch(_ epoch: Int) { self.epoch = epoch }
    private let makeBatch: (D, [Int]) -> Batch

    /// A loader that builds each batch from its samples with `collate`.
    public init(
        _ dataset: D, batchSize: Int = 1, shuffle: Bool = false, dropLast: Bool = false, generator: Generator? = nil,
        numWorkers: Int = 0, sampler: DistributedSampler? = nil, collate: @escaping ([D.Sample]) -> Batch
    ) {
        self.init(dataset, batchSize: batchSize, shuffle: shuffle, dropLast: dropLast, generator: generator, numWorkers: numWorkers, sampler: sampler) { d, indices in
            collate(indices.map { d[$0] })
        }
    }

    init(
        _ dataset: D, batchSize: Int, shuffle: Bool, dropLast: Bool, generator: Generator?, numWorkers: Int,
        sampler: DistributedSampler?, batch: @escaping (D, [Int]) -> Batch
    ) {
        if sampler != nil && shuffle { preconditionFailure("sampler option is mutually exclusive with shuffle") }
        if let sampler, sampler.count != dataset.count {
            preconditionFailure("the sampler covers \(sampler.count) samples but the dataset has \(dataset.count)")
        }
        self.sampler = sampler
        if numWorkers < 0 {
            preconditionFailure("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
        }
        self.numWorkers = numWorkers
        if batchSize <= 0 {
            preconditionFailure("batch_size should be a positive integer value, but got batch_size=\(batchSize)")
        }
        self.dataset = dataset
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.generator = generator
        self.makeBatch = batch
    }

    /// The number of batches per epoch (`len(loader)`).
    public var count: Int { dropLast ? dataset.count / batchSize : (dataset.count + batchSize - 1) / batchSize }

    /// The sample positions of one epoch, in the order they are visited.
    public func epochOrder() -> [Int] {
        let n = dataset.count
        // `_BaseDataLoaderIter` draws its base seed for workers on every epoch, shuffled or not.
        _ = Tensor.empty([], dtype: .int64).random(generator: generator)
        if let sampler { return sampler.indices(epoch: epoch).scalars(as: Int64.self).map { Int($0) } }
        guard shuffle else { return Array(0..<n) }
        // `RandomSampler` permutes with the loader's generator when it has one, else with a new
        // generator seeded by a draw from the global one.
        let sampler: Descent.Generator
        if let generator {
            sampler = generator
        } else {
            let seed = Tensor.empty([], dtype: .int64).random().item(as: Int64.self)
            sampler = Descent.Generator(seed: UInt64(seed))
        }
        let order = Tensor.randperm(n, generator: sampler).scalars(as: Int64.self).map { Int($0) }
        // Reaching its end, `RandomSampler` draws one more permutation for the remainder of
        // `num_samples % n` (empty): it advances the generator, so later epochs see that too.
        _ = Tensor.randperm(n, generator: sampler)
        return order
    }

    public func makeIterator() -> Iterator {
        Iterator(loader: self, order: epochOrder())
    }

    /// The sample positions of each batch of an epoch visited in `order`.
    private func batches(_ order: [Int]) -> [[Int]] {
        stride(from: 0, to: order.count, by: batchSize).compactMap { start in
            let end = Swift.min(start + batchSize, order.count)
            return dropLast && end - start < batchSize ? nil : Array(order[start..<end])
        }
    }

    /// One epoch's batches.
    public struct Iterator: IteratorProtocol {
        let loader: DataLoader
        let plan: [[Int]]
        var position = 0
        let prefetch: _PrefetchHandle<Batch>?

        init(loader: DataLoader, order: [Int]) {
            self.loader = loader
            let plan = loader.batches(order)
            self.plan = plan
            if loader.numWorkers > 0 && plan.count > 1 {
                let work = _UncheckedSendable((loader.dataset, loader.makeBatch, plan))
                prefetch = _PrefetchHandle(_BatchPrefetcher(total: plan.count, workers: loader.numWorkers) { k in
                    let (dataset, make, plan) = work.value
                    return make(dataset, plan[k])
                })
            } else {
                prefetch = nil
            }
        }

        public mutating func next() -> Batch? {
            guard position < plan.count else { return nil }
            defer { position += 1 }
            if let prefetch { return prefetch.prefetcher.take(position) }
            return loader.makeBatch(loader.dataset, plan[position])
        }
    }
}

extension DataLoader where D == TensorDataset, Batch == [Tensor] {
    /// A loader over tensors: each batch holds the batch's rows of every tensor, as PyTorch's
    /// default collate stacks them.
    public init(_ dataset: TensorDataset, batchSize: Int = 1, shuffle: Bool = false, dropLast: Bool = false, generator: Generator? = nil, numWorkers: Int = 0, sampler: DistributedSampler? = nil) {
        self.init(dataset, batchSize: batchSize, shuffle: shuffle, dropLast: dropLast, generator: generator, numWorkers: numWorkers, sampler: sampler) { d, indices in
            d.batch(indices)
        }
    }
}

extension DataLoader where D == Subset<TensorDataset>, Batch == [Tensor] {
    /// A loader over a subset of tensors (a `randomSplit` part).
    public init(_ dataset: Subset<TensorDataset>, batchSize: Int = 1, shuffle: Bool = false, dropLast: Bool = false, generator: Generator? = nil, numWorkers: Int = 0, sampler: DistributedSampler? = nil) {
        self.init(dataset, batchSize: batchSize, shuffle: shuffle, dropLast: dropLast, generator: generator, numWorkers: numWorkers, sampler: sampler) { d, indices in
            d.base.batch(indices.map { d.indices[$0] })
        }
    }
}
