import Descent
import DescentData
import Foundation

/// The small network `descent fit --model mlp` trains: fully connected layers with an
/// activation (and dropout, in training) between them, the layout of PyTorch's
/// `nn.Sequential(nn.Linear, nn.ReLU, nn.Dropout, ..., nn.Linear)`.
///
/// Training may standardize features and targets; the scaling is folded into the first and
/// last layers afterwards (both are linear), so the fitted network reads and predicts data
/// units like the linear models.
///
/// ```swift
/// let g = Generator(seed: 0)
/// let net = MultilayerPerceptron(inputs: 4, hidden: [16], outputs: 3, activation: .relu, generator: g)
/// let logits = net(x)   // [rows, 3]
/// ```
public struct MultilayerPerceptron: Sendable {
    /// The activation between layers.
    public enum Activation: String, Sendable, CaseIterable {
        /// `max(0, x)`, `nn.ReLU`.
        case relu
        /// The exact GELU, `nn.GELU()`.
        case gelu
        /// `nn.Tanh`.
        case tanh

        func callAsFunction(_ x: Tensor) -> Tensor {
            switch self {
            case .relu: x.relu()
            case .gelu: x.gelu()
            case .tanh: x.tanh()
            }
        }
    }

    /// Each layer's weight `[out, in]` and bias `[out]`.
    public let layers: [(weight: Tensor, bias: Tensor)]
    /// The activation after every layer but the last.
    public let activation: Activation
    /// The dropout probability after every activation, in training.
    public let dropout: Double

    /// A network from its layers.
    public init(layers: [(weight: Tensor, bias: Tensor)], activation: Activation, dropout: Double = 0) {
        self.layers = layers
        self.activation = activation
        self.dropout = dropout
    }

    /// A new network initialised as PyTorch's `nn.Linear` layers are (Kaiming-uniform weights,
    /// uniform biases), drawn from `generator` layer by layer, requiring gradients.
    public init(inputs: Int, hidden: [Int], outputs: Int, activation: Activation, dropout: Double = 0, generator: Generator) {
        let sizes = [inputs] + hidden + [outputs]
        layers = (0..<(sizes.count - 1)).map { i in
            let bound = 1 / Double(sizes[i]).squareRoot()
            let w = Tensor.empty([sizes[i + 1], sizes[i]]), b = Tensor.empty([sizes[i + 1]])
            noGrad {
                w.uniform(from: -bound, to: bound, generator: generator)
                b.uniform(from: -bound, to: bound, generator: generator)
            }
            w.requiresGrad = true
            b.requiresGrad = true
            return (w, b)
        }
        self.activation = activation
        self.dropout = dropout
    }

    /// The outputs for rows `x`; in `training`, dropout draws its masks from `generator`.
    public func callAsFunction(_ x: Tensor, training: Bool = false, generator: Generator? = nil) -> Tensor {
        var h = x.to(layers[0].weight.dtype)
        for (i, layer) in layers.enumerated() {
            h = Tensor.linear(h, weight: layer.weight, bias: layer.bias)
            guard i < layers.count - 1 else { break }
            h = activation(h)
            if training && dropout > 0 { h = h.dropout(p: dropout, generator: generator) }
        }
        return h
    }

    /// Predictions without gradients or dropout.
    public func predict(_ x: Tensor) -> Tensor { noGrad { self(x) } }

    /// The parameters under the names `nn.Sequential` gives them: the linear layers' indices
    /// count the activation (and dropout, when there is any) between them.
    public var namedParameters: [(String, Tensor)] {
        let stride = dropout > 0 ? 3 : 2
        return layers.enumerated().flatMap { i, layer in [("\(i * stride).weight", layer.weight), ("\(i * stride).bias", layer.bias)] }
    }

    /// The network reading features in data units, `x = s z + m`, when it was trained on
    /// standardized `z`: the first layer absorbs the scaling.
    func readingDataUnits(mean: Tensor, std: Tensor) -> [(weight: Tensor, bias: Tensor)] {
        noGrad {
            var layers = self.layers.map { ($0.weight.detach(), $0.bias.detach()) }
            let (w, b) = layers[0]
            let scaled = (w / std.to(w.dtype).reshape(1, -1)).contiguous()
            layers[0] = (scaled, b - (scaled * mean.to(w.dtype).reshape(1, -1)).sum(dim: 1))
            return layers
        }
    }

