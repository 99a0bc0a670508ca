import Descent
import DescentNN
import Foundation

/// The results of a regression fit: coefficients beside the exact least-squares answer (or,
/// for a network, the exact linear fit as the baseline it is measured against), metrics,
/// charts, and the model file.
struct FitSummary: FitOutcome {
    let source: String
    let features: [String]
    let targets: [String]
    let encoding: FeatureEncoding
    let losses: [Double]
    /// The linear model gradient descent fitted; nil when a network was trained instead.
    let model: LinearRegression?
    /// The network, with `--model mlp`.
    var network: MultilayerPerceptron? = nil
    let exact: LinearRegression
    let train: [RegressionMetrics]
    let validation: [RegressionMetrics]?
    let exactTrain: [RegressionMetrics]
    let seconds: Double
    /// (actual, predicted) pairs per target for the charts: training rows, validation rows.
    let trainPairs: [[(Double, Double)]]
    let validationPairs: [[(Double, Double)]]?

    /// The largest relative difference between gradient descent's and the exact coefficients.
    var gap: Double {
        guard let model else { return .nan }
        let a = model.weights.scalars(as: Double.self) + model.bias.scalars(as: Double.self)
        let b = exact.weights.scalars(as: Double.self) + exact.bias.scalars(as: Double.self)
        let scale = Swift.max(b.map(Swift.abs).max() ?? 1, 1e-12)
        return zip(a, b).map { Swift.abs($0 - $1) / scale }.max() ?? 0
    }

    var converged: Bool { gap <= 1e-3 }

    var parameters: [Double] {
        if let network { return network.layers.flatMap { $0.weight.scalars(as: Double.self) + $0.bias.scalars(as: Double.self) } }
        return model.map { $0.weights.scalars(as: Double.self) + $0.bias.scalars(as: Double.self) } ?? []
    }

    /// Target, feature, gradient descent's coefficient (— for a network), the exact one.
    var coefficientRows: [[String]] {
        let n = { (v: Double) in Progress.number(v) }
        let w = model?.weights.rows(as: Double.self), we = exact.weights.rows(as: Double.self)
        let b = model?.bias.scalars(as: Double.self), be = exact.bias.scalars(as: Double.self)
        return targets.enumerated().flatMap { j, target in
            features.enumerated().map { i, feature in [target, feature, w.map { n($0[j][i]) } ?? "—", n(we[j][i])] }
                + [[target, "(bias)", b.map { n($0[j]) } ?? "—", n(be[j])]]
        }
    }

    /// The network's rows are labelled as its, the exact fit's as the linear baseline.
    var labels: (train: String, validation: String, exact: String) {
        network == nil ? ("train", "validation", "exact, train") : ("network, train", "network, validation", "linear exact, train")
    }

    var metricRows: [[String]] {
        let n = { (v: Double) in Progress.number(v) }
        return targets.enumerated().flatMap { j, target in
            [(labels.train, train[j]), (labels.validation, validation?[j]), (labels.exact, exactTrain[j])].compactMap { label, m in
                m.map { ["\(target) \(label)", n($0.mse), n($0.rmse), n($0.mae), String(format: "%.6f", $0.r2)] }
            }
        }
    }

    var verdict: String {
        if let network {
            return "A network of \(network.layers.dropLast().map { "\($0.weight.shape[0])" }.joined(separator: ", ")) hidden units (\(network.activation.rawValue)); "
                + "the linear model's exact least-squares fit is the baseline: the difference between their rows is what the network adds."
        }
        return "Largest gap to the exact solution: \(Progress.number(gap)) relative — " + (converged
            ? "gradient descent has converged."
            : "not converged yet: more --epochs, a larger --lr, --standardize or --optimizer adam would get closer.")
    }

    var text: String {
        var lines = ["", network == nil ? "Coefficients (data units)            gradient descent        exact least squares"
                             : "Linear baseline (data units)         network                 exact least squares"]
        for target in targets {
            lines.append("  \(target)")
            for row in coefficientRows where row[0] == target {
                lines.append("    " + pad(row[1], 32) + pad(row[2], 24) + row[3])
            }
        }
        lines.append("")
        lines.append("Metrics" + String(repeating: " ", count: labelWidth - 5) + "MSE           RMSE          MAE           R²")
        for row in metricRows {
            lines.append("  " + pad(row[0], labelWidth) + pad(row[1], 14) + pad(row[2], 14) + pad(row[3], 14) + row[4])
        }
        lines.append("")
        lines.append(verdict)
        lines.append(FitText.finalLine(losses, seconds: seconds))
        return lines.joined(separator: "\n")
    }

