import Descent
import Foundation

/// Goodness of fit for one target.
public struct RegressionMetrics: Sendable, Equatable {
    /// Mean squared error.
    public let mse: Double
    /// Root mean squared error.
    public let rmse: Double
    /// Mean absolute error.
    public let mae: Double
    /// The coefficient of determination, 1 for a perfect fit.
    public let r2: Double
}

/// Why gradient descent stopped early.
public enum TrainingError: Error, CustomStringConvertible {
    /// The loss became NaN or infinite, or grew far beyond where it started.
    case diverged(epoch: Int, loss: Double)
    /// A checkpoint given to resume from does not belong to this run.
    case cannotResume(String)

    public var description: String {
        switch self {
        case let .diverged(epoch, loss):
            "training diverged at epoch \(epoch) (loss \(loss)): try a smaller learning rate, or standardize the features"
        case let .cannotResume(reason):
            "cannot resume: \(reason)"
        }
    }
}

/// A linear model `y = x W^T + b` with one or more targets, fitted exactly (least squares in
/// float64) or by gradient descent as the seed notebook does.
///
/// ```swift
/// let exact = LinearRegression.fitExact(x: features, y: targets)
/// let (model, losses) = try LinearRegression.fit(x: features, y: targets,
///                                                options: .init(epochs: 500, lr: 0.1, optimizer: .adam, standardize: true))
/// let predictions = model.predict(features)
/// ```
public struct LinearRegression: Sendable {
    /// How gradient descent runs.
    public struct Options: Sendable {
        /// The optimizer gradient descent uses.
        public enum Method: String, Sendable, CaseIterable {
            case sgd, momentum, adam
        }
        /// Passes over the data.
        public var epochs: Int
        /// The learning rate.
        public var lr: Double
        /// Which optimizer updates the coefficients.
        public var optimizer: Method
        /// Rows per step; `nil` uses the whole data set each step (full batch).
        public var batchSize: Int?
        /// Train on features and targets scaled to mean 0, standard deviation 1; the fitted
        /// coefficients are given back in the data's own units.
        public var standardize: Bool
        /// Seeds the initial weights and the batch order.
        public var seed: UInt64

        /// Settings; the defaults are the seed notebook's.
        public init(epochs: Int = 500, lr: Double = 1e-5, optimizer: Method = .sgd, batchSize: Int? = nil,
                    standardize: Bool = false, seed: UInt64 = 0) {
            self.epochs = epochs
            self.lr = lr
            self.optimizer = optimizer
            self.batchSize = batchSize
            self.standardize = standardize
            self.seed = seed
        }
    }

    /// `[targets, features]`, in the data's units.
    public let weights: Tensor
    /// `[targets]`, in the data's units.
    public let bias: Tensor

    /// How training scaled features and targets, when it standardized them.
    public struct Standardization: Sendable {
        /// Per-column means and standard deviations, in column order.
        public let featureMeans: [Double], featureStds: [Double], targetMeans: [Double], targetStds: [Double]

        /// Statistics for each feature and target column, in column order.
        public init(featureMeans: [Double], featureStds: [Double], targetMeans: [Double], targetStds: [Double]) {
            self.featureMeans = featureMeans
            self.featureStds = featureStds
            self.targetMeans = targetMeans
            self.targetStds = targetStds
        }
    }
    /// The scaling gradient descent trained under, or `nil` without `standardize`.
    public var standardization: Standardization? = nil

    /// A model with the given coefficients.
    public init(weights: Tensor, bias: Tensor) {
        self.weights = weights
        self.bias = bias
    }

    /// Predictions `x W^T + b` for rows of features.
    public func predict(_ x: Tensor) -> Tensor {
        noGrad {
            let rows = x.shape[0], block = 65536
            guard x.dtype != weights.dtype && rows > block else { return x.to(weights.dtype).matmul(weights.t()) + bias }
            // float64 coefficients on float32 rows: converted a block at a time, not as one
            // float64 copy of every row (256 MB for a million rows of 32).
            let parts = stride(from: 0, to: rows, by: block).map { start in
                x[start..<Swift.min(rows, start + block)].to(weights.dtype).matmul(weights.t())
            }
            return Tensor.cat(parts) + bias
        }
    }

    /// The least-squares solution, computed in float64 with a column of ones for the bias.
    public static func fitExact(x: Tensor, y: Tensor) -> LinearRegression {
        let rows = x.shape[0]
        let targets = y.rank == 1 ? y.reshape(rows, 1) : y
        // The column of ones is added as the rows stream through the solver, not by copying
        // every row into a float64 design matrix first (272 MB for a million rows of 33).
        let solution = Tensor._leastSquares(x, appendingOnes: true, targets.to(.float64))   // [features + 1, targets]
        let features = x.shape[1]
        return LinearRegression(weights: solution[0..<features].t().contiguous(), bias: solution[features])
    }

