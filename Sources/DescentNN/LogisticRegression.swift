import Descent
import Foundation

/// A linear classifier: logistic regression for two classes (one logit, as scikit-learn's
/// `LogisticRegression` keeps it), softmax regression for more (one logit per class).
///
/// Both are fitted to the same objective, the mean log-loss plus `l2 / 2` times the squared
/// weights (the intercepts are not penalised): by gradient descent as `descent fit` trains,
/// and exactly, in float64, by Newton's method (``fitExact(x:labels:classes:l2:group:)``).
/// With `l2 = λ` that is scikit-learn's `LogisticRegression(C = 1 / (n λ))`.
///
/// ```swift
/// let labels = Tensor([0, 1, 1, 0], dtype: .int64)
/// let exact = try LogisticRegression.fitExact(x: x, labels: labels, classes: ["no", "yes"], l2: 0.01)
/// let p = exact.model.probabilities(x)   // [4, 2]
/// ```
public struct LogisticRegression: Sendable {
    /// The class labels, in the order of the probabilities' columns.
    public let classes: [String]
    /// `[1, features]` for two classes (the logit of the second), `[classes, features]` for
    /// more, in the data's units.
    public let weights: Tensor
    /// `[1]` or `[classes]`.
    public let bias: Tensor

    /// A classifier with the given coefficients.
    public init(classes: [String], weights: Tensor, bias: Tensor) {
        self.classes = classes
        self.weights = weights
        self.bias = bias
    }

    /// The logits `x W^T + b`, `[rows, 1]` or `[rows, classes]`.
    public func logits(_ x: Tensor) -> Tensor {
        noGrad { x.to(weights.dtype).matmul(weights.t()) + bias }
    }

    /// Each row's probability of each class, `[rows, classes]`.
    public func probabilities(_ x: Tensor) -> Tensor {
        Self.probabilities(logits: logits(x))
    }

    /// Probabilities from logits `[rows, 1]` (the sigmoid of the one logit, as `[1 - p, p]`) or
    /// `[rows, classes]` (their softmax).
    public static func probabilities(logits z: Tensor) -> Tensor {
        noGrad {
            if z.shape[1] == 1 {
                let p = z.sigmoid()
                return Tensor.cat([1 - p, p], dim: 1)
            }
            return z.softmax(dim: 1)
        }
    }

    /// Each row's most probable class index, `[rows]` int64.
    public func predict(_ x: Tensor) -> Tensor {
        probabilities(x).argmax(dim: 1)
    }

    /// The penalised mean log-loss of logits `z` for `labels`, summed over rows (not yet
    /// divided), as gradient descent minimises it.
    static func summedLogLoss(_ z: Tensor, _ labels: Tensor) -> Tensor {
        if z.shape[1] == 1 {
            return Tensor.binaryCrossEntropyWithLogits(z.reshape(-1), labels.to(z.dtype), reduction: .sum)
        }
        return Tensor.crossEntropy(z, labels, reduction: .sum)
    }

    /// Fits by gradient descent on the mean log-loss plus `l2 / 2 |W|^2`, with the options,
    /// checkpoints and process group of ``LinearRegression/fit(x:y:options:group:checkpointing:resume:onEpoch:)``
    /// (`standardize` scales the features only; the coefficients come back in data units).
    public static func fit(
        x: Tensor, labels: Tensor, classes: [String], l2: Double = 0, options: LinearRegression.Options,
        group: ProcessGroup = SingleProcessGroup(), checkpointing: LinearRegression.Checkpointing? = nil,
        resume: Checkpoint? = nil, onEpoch: ((Int, Double) -> Void)? = nil
    ) throws -> (model: LogisticRegression, losses: [Double]) {
        if classes.count < 2 { fatalError("a classifier needs at least two classes, got \(classes.count)") }
        let features = x.shape[1], outputs = classes.count == 2 ? 1 : classes.count
        let (xs, mean, std) = LinearRegression.standardized(x.to(.float32), options.standardize, group: group)
        let generator = Generator(seed: options.seed)
        let w = Tensor.randn(outputs, features, generator: generator, requiresGrad: true)
        let b = Tensor.randn(outputs, generator: generator, requiresGrad: true)
        // Scaled as PyTorch initialises a Linear layer, so that the first logits are small.
        noGrad {
            w *= 1 / Double(features).squareRoot()
            b *= 0
        }
        let losses = try GradientDescent.train(
            parameters: [("weight", w), ("bias", b)], x: xs, y: labels, options: options, generator: generator, group: group,
            checkpointing: checkpointing, resume: resume,
            settings: ["shape": "\(outputs)x\(features)", "l2": "\(l2)", "classes": ModelMetadata.list(classes)],
            onEpoch: onEpoch,
            penalty: l2 > 0 ? { 0.5 * l2 * (w * w).sum() } : nil
        ) { xb, yb in
            summedLogLoss(Tensor.linear(xb, weight: w, bias: b), yb)
        }
        let (weights, bias) = dataUnits(w.detach(), b.detach(), mean: mean, std: std)
        return (LogisticRegression(classes: classes, weights: weights, bias: bias), losses)
    }

