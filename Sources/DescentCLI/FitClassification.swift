import Descent
import DescentNN
import Foundation

/// The results of a classification fit: coefficients beside Newton's exact answer (or why
/// there is none), metrics for training, validation and the exact fit, charts, and the model.
struct ClassificationSummary: FitOutcome {
    let source: String
    let features: [String]
    let target: String
    let encoding: FeatureEncoding
    let losses: [Double]
    let classes: [String]
    /// The linear classifier gradient descent fitted; nil when a network was trained instead.
    let model: LogisticRegression?
    /// The network, with `--model mlp`.
    var network: MultilayerPerceptron? = nil
    /// Newton's optimum, or why there is none.
    let exact: Result<LogisticRegression.ExactFit, LogisticRegression.ExactFitError>
    let l2: Double
    let train: ClassificationMetrics
    let validation: ClassificationMetrics?
    let exactTrain: ClassificationMetrics?
    let seconds: Double
    /// ROC curves of the training rows, one per class (the positive class for two).
    let rocCurves: [(String, [(Double, Double)])]

    var parameters: [Double] {
        if let network { return network.layers.flatMap { $0.weight.scalars(as: Double.self) + $0.bias.scalars(as: Double.self) } }
        return model.map { $0.weights.scalars(as: Double.self) + $0.bias.scalars(as: Double.self) } ?? []
    }
    var exactModel: LogisticRegression? { try? exact.get().model }

    /// The rows of the weight matrix, named: one per class, or "logit of <class>" for two.
    var outputNames: [String] { classes.count == 2 ? ["logit of \(classes[1])"] : classes }

    var gap: Double? {
        guard let exactModel, model != nil else { return nil }
        let a = parameters, b = exactModel.weights.scalars(as: Double.self) + exactModel.bias.scalars(as: Double.self)
        let scale = Swift.max(b.map(Swift.abs).max() ?? 1, 1e-12)
        return zip(a, b).map { Swift.abs($0 - $1) / scale }.max()
    }

    var coefficientRows: [[String]] {
        let n = { (v: Double) in Progress.number(v) }
        let we = exactModel?.weights.rows(as: Double.self), be = exactModel?.bias.scalars(as: Double.self)
        let w = model?.weights.rows(as: Double.self) ?? [], b = model?.bias.scalars(as: Double.self) ?? []
        // Gradient descent's softmax weights are unique only up to a constant per feature;
        // centred over the classes, as the exact ones are, they compare entry by entry.
        let softmax = classes.count > 2
        let cw = softmax ? center(w) : w
        let cb = softmax ? b.map { $0 - b.reduce(0, +) / Double(b.count) } : b
        let fitted = model != nil
        return outputNames.enumerated().flatMap { j, output in
            features.enumerated().map { i, feature in [output, feature, fitted ? n(cw[j][i]) : "—", we.map { n($0[j][i]) } ?? "—"] }
                + [[output, "(bias)", fitted ? n(cb[j]) : "—", be.map { n($0[j]) } ?? "—"]]
        }
    }

    /// The network's rows are labelled as its, the exact fit's as the linear baseline.
    var labels: (train: String, validation: String, exact: String) {
        network == nil ? ("train", "validation", "exact, train") : ("network, train", "network, validation", "linear exact, train")
    }

    private func center(_ rows: [[Double]]) -> [[Double]] {
        guard let first = rows.first else { return rows }
        let means = first.indices.map { i in rows.reduce(0) { $0 + $1[i] } / Double(rows.count) }
        return rows.map { zip($0, means).map { $0 - $1 } }
    }

    var metricRows: [[String]] {
        let f = { (v: Double) in String(format: "%.4f", v) }
        return [(labels.train, Optional(train)), (labels.validation, validation), (labels.exact, exactTrain)].compactMap { label, m in
            m.map { [label, f($0.accuracy), f($0.balancedAccuracy), f($0.logLoss), f($0.macro.f1), $0.rocAUC.map(f) ?? "—"] }
        }
    }