    /// Trains a network by gradient descent through ``GradientDescent/train(parameters:x:y:options:generator:group:checkpointing:resume:settings:lossDivisor:onEpoch:penalty:summedLoss:)``:
    /// the mean squared error for `.regression(targets)`, the log-loss for `.classification(classes)`
    /// (one output for two classes, one per class otherwise). Returns the network in data
    /// units and each epoch's loss.
    public static func fit(
        x: Tensor, y: Tensor, task: Task, hidden: [Int], activation: Activation, dropout: Double = 0,
        options: LinearRegression.Options, group: ProcessGroup = SingleProcessGroup(),
        checkpointing: LinearRegression.Checkpointing? = nil, resume: Checkpoint? = nil,
        onEpoch: ((Int, Double) -> Void)? = nil
    ) throws -> (model: MultilayerPerceptron, losses: [Double]) {
        let features = x.shape[1]
        let (xs, xMean, xStd) = LinearRegression.standardized(x.to(.float32), options.standardize, group: group)
        var ys = y, yMean: Tensor?, yStd: Tensor?
        let outputs: Int
        switch task {
        case let .regression(targets):
            outputs = targets
            let (scaled, m, s) = LinearRegression.standardized((y.rank == 1 ? y.reshape(-1, 1) : y).to(.float32), options.standardize, group: group)
            ys = scaled
            if options.standardize { (yMean, yStd) = (m, s) }
        case let .classification(classes):
            outputs = classes == 2 ? 1 : classes
        }
        let generator = Generator(seed: options.seed)
        let net = MultilayerPerceptron(inputs: features, hidden: hidden, outputs: outputs, activation: activation,
                                       dropout: dropout, generator: generator)
        let settings = ["model": "mlp", "hidden": hidden.map(String.init).joined(separator: ","),
                        "activation": activation.rawValue, "dropout": "\(dropout)", "shape": "\(outputs)x\(features)"]
        let losses = try GradientDescent.train(
            parameters: net.namedParameters, x: xs, y: ys, options: options, generator: generator, group: group,
            checkpointing: checkpointing, resume: resume, settings: settings,
            lossDivisor: task.isClassification ? 1 : outputs, onEpoch: onEpoch
        ) { xb, yb in
            let out = net(xb, training: true, generator: generator)
            if task.isClassification { return LogisticRegression.summedLogLoss(out, yb) }
            let d = out - yb
            return (d * d).sum()
        }
        var layers = net.readingDataUnits(mean: xMean, std: xStd)
        if let yMean, let yStd {
            // The last layer gives standardized targets: y = s t + m.
            let (w, b) = layers[layers.count - 1]
            layers[layers.count - 1] = noGrad { ((w * yStd.reshape(-1, 1)).contiguous(), b * yStd + yMean) }
        }
        return (MultilayerPerceptron(layers: layers, activation: activation, dropout: dropout), losses)
    }

    /// What a network predicts.
    public enum Task: Sendable {
        /// This many numeric targets.
        case regression(Int)
        /// This many classes; `y` holds class indices.
        case classification(Int)

        var isClassification: Bool {
            if case .classification = self { return true }
            return false
        }
    }
}

extension MultilayerPerceptron {
    /// A network as a file: what `descent fit --model mlp --output` writes and `descent
    /// predict` reads. Safetensors with `nn.Sequential`'s parameter names (`0.weight`,
    /// `0.bias`, `2.weight`, ...) in float32, so Python loads it into the same `nn.Sequential`;
    /// metadata `model` = `mlp`, `task`, `activation`, `dropout`, the feature names, the
    /// targets (or the target and its classes), and the column encoding when there is one.
    public struct SavedModel: FitModelFile {
        /// The network, reading and predicting data units.
        public var model: MultilayerPerceptron
        /// The (encoded) feature names, in the order of the first layer's columns.
        public var features: [String]
        /// The target columns (one for a classifier).
        public var targets: [String]
        /// The classes, in the order of the probabilities, for a classifier; nil for regression.
        public var classes: [String]?
        /// How input columns become ``features``, when that is more than reading numbers.
        public var encoding: FeatureEncoding?
        /// Where the training data came from, when known.
        public var source: String?

