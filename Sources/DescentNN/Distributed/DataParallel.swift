import Descent

/// Data-parallel training: every rank holds the same model, computes gradients on its own
/// share of the data, and ``averageGradients()`` makes every rank's gradients the mean over all
/// ranks before the optimizer steps, as `DistributedDataParallel` and Horovod do.
///
/// Gradients travel in buckets: parameters are packed, in order, into flat buffers of about
/// `bucketMegabytes` each (one per dtype run), and each bucket is one `allReduce`, so a model
/// with many small tensors costs a few collective calls rather than one per tensor. The
/// buffers are allocated once and reused every step.
///
/// ```swift
/// let group = try MPIProcessGroup()
/// let model = Sequential(Linear(8, 16), ReLU(), Linear(16, 1))
/// let parallel = DataParallel(model, group: group)        // rank 0's parameters everywhere
/// let opt = SGD(model.parameters(), lr: 0.1)
/// for (x, y) in myShard {
///     opt.zeroGrad()
///     mseLoss(model(x), y).backward()
///     parallel.averageGradients()
///     opt.step()                                          // identical on every rank
/// }
/// ```
public final class DataParallel {
    /// The parameters whose gradients are averaged, in order.
    public let parameters: [Tensor]
    /// The group the ranks train in.
    public let group: ProcessGroup
    /// Each bucket: a flat buffer and the parameters (with their offsets) packed into it.
    let buckets: [(buffer: Tensor, members: [(parameter: Tensor, offset: Int)])]

    /// How many parameters each bucket holds: each bucket is one `allReduce` per step.
    public var bucketSizes: [Int] { buckets.map(\.members.count) }

    /// Wraps a module; its parameters are first broadcast from rank 0 so that every rank
    /// starts from the same values.
    public convenience init(_ module: Module, group: ProcessGroup, bucketMegabytes: Double = 25) {
        self.init(parameters: module.parameters(), group: group, bucketMegabytes: bucketMegabytes)
    }

    /// Wraps a list of parameters; they are first broadcast from rank 0 (bucket by bucket).
    public init(parameters: [Tensor], group: ProcessGroup, bucketMegabytes: Double = 25) {
        self.parameters = parameters
        self.group = group
        let capacity = Swift.max(1, Int(bucketMegabytes * 1_048_576))
        var buckets: [(Tensor, [(Tensor, Int)])] = []
        var members: [(Tensor, Int)] = []
        var bytes = 0, elements = 0
        func close() {
            guard let first = members.first?.0 else { return }
            buckets.append((Tensor.zeros([elements], dtype: first.dtype), members))
            members = []
            bytes = 0
            elements = 0
        }
        for p in parameters {
            if let first = members.first?.0, first.dtype != p.dtype || bytes >= capacity { close() }
            members.append((p, elements))
            elements += p.scalarCount
            bytes += p.scalarCount * p.dtype.itemSize
        }
        close()
        self.buckets = buckets.map { (buffer: $0.0, members: $0.1.map { (parameter: $0.0, offset: $0.1) }) }
        // Rank 0's values everywhere, through the same buckets: one broadcast per bucket.
        noGrad {
            for bucket in self.buckets {
                for (p, offset) in bucket.members { bucket.buffer[offset..<(offset + p.scalarCount)].copy(from: p.reshape(-1)) }
                group.broadcast(bucket.buffer, from: 0)
                for (p, offset) in bucket.members { p.copy(from: bucket.buffer[offset..<(offset + p.scalarCount)].reshape(p.shape)) }
            }
        }
    }

    /// Replaces every parameter's gradient with its mean over the ranks. A parameter without a
    /// gradient on this rank counts as zero here (and gets the mean as its gradient), so ranks
    /// whose batches skipped part of the model still agree.
    ///
    /// Every rank must call it, in the same step.
    public func averageGradients() {
        noGrad {
            for bucket in buckets {
                for (p, offset) in bucket.members {
                    let slot = bucket.buffer[offset..<(offset + p.scalarCount)]
                    if let g = p.grad { slot.copy(from: g.reshape(-1)) } else { slot.fill(0) }
                }
                group.allReduce(bucket.buffer, op: .mean)
                for (p, offset) in bucket.members {
                    let averaged = bucket.buffer[offset..<(offset + p.scalarCount)].reshape(p.shape)
                    if let g = p.grad { g.copy(from: averaged) } else { p.grad = averaged.clone() }
                }
            }
        }
    }
}