    var classRows: [[String]] {
        let f = { (v: Double) in String(format: "%.4f", v) }
        let m = validation ?? train
        return zip(classes, m.perClass).map { [$0, f($1.precision), f($1.recall), f($1.f1), "\($1.support)"] }
            + [("macro average", m.macro), ("weighted average", m.weighted)].map { [$0, f($1.precision), f($1.recall), f($1.f1), "\($1.support)"] }
    }

    var exactNote: String {
        switch exact {
        case let .success(fit) where network != nil:
            return "The linear model's exact optimum (Newton's method, \(fit.iterations) iterations) is the baseline: the difference between its rows and the network's is what the network adds."
        case let .success(fit):
            let verdict = gap.map { $0 <= 1e-3 ? "gradient descent has converged." : "not converged yet: more --epochs, a larger --lr, --standardize or --optimizer adam would get closer." } ?? ""
            return "Exact optimum by Newton's method in \(fit.iterations) iterations (penalised log-loss \(Progress.number(fit.objective))). Largest gap to it: \(Progress.number(gap ?? .nan)) relative — \(verdict)"
        case let .failure(problem):
            return "No exact solution: \(problem)."
        }
    }

    var text: String {
        var lines = ["", network == nil ? "Coefficients (data units)            gradient descent        exact (Newton, l2 \(l2))"
                             : "Linear baseline (data units)         network                 exact (Newton, l2 \(l2))"]
        for output in outputNames {
            lines.append("  \(output)")
            for row in coefficientRows where row[0] == output { lines.append("    " + pad(row[1], 32) + pad(row[2], 24) + row[3]) }
        }
        lines.append("")
        lines.append("Metrics" + String(repeating: " ", count: labelWidth - 5) + "accuracy   balanced   log-loss   macro F1   ROC AUC")
        for row in metricRows { lines.append("  " + pad(row[0], labelWidth) + row.dropFirst().map { pad($0, 11) }.joined()) }
        lines.append("")
        lines.append(pad("Per class (\(validation == nil ? "training" : "validation") rows)", 30) + "precision  recall     F1         rows")
        for row in classRows { lines.append("  " + pad(row[0], labelWidth) + row.dropFirst().map { pad($0, 11) }.joined()) }
        lines.append("")
        let m = validation ?? train
        lines.append("Confusion matrix (\(validation == nil ? "training" : "validation") rows; rows true, columns predicted)")
        let width = Swift.max(8, (classes.map(\.count).max() ?? 0) + 2)
        lines.append("  " + pad("", width) + classes.map { pad($0, width) }.joined())
        for (name, row) in zip(classes, m.confusion) { lines.append("  " + pad(name, width) + row.map { pad("\($0)", width) }.joined()) }
        lines.append("")
        lines.append(exactNote)
        lines.append(FitText.finalLine(losses, seconds: seconds))
        return lines.joined(separator: "\n")
    }

    /// Room for the longest row label of the metrics table.
    private var labelWidth: Int { FitText.labelWidth(metricRows) }

    private func pad(_ s: String, _ width: Int) -> String { FitText.pad(s, width) }

    static func metricsJSON(_ m: ClassificationMetrics) -> [String: Any] {
        let scores = { (s: ClassificationMetrics.Scores) -> [String: Any] in
            ["precision": s.precision, "recall": s.recall, "f1": s.f1, "support": s.support]
        }
        return [
            "accuracy": m.accuracy, "balanced_accuracy": m.balancedAccuracy, "log_loss": m.logLoss,
            "roc_auc": m.rocAUC as Any? ?? NSNull(), "confusion": m.confusion,
            "per_class": Dictionary(uniqueKeysWithValues: zip(m.classes, m.perClass.map(scores))),
            "macro": scores(m.macro), "weighted": scores(m.weighted),
        ]
    }