        /// A network with its column names.
        public init(model: MultilayerPerceptron, features: [String], targets: [String], classes: [String]? = nil) {
            self.model = model
            self.features = features
            self.targets = targets
            self.classes = classes
        }

        /// Whether a model file holds a network.
        public static func isNetwork(_ file: Safetensors.File) -> Bool { file.metadata["model"] == "mlp" }

        /// Writes the model atomically: a failure leaves no file at `url`.
        public func write(to url: URL) throws {
            var metadata = [
                "model": "mlp", "task": classes == nil ? "regression" : "classification",
                "activation": model.activation.rawValue, "dropout": "\(model.dropout)",
                "features": ModelMetadata.list(features), "targets": ModelMetadata.list(targets),
            ]
            metadata["classes"] = classes.map(ModelMetadata.list)
            metadata["encoding"] = encoding?.json
            metadata["source"] = source
            try Safetensors.write(model.namedParameters.map { ($0.0, $0.1.detach().to(.float32)) }, metadata: metadata, to: url)
        }

        /// Decodes a network file already read (``FitModelFile/read(from:)`` reads one).
        ///
        /// - Throws: ``TensorFileError`` naming the file and what is wrong.
        public static func decode(_ file: Safetensors.File, path: String) throws -> SavedModel {
            func fail(_ problem: String) -> TensorFileError {
                TensorFileError(path, "not a network written by `descent fit --model mlp`: \(problem)")
            }
            guard let activation = file.metadata["activation"].flatMap(Activation.init(rawValue:)) else {
                throw fail("metadata \"activation\" is missing or unknown")
            }
            let dropout = file.metadata["dropout"].flatMap(Double.init) ?? 0
            guard let features = file.metadata["features"].flatMap(ModelMetadata.names),
                  let targets = file.metadata["targets"].flatMap(ModelMetadata.names) else {
                throw fail("metadata \"features\" or \"targets\" is missing")
            }
            let classes = file.metadata["classes"].flatMap(ModelMetadata.names)
            let stride = dropout > 0 ? 3 : 2
            var layers: [(weight: Tensor, bias: Tensor)] = []
            while let w = file.tensors["\(layers.count * stride).weight"], let b = file.tensors["\(layers.count * stride).bias"] {
                guard w.rank == 2, b.shape == [w.shape[0]], w.dtype.isFloatingPoint, b.dtype.isFloatingPoint else {
                    throw fail("layer \(layers.count * stride) has weight \(w.shape) and bias \(b.shape)")
                }
                if let previous = layers.last, previous.weight.shape[0] != w.shape[1] {
                    throw fail("layer \(layers.count * stride) takes \(w.shape[1]) inputs, the layer before gives \(previous.weight.shape[0])")
                }
                // One dtype for every layer, whatever the file stored.
                layers.append((w.to(.float32), b.to(.float32)))
            }
            let outputs = classes.map { $0.count == 2 ? 1 : $0.count } ?? targets.count
            guard let first = layers.first, let last = layers.last, first.weight.shape[1] == features.count, last.weight.shape[0] == outputs else {
                throw fail("its layers do not take \(features.count) features to \(outputs) outputs")
            }
            guard layers.allSatisfy({ ($0.weight.scalars(as: Double.self) + $0.bias.scalars(as: Double.self)).allSatisfy(\.isFinite) }) else {
                throw fail("parameters include NaN or infinity")
            }
            var saved = SavedModel(model: MultilayerPerceptron(layers: layers, activation: activation, dropout: dropout),
                                   features: features, targets: targets, classes: classes)
            saved.encoding = try ModelMetadata.encoding(file.metadata, features: features, path: path)
            saved.source = file.metadata["source"]
            return saved
        }
    }
}
