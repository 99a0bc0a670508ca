import Descent
import Foundation

/// The training loop behind every model `descent fit` trains (linear regression, logistic and
/// softmax regression, small networks): epochs of full or mini-batches in a seeded order, the
/// loss as a mean over the global batch of every rank, gradients averaged over ranks,
/// divergence caught early, checkpoints, and a resumed run that continues bit for bit.
///
/// A model supplies its parameters (named, as its checkpoint stores them) and the summed loss
/// of a batch; everything else is here, once.
///
/// ```swift
/// let g = Generator(seed: 0)
/// let w = Tensor.randn(1, 3, generator: g, requiresGrad: true), b = Tensor.randn(1, generator: g, requiresGrad: true)
/// let losses = try GradientDescent.train(
///     parameters: [("weight", w), ("bias", b)], x: x, y: y,
///     options: .init(epochs: 100, lr: 0.1, optimizer: .adam), generator: g) { xb, yb in
///         let d = Tensor.linear(xb, weight: w, bias: b) - yb
///         return (d * d).sum()
///     }
/// ```
public enum GradientDescent {
    /// Trains `parameters` on the rows of `x` and `y` and returns the loss of every epoch.
    ///
    /// - Parameters:
    ///   - generator: draws the batch order (it usually drew the initial weights first); its
    ///     state is saved in checkpoints.
    ///   - settings: what a resumed run must share with this one (the optimizer's settings are
    ///     added here); a checkpoint made with other values is refused.
    ///   - lossDivisor: the batch's summed loss is divided by its global row count times this
    ///     (the number of targets for a mean squared error over several).
    ///   - penalty: a term added to each step's mean loss (a weight penalty), if any.
    ///   - summedLoss: the loss summed over a batch's rows, from the batch's `x` and `y` rows.
    /// - Throws: ``TrainingError/diverged(epoch:loss:)`` when the loss becomes NaN or infinite
    ///   or exceeds a thousand times its first value; ``TrainingError/cannotResume(_:)``; file
    ///   errors from saving a checkpoint.
    public static func train(
        parameters: [(String, Tensor)], x: Tensor, y: Tensor, options: LinearRegression.Options, generator: Generator,
        group: ProcessGroup = SingleProcessGroup(), checkpointing: LinearRegression.Checkpointing? = nil,
        resume: Checkpoint? = nil, settings: [String: String] = [:], lossDivisor: Int = 1,
        onEpoch: ((Int, Double) -> Void)? = nil, penalty: (() -> Tensor)? = nil,
        summedLoss: (Tensor, Tensor) -> Tensor
    ) throws -> [Double] {
        let rows = x.shape[0], world = group.worldSize
        let tensors = parameters.map(\.1)
        // Every rank's row count, so that each can work out the global batch of every step.
        let shardRows: [Int] = {
            let counts = Tensor.zeros([world], dtype: .int64)
            counts[group.rank] = Tensor(Int64(rows), dtype: .int64)
            group.allReduce(counts, op: .sum)
            return counts.scalars(as: Int.self)
        }()
        let totalRows = shardRows.reduce(0, +)
        let optimizer: Optimizer
        switch options.optimizer {
        case .sgd: optimizer = SGD(tensors, lr: options.lr)
        case .momentum: optimizer = SGD(tensors, lr: options.lr, momentum: 0.9)
        case .adam: optimizer = Adam(tensors, lr: options.lr)
        }
        let settings = [
            "optimizer": options.optimizer.rawValue, "lr": "\(options.lr)", "standardize": "\(options.standardize)",
            "batch_size": options.batchSize.map { "\($0)" } ?? "all", "seed": "\(options.seed)",
        ].merging(settings) { $1 }.merging(checkpointing?.metadata ?? [:]) { $1 }
        var losses: [Double] = []
        var firstEpoch = 1
        if let resume {
            losses = try restore(resume, into: parameters, optimizer: optimizer, generator: generator, settings: settings)
            firstEpoch = resume.epoch + 1
        }
        let parallel = world > 1 ? DataParallel(parameters: tensors, group: group) : nil
        let fullBatch = options.batchSize.map { $0 >= totalRows } ?? true
        let localBatch = fullBatch ? Swift.max(rows, 1) : (options.batchSize! + world - 1) / world
        let steps = fullBatch ? 1 : (shardRows.max()! + localBatch - 1) / localBatch
        for epoch in firstEpoch..<(Swift.max(options.epochs, firstEpoch - 1) + 1) {
            var total = 0.0
            let order = fullBatch ? nil : Tensor.randperm(rows, generator: generator)
            for step in 0..<steps {
                // Rows in this step over all ranks: the loss is their mean.
                let stepRows = fullBatch ? totalRows : shardRows.reduce(0) { $0 + Swift.min(localBatch, Swift.max(0, $1 - step * localBatch)) }
                let start = Swift.min(step * localBatch, rows), end = Swift.min(start + localBatch, rows)
                let (xb, yb) = order.map { o in (x[o[start..<end]], y[o[start..<end]]) } ?? (x, y)
                optimizer.zeroGrad()
                var loss = summedLoss(xb, yb) / (stepRows * lossDivisor)
                // DataParallel averages over ranks, so each rank's share of the global mean is
                // scaled up by the world size; the penalty, the same on every rank, is not.
                if world > 1 { loss = loss * Double(world) }
                if let penalty { loss = loss + penalty() }
                loss.backward()
                parallel?.averageGradients()
                optimizer.step()
                total += loss.item() / Double(world) * Double(stepRows)
            }
            let epochLoss = (world > 1 ? group.allReduce(total) : total) / Double(totalRows)
            losses.append(epochLoss)
            onEpoch?(epoch, epochLoss)
            if !epochLoss.isFinite || epochLoss > 1000 * Swift.max(losses[0], 1e-12) {
                throw TrainingError.diverged(epoch: epoch, loss: epochLoss)
            }
            if let checkpointing, epoch % checkpointing.every == 0, group.isMain {
                try Checkpoint(
                    model: StateDict(parameters.map { ($0.0, $0.1.detach()) }), optimizer: optimizer.stateDict(),
                    epoch: epoch, generators: [generator.getState()],
                    extra: ["losses": Tensor(shape: [losses.count], scalars: losses, dtype: .float64)], metadata: settings
                ).write(to: checkpointing.url)
            }
        }
        return losses
    }