    static func coefficients(_ model: LogisticRegression, _ features: [String], _ outputs: [String]) -> [String: Any] {
        let w = model.weights.rows(as: Double.self), b = model.bias.scalars(as: Double.self)
        return Dictionary(uniqueKeysWithValues: outputs.enumerated().map { j, t in
            (t, ["weights": Dictionary(uniqueKeysWithValues: zip(features, w[j])), "bias": b[j]] as [String: Any])
        })
    }

    var json: [String: Any] {
        var report: [String: Any] = [
            "task": "classification", "model": network == nil ? "linear" : "mlp", "classes": classes, "l2": l2,
            "gradient_descent": model.map { Self.coefficients($0, features, outputNames) } ?? NSNull(),
            "metrics": ["train": Self.metricsJSON(train)],
        ]
        var metrics = report["metrics"] as! [String: Any]
        if let validation { metrics["validation"] = Self.metricsJSON(validation) }
        if let exactTrain { metrics["exact_train"] = Self.metricsJSON(exactTrain) }
        report["metrics"] = metrics
        switch exact {
        case let .success(fit):
            report["exact"] = Self.coefficients(fit.model, features, outputNames)
            report["exact_iterations"] = fit.iterations
            report["max_relative_gap"] = gap ?? NSNull()
        case let .failure(problem):
            report["exact"] = NSNull()
            report["exact_problem"] = "\(problem)"
        }
        return report
    }

    var sections: [FitReport.Section] {
        let m = validation ?? train
        let rowsName = validation == nil ? "training" : "validation"
        return [
            FitReport.Section(heading: network == nil ? "Coefficients (data units)" : "Linear baseline (data units)",
                              html: FitReport.table(["output", "feature", network == nil ? "gradient descent" : "network", "exact (Newton)"], coefficientRows)
                                  + FitReport.paragraph(exactNote)),
            FitReport.Section(heading: "Metrics",
                              html: FitReport.table(["rows", "accuracy", "balanced accuracy", "log-loss", "macro F1", "ROC AUC"], metricRows)),
            FitReport.Section(heading: "Per class (\(rowsName) rows)",
                              html: FitReport.table(["class", "precision", "recall", "F1", "rows"], classRows)),
            FitReport.Section(heading: "Confusion matrix (\(rowsName) rows)",
                              html: FitReport.table(["true \\ predicted"] + classes, zip(classes, m.confusion).map { [$0] + $1.map(String.init) })),
        ]
    }

    var charts: [(file: String, svg: String)] {
        let m = validation ?? train
        let rowsName = validation == nil ? "training" : "validation"
        return [
            ("loss.svg", SVGPlot.line(losses, title: "Training loss (log-loss) by epoch")),
            ("confusion.svg", SVGPlot.confusion(m.confusion, classes: classes, title: "Confusion matrix (\(rowsName) rows)")),
            ("roc.svg", SVGPlot.roc(rocCurves, title: "ROC curves (\(rowsName) rows)")),
        ]
    }

    func writeModel(to url: URL) throws {
        if let network {
            var saved = MultilayerPerceptron.SavedModel(model: network, features: features, targets: [target], classes: classes)
            saved.source = source
            if !encoding.isPlain { saved.encoding = encoding }
            try saved.write(to: url)
            return
        }
        var saved = LogisticRegression.SavedModel(model: model!, features: features, target: target, source: source)
        if !encoding.isPlain { saved.encoding = encoding }
        try saved.write(to: url)
    }

    /// ROC curves of `probabilities` for `labels`: the second class's for two, every class's
    /// one-vs-rest otherwise.
    static func rocCurves(probabilities: Tensor, labels: Tensor, classes: [String]) -> [(String, [(Double, Double)])] {
        let p = probabilities.to(.float64).rows(as: Double.self), y = labels.scalars(as: Int.self)
        let positives = classes.count == 2 ? [1] : Array(classes.indices)
        return positives.compactMap { c in
            let curve = ClassificationMetrics.rocCurve(p.map { $0[c] }, y.map { $0 == c })
            return curve.isEmpty ? nil : (classes[c], curve)
        }
    }
}