    /// The least-squares solution over every rank's rows. One process computes it by QR as
    /// ``fitExact(x:y:)`` does; several solve the normal equations of the centred and scaled
    /// columns, summed over ranks in float64 (accurate to about the square of the columns'
    /// condition number times 1e-16, ample for a reference beside gradient descent).
    public static func fitExact(x: Tensor, y: Tensor, group: ProcessGroup) -> LinearRegression {
        guard group.worldSize > 1 else { return fitExact(x: x, y: y) }
        let rows = x.shape[0], features = x.shape[1]
        let x64 = x.to(.float64), y64 = (y.rank == 1 ? y.reshape(rows, 1) : y).to(.float64)
        let total = Int(group.allReduce(Double(rows)))
        let (xMean, scale) = globalColumnStatistics(x64, group: group, totalRows: total)
        let yMean = globalColumnStatistics(y64, group: group, totalRows: total).mean
        let xc = x64 - xMean, yc = y64 - yMean
        let xs = xc / scale
        let gram = xs.t().matmul(xs), moments = xs.t().matmul(yc)
        group.allReduce(gram, op: .sum)
        group.allReduce(moments, op: .sum)
        let solution = Tensor.lstsq(gram, moments) / scale.reshape(features, 1)   // [features, targets]
        let weights = solution.t().contiguous()
        let bias = yMean - (weights * xMean.reshape(1, features)).sum(dim: 1)
        return LinearRegression(weights: weights, bias: bias)
    }

    /// ``metrics(predicted:actual:)`` over every rank's rows.
    public static func metrics(predicted: Tensor, actual: Tensor, group: ProcessGroup) -> [RegressionMetrics] {
        guard group.worldSize > 1 else { return metrics(predicted: predicted, actual: actual) }
        let p = (predicted.rank == 1 ? predicted.reshape(-1, 1) : predicted).to(.float64)
        let a = (actual.rank == 1 ? actual.reshape(-1, 1) : actual).to(.float64)
        return noGrad {
            let total = group.allReduce(Double(a.shape[0]))
            let d = p - a
            let sums = Tensor.stack([(d * d).sum(dim: 0), d.abs().sum(dim: 0), a.sum(dim: 0)])   // [3, targets]
            group.allReduce(sums, op: .sum)
            let centered = a - sums[2] / total
            let spread = (centered * centered).sum(dim: 0)
            group.allReduce(spread, op: .sum)
            return (0..<a.shape[1]).map { j in
                let sse = sums[0, j].item(), mse = sse / total, spreadJ = spread[j].item()
                let r2 = spreadJ > 0 ? 1 - sse / spreadJ : (mse == 0 ? 1 : 0)
                return RegressionMetrics(mse: mse, rmse: mse.squareRoot(), mae: sums[1, j].item() / total, r2: r2)
            }
        }
    }

    /// Where and how often ``fit(x:y:options:group:checkpointing:resume:onEpoch:)`` saves
    /// checkpoints.
    public struct Checkpointing: Sendable {
        /// The checkpoint file, replaced atomically each time.
        public var url: URL
        /// Save after every `every` epochs.
        public var every: Int
        /// Settings a resumed run must share with this one (column names, say), kept in the file.
        public var metadata: [String: String]

        /// Saves to `url` every `every` epochs.
        public init(url: URL, every: Int, metadata: [String: String] = [:]) {
            if every <= 0 { fatalError("checkpoints need a positive interval, got \(every)") }
            self.url = url
            self.every = every
            self.metadata = metadata
        }
    }