    /// Loads a checkpoint's parameters, optimizer state and generator state, after checking
    /// that it belongs to a run with these settings; returns its loss history.
    static func restore(_ resume: Checkpoint, into parameters: [(String, Tensor)], optimizer: Optimizer,
                        generator: Generator, settings: [String: String]) throws -> [Double] {
        for (key, value) in settings.sorted(by: { $0.key < $1.key }) where resume.metadata[key] != value {
            throw TrainingError.cannotResume("the checkpoint was made with \(key) = \(resume.metadata[key] ?? "nothing"), this run has \(value)")
        }
        let saved = parameters.map { resume.model[$0.0] }
        guard zip(saved, parameters).allSatisfy({ $0?.shape == $1.1.shape }), resume.generators.count == 1,
              let history = resume.extra["losses"], history.scalarCount == resume.epoch
        else {
            let names = parameters.map(\.0).joined(separator: ", ")
            throw TrainingError.cannotResume("the checkpoint does not hold this model's \(names), generator and losses")
        }
        noGrad {
            for (tensor, value) in zip(parameters.map(\.1), saved) { tensor.copy(from: value!) }
        }
        do {
            try optimizer.loadStateDict(resume.optimizer)
        } catch {
            throw TrainingError.cannotResume("\(error)")
        }
        guard generator.setState(resume.generators[0]) else { throw TrainingError.cannotResume("its generator state is damaged") }
        return history.scalars(as: Double.self)
    }
}
