import Descent

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

    public var description: String {
        switch self {
        case let .diverged(epoch, loss):
            "training diverged at epoch \(epoch) (loss \(loss)): try a smaller learning rate, or standardize the features"
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
        noGrad { x.to(weights.dtype).matmul(weights.t()) + bias }
    }

    /// The least-squares solution, computed in float64 with a column of ones for the bias.
    public static func fitExact(x: Tensor, y: Tensor) -> LinearRegression {
        let rows = x.shape[0]
        let design = Tensor.cat([x.to(.float64), Tensor.ones(rows, 1, dtype: .float64)], dim: 1)
        let targets = y.rank == 1 ? y.reshape(rows, 1) : y
        let solution = Tensor.lstsq(design, targets.to(.float64))   // [features + 1, targets]
        let features = x.shape[1]
        return LinearRegression(weights: solution[0..<features].t().contiguous(), bias: solution[features])
    }

    /// Fits by gradient descent on the mean squared error, calling `onEpoch(epoch, loss)` after
    /// each epoch. Returns the model and the loss of every epoch.
    ///
    /// - Throws: ``TrainingError/diverged(epoch:loss:)`` when the loss becomes NaN or infinite
    ///   or exceeds a thousand times its first value.
    public static func fit(
        x: Tensor, y: Tensor, options: Options, onEpoch: ((Int, Double) -> Void)? = nil
    ) throws -> (model: LinearRegression, losses: [Double]) {
        let rows = x.shape[0], features = x.shape[1]
        let y2 = (y.rank == 1 ? y.reshape(rows, 1) : y).to(.float32)
        let x2 = x.to(.float32)
        let targets = y2.shape[1]
        var xs = x2, ys = y2
        var xMean = Tensor.zeros(features), xStd = Tensor.ones(features)
        var yMean = Tensor.zeros(targets), yStd = Tensor.ones(targets)
        if options.standardize {
            xMean = x2.mean(dim: 0)
            xStd = Tensor.where(x2.std(dim: 0, correction: 0) .> 0, x2.std(dim: 0, correction: 0), 1.0)
            yMean = y2.mean(dim: 0)
            yStd = Tensor.where(y2.std(dim: 0, correction: 0) .> 0, y2.std(dim: 0, correction: 0), 1.0)
            xs = (x2 - xMean) / xStd
            ys = (y2 - yMean) / yStd
        }
        let generator = Generator(seed: options.seed)
        let w = Tensor.randn(targets, features, generator: generator, requiresGrad: true)
        let b = Tensor.randn(targets, generator: generator, requiresGrad: true)
        let optimizer: Optimizer
        switch options.optimizer {
        case .sgd: optimizer = SGD([w, b], lr: options.lr)
        case .momentum: optimizer = SGD([w, b], lr: options.lr, momentum: 0.9)
        case .adam: optimizer = Adam([w, b], lr: options.lr)
        }
        let batch = Swift.min(options.batchSize ?? rows, rows)
        var losses: [Double] = []
        for epoch in 1...Swift.max(options.epochs, 1) where options.epochs > 0 {
            var total = 0.0
            let order = batch < rows ? Tensor.randperm(rows, generator: generator) : nil
            var start = 0
            while start < rows {
                let end = Swift.min(start + batch, rows)
                let (xb, yb) = order.map { o in (xs[o[start..<end]], ys[o[start..<end]]) } ?? (xs, ys)
                optimizer.zeroGrad()
                let d = Tensor.linear(xb, weight: w, bias: b) - yb
                let loss = (d * d).sum() / d.scalarCount
                loss.backward()
                optimizer.step()
                total += loss.item() * Double(end - start)
                start = end
            }
            let epochLoss = total / Double(rows)
            losses.append(epochLoss)
            onEpoch?(epoch, epochLoss)
            if !epochLoss.isFinite || epochLoss > 1000 * Swift.max(losses[0], 1e-12) {
                throw TrainingError.diverged(epoch: epoch, loss: epochLoss)
            }
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