    /// Coefficients of standardized features in data units: W / s, and b - (W / s) m.
    static func dataUnits(_ w: Tensor, _ b: Tensor, mean: Tensor, std: Tensor) -> (Tensor, Tensor) {
        noGrad {
            let weights = (w / std.to(w.dtype).reshape(1, -1)).contiguous()
            let bias = b - (weights * mean.to(w.dtype).reshape(1, -1)).sum(dim: 1)
            return (weights, bias)
        }
    }

    /// What Newton's method found.
    public struct ExactFit: Sendable {
        /// The optimum, in data units.
        public let model: LogisticRegression
        /// Newton iterations taken.
        public let iterations: Int
        /// The penalised mean log-loss at the optimum.
        public let objective: Double
    }

    /// Why there is no exact solution to show.
    public enum ExactFitError: Error, CustomStringConvertible {
        /// The classes are separated by a hyperplane: the log-loss falls towards 0 as the
        /// weights grow without bound.
        case separable
        /// Newton's method did not settle (a near-singular problem).
        case notConverged(iterations: Int)

        public var description: String {
            switch self {
            case .separable:
                "the training classes are separable by the features, so the unpenalised log-loss has no finite minimum; add --l2 (say 1e-3) for a unique, finite solution"
            case let .notConverged(iterations):
                "Newton's method did not converge in \(iterations) iterations; add --l2 (say 1e-3) or --standardize"
            }
        }
    }