    /// Fits by gradient descent on the mean squared error, calling `onEpoch(epoch, loss)` after
    /// each epoch. Returns the model and the loss of every epoch.
    ///
    /// With a `group` of several processes, each passes its own rows (a shard) and the group
    /// trains one model on all of them: the standardization statistics are computed over every
    /// rank's rows, every step's gradient is the mean over the whole (global) batch, and every
    /// rank ends with the same parameters. Full-batch training then takes the same steps as one
    /// process with all the rows, up to the order of floating-point sums. With `batchSize`,
    /// each rank takes `batchSize / worldSize` (rounded up) of its own rows per step, in an
    /// order shuffled every epoch.
    ///
    /// With `checkpointing`, rank 0 saves the parameters, optimizer state, generator state and
    /// loss history every `every` epochs; passing that ``Checkpoint`` back as `resume` continues
    /// the run as if it had not stopped (bit for bit on one process).
    ///
    /// - Throws: ``TrainingError/diverged(epoch:loss:)`` when the loss becomes NaN or infinite
    ///   or exceeds a thousand times its first value; ``TrainingError/cannotResume(_:)`` when
    ///   `resume` comes from a run with other settings; file errors from saving a checkpoint.
    public static func fit(
        x: Tensor, y: Tensor, options: Options, group: ProcessGroup = SingleProcessGroup(),
        checkpointing: Checkpointing? = nil, resume: Checkpoint? = nil,
        onEpoch: ((Int, Double) -> Void)? = nil
    ) throws -> (model: LinearRegression, losses: [Double]) {
        let rows = x.shape[0], features = x.shape[1]
        let y2 = (y.rank == 1 ? y.reshape(rows, 1) : y).to(.float32)
        let x2 = x.to(.float32)
        let targets = y2.shape[1]
        let (xs, xMean, xStd) = standardized(x2, options.standardize, group: group)
        let (ys, yMean, yStd) = standardized(y2, options.standardize, group: group)
        let generator = Generator(seed: options.seed)
        let w = Tensor.randn(targets, features, generator: generator, requiresGrad: true)
        let b = Tensor.randn(targets, generator: generator, requiresGrad: true)
        let losses = try GradientDescent.train(
            parameters: [("weight", w), ("bias", b)], x: xs, y: ys, options: options, generator: generator, group: group,
            checkpointing: checkpointing, resume: resume, settings: ["shape": "\(targets)x\(features)"],
            lossDivisor: targets, onEpoch: onEpoch
        ) { xb, yb in
            let d = Tensor.linear(xb, weight: w, bias: b) - yb
            return (d * d).sum()
        }
        // Back to the data's units: w = w' * sy / sx, b = my + sy * b' - w . mx.
        let scaledW = noGrad { w * yStd.reshape(targets, 1) / xStd.reshape(1, features) }
        let scaledB = noGrad { yMean + yStd * b - (scaledW * xMean.reshape(1, features)).sum(dim: 1) }
        var model = LinearRegression(weights: scaledW.detach(), bias: scaledB.detach())
        if options.standardize {
            let values = { (t: Tensor) in t.scalars(as: Double.self) }
            model.standardization = Standardization(featureMeans: values(xMean), featureStds: values(xStd),
                                                    targetMeans: values(yMean), targetStds: values(yStd))
        }
        return (model, losses)
    }

    /// Columns scaled to mean 0 and standard deviation 1 over every rank's rows when asked
    /// (divided in place: a million rows are one copy, not two), with the statistics (or zeros
    /// and ones). Every model `descent fit` trains standardizes through here.
    static func standardized(_ x: Tensor, _ standardize: Bool, group: ProcessGroup) -> (Tensor, Tensor, Tensor) {
        let features = x.shape[1]
        guard standardize else { return (x, Tensor.zeros(features, dtype: x.dtype), Tensor.ones(features, dtype: x.dtype)) }
        let total = group.worldSize > 1 ? Int(group.allReduce(Double(x.shape[0]))) : x.shape[0]
        let (mean, std) = LinearRegression.columnStatistics(x, group: group, totalRows: total)
        let xs = x - mean
        noGrad { xs /= std }
        return (xs, mean, std)
    }

    /// Column means and population standard deviations (1 where a column is constant), over
    /// every rank's rows: float32 as PyTorch computes them for one process, float64 sums
    /// across ranks otherwise.
    static func columnStatistics(_ t: Tensor, group: ProcessGroup, totalRows: Int) -> (mean: Tensor, std: Tensor) {
        if group.worldSize == 1 {
            let std = t.std(dim: 0, correction: 0)
            return (t.mean(dim: 0), Tensor.where(std .> 0, std, 1.0))
        }
        let (mean, std) = globalColumnStatistics(t.to(.float64), group: group, totalRows: totalRows)
        return (mean.to(.float32), std.to(.float32))
    }

    /// Column means and population standard deviations (1 where a column is constant) of a
    /// float64 tensor over every rank's rows: two passes, each summed across ranks.
    static func globalColumnStatistics(_ t: Tensor, group: ProcessGroup, totalRows: Int) -> (mean: Tensor, std: Tensor) {
        let sum = t.sum(dim: 0)
        group.allReduce(sum, op: .sum)
        let mean = sum / Double(totalRows)
        let centered = t - mean
        let squares = (centered * centered).sum(dim: 0)
        group.allReduce(squares, op: .sum)
        let std = (squares / Double(totalRows)).sqrt()
        return (mean, Tensor.where(std .> 0, std, 1.0))
    }

    /// MSE, RMSE, MAE and R² for each target column.
    public static func metrics(predicted: Tensor, actual: Tensor) -> [RegressionMetrics] {
        let p = (predicted.rank == 1 ? predicted.reshape(-1, 1) : predicted).to(.float64)
        let a = (actual.rank == 1 ? actual.reshape(-1, 1) : actual).to(.float64)
        return noGrad {
            (0..<a.shape[1]).map { j in
                let pj = p[.all, j], aj = a[.all, j]
                let d = pj - aj
                let mse = (d * d).mean().item()
                let mae = d.abs().mean().item()
                let centered = aj - aj.mean()
                let total = (centered * centered).sum().item()
                let r2 = total > 0 ? 1 - (d * d).sum().item() / total : (mse == 0 ? 1 : 0)
                return RegressionMetrics(mse: mse, rmse: mse.squareRoot(), mae: mae, r2: r2)
            }
        }
    }
}