    /// Room for the longest row label of the metrics table.
    private var labelWidth: Int { FitText.labelWidth(metricRows) }

    private func pad(_ s: String, _ width: Int) -> String { FitText.pad(s, width) }

    private static func metricsJSON(_ m: [RegressionMetrics], _ targets: [String]) -> [String: Any] {
        Dictionary(uniqueKeysWithValues: zip(targets, m).map { ($0, ["mse": $1.mse, "rmse": $1.rmse, "mae": $1.mae, "r2": $1.r2]) })
    }

    private static func coefficients(_ model: LinearRegression, _ features: [String], _ targets: [String]) -> [String: Any] {
        let w = model.weights.rows(as: Double.self), b = model.bias.scalars(as: Double.self)
        return Dictionary(uniqueKeysWithValues: targets.enumerated().map { j, t in
            (t, ["weights": Dictionary(uniqueKeysWithValues: zip(features, w[j])), "bias": b[j]] as [String: Any])
        })
    }

    var json: [String: Any] {
        var report: [String: Any] = [
            "task": "regression", "model": network == nil ? "linear" : "mlp",
            "gradient_descent": model.map { Self.coefficients($0, features, targets) } ?? NSNull(),
            "exact": Self.coefficients(exact, features, targets),
            "max_relative_gap": network == nil ? gap : NSNull(), "converged": network == nil ? converged : NSNull(),
            "metrics": ["train": Self.metricsJSON(train, targets), "exact_train": Self.metricsJSON(exactTrain, targets)],
        ]
        if let validation { report["validation_metrics"] = Self.metricsJSON(validation, targets) }
        return report
    }

    var sections: [FitReport.Section] {
        [
            FitReport.Section(heading: network == nil ? "Coefficients (data units)" : "Linear baseline (data units)",
                              html: FitReport.table(["target", "feature", network == nil ? "gradient descent" : "network", "exact least squares"], coefficientRows)
                                  + FitReport.paragraph(verdict)),
            FitReport.Section(heading: "Metrics", html: FitReport.table(["rows", "MSE", "RMSE", "MAE", "R²"], metricRows)),
        ]
    }

    var charts: [(file: String, svg: String)] {
        var charts = [("loss.svg", SVGPlot.line(losses, title: "Training loss (MSE) by epoch"))]
        for (j, name) in targets.enumerated() {
            let validation = validationPairs?[j]
            charts.append(("predicted-\(name).svg",
                           SVGPlot.predictedVersusActual(train: trainPairs[j], validation: validation, title: "\(name): predicted vs actual")))
            charts.append(("residuals-\(name).svg",
                           SVGPlot.residuals(train: trainPairs[j], validation: validation, title: "\(name): residuals")))
        }
        return charts
    }

    func writeModel(to url: URL) throws {
        if let network {
            var saved = MultilayerPerceptron.SavedModel(model: network, features: features, targets: targets)
            saved.source = source
            if !encoding.isPlain { saved.encoding = encoding }
            try saved.write(to: url)
            return
        }
        var saved = LinearRegression.SavedModel(model: model!, features: features, targets: targets, source: source)
        if !encoding.isPlain { saved.encoding = encoding }
        try saved.write(to: url)
    }

    /// (actual, predicted) pairs of each target column, at most `limit` rows evenly spaced.
    static func pairs(actual: Tensor, predicted: Tensor, limit: Int = 4000) -> [[(Double, Double)]] {
        let rows = actual.shape[0], step = Swift.max(1, rows / limit)
        let index = Tensor.arange(0, rows, step: step)
        let a = actual[index].to(.float64), p = predicted[index].to(.float64)
        return (0..<actual.shape[1]).map { j in Array(zip(a[.all, j].scalars(as: Double.self), p[.all, j].scalars(as: Double.self))) }
    }
}