    /// The exact minimiser of the mean log-loss plus `l2 / 2 |W|^2` in float64, by Newton's
    /// method with a backtracking line search: its gradient and Hessian are float64 matrix
    /// products over all rows (summed over every rank of `group`), each step a blocked LU
    /// solve. With `standardize`, the problem is solved on standardized features (the
    /// objective gradient descent minimises then) and the answer given in data units.
    ///
    /// For more than two classes the weights are one row per class, unique only up to a
    /// constant added to every class; the solution given is the one whose rows sum to zero
    /// (which is also the optimum when `l2 > 0`), with the intercepts likewise centred.
    ///
    /// - Throws: ``ExactFitError/separable`` when the classes are linearly separable and
    ///   `l2` is 0; ``ExactFitError/notConverged(iterations:)`` otherwise when it fails to settle.
    public static func fitExact(
        x: Tensor, labels: Tensor, classes: [String], l2: Double = 0, standardize: Bool = false,
        group: ProcessGroup = SingleProcessGroup()
    ) throws -> ExactFit {
        let k = classes.count, outputs = k == 2 ? 1 : k
        let (xs, mean, std) = LinearRegression.standardized(x.to(.float64), standardize, group: group)
        let rows = xs.shape[0], features = xs.shape[1], width = features + 1
        let total = group.worldSize > 1 ? group.allReduce(Double(rows)) : Double(rows)
        let design = Tensor.cat([xs, Tensor.ones(rows, 1, dtype: .float64)], dim: 1)   // [rows, width]
        let y = outputs == 1 ? labels.to(.float64).reshape(rows, 1) : Tensor.oneHot(labels, numClasses: k).to(.float64)
        // The penalty acts on the weights, not the intercept (the last column).
        let penalised = Tensor(shape: [width], scalars: (0..<width).map { $0 < features ? 1.0 : 0.0 }, dtype: .float64)
        var theta = Tensor.zeros(outputs, width, dtype: .float64)

        func logits(_ t: Tensor) -> Tensor { design.matmul(t.t()) }
        func objective(_ t: Tensor) -> Double {
            let z = logits(t)
            let summed: Double
            if outputs == 1 {
                // log(1 + e^z) - y z, written to keep e^z finite.
                let softplus = z.clamp(min: 0) + (-(z.abs())).exp().log1p()
                summed = (softplus - y * z).sum().item()
            } else {
                summed = -(z.logSoftmax(dim: 1) * y).sum().item()
            }
            let all = group.worldSize > 1 ? group.allReduce(summed) : summed
            return all / total + 0.5 * l2 * (t * t * penalised).sum().item()
        }

        var current = objective(theta)
        var iterations = 0
        var converged = false
        while iterations < 100 {
            iterations += 1
            let z = logits(theta)
            let p = outputs == 1 ? z.sigmoid() : z.softmax(dim: 1)                      // [rows, outputs]
            let gradient = (p - y).t().matmul(design)                                  // [outputs, width]
            var blocks: [[Tensor]] = []
            for a in 0..<outputs {
                var row: [Tensor] = []
                for c in 0..<outputs {
                    // X^T diag(p_a (δ_ac - p_c)) X: the Hessian block of classes a and c, the
                    // same matrix as that of c and a (the weights are symmetric in a and c).
                    if c < a {
                        row.append(blocks[c][a])
                        continue
                    }
                    let weight = outputs == 1 ? p * (1 - p) : (a == c ? p[.all, a] * (1 - p[.all, a]) : -(p[.all, a] * p[.all, c]))
                    row.append(design.t().matmul(design * weight.reshape(rows, 1)))
                }
                blocks.append(row)
            }
            let hessian = Tensor.cat(blocks.map { Tensor.cat($0, dim: 1) }, dim: 0)        // [outputs * width]^2
            group.allReduce(gradient, op: .sum)
            group.allReduce(hessian, op: .sum)
            let size = outputs * width
            let ridge = Tensor.cat(Array(repeating: penalised, count: outputs)) * l2
            var h = hessian / total + ridge.diagEmbed()
            let g = (gradient / total + l2 * theta * penalised).reshape(size)
            if outputs > 1 {
                // Adding a constant to every class's row changes nothing: that direction is
                // held at zero by adding (1 / K) J ⊗ I, which leaves the step unchanged.
                let eye = Tensor.eye(width, dtype: .float64)
                h = h + Tensor.cat((0..<outputs).map { _ in Tensor.cat(Array(repeating: eye, count: outputs), dim: 1) }, dim: 0) / Double(outputs)
            }
            let step = Tensor.solve(h, g).reshape(outputs, width)
            // Backtracking: halve the step until the objective does not rise.
            var scale = 1.0, next = theta - step, value = objective(next)
            while !(value <= current) && scale > 1e-8 {
                scale /= 2
                next = theta - scale * step
                value = objective(next)
            }
            let change = (scale * step).abs().max().item()
            theta = next
            let improvement = current - value
            current = value
            if change <= 1e-10 * Swift.max(1, theta.abs().max().item()) || (improvement >= 0 && improvement <= 1e-15 * Swift.max(1, Swift.abs(current))) {
                converged = true
                break
            }
            if l2 == 0 && theta.abs().max().item() > 1e6 { break }
        }
        // Weights that put every row in its own class can be scaled up to lower the loss
        // further, without end: the data are separable and the optimum is at infinity.
        if l2 == 0 && separates(logits(theta), labels, outputs: outputs, group: group) { throw ExactFitError.separable }
        if !converged { throw ExactFitError.notConverged(iterations: iterations) }
        if outputs > 1 { theta = theta - theta.mean(dim: 0, keepDim: true) }
        let w = theta[.all, 0..<features].contiguous(), b = theta[.all, features].contiguous()
        let (weights, bias) = dataUnits(w, b, mean: mean, std: std)
        return ExactFit(model: LogisticRegression(classes: classes, weights: weights, bias: bias),
                        iterations: iterations, objective: current)
    }

    /// Whether every row's logits put its own class strictly first, on every rank.
    static func separates(_ z: Tensor, _ labels: Tensor, outputs: Int, group: ProcessGroup) -> Bool {
        let wrong: Double
        if outputs == 1 {
            let sign = labels.to(.float64) * 2 - 1
            wrong = ((z.reshape(-1) * sign) .<= 0).to(.float64).sum().item()
        } else {
            wrong = (z.argmax(dim: 1) .!= labels).to(.float64).sum().item()
        }
        return (group.worldSize > 1 ? group.allReduce(wrong) : wrong) == 0
    }
}
