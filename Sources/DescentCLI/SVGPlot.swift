import Foundation

/// Self-contained SVG charts that open in any browser.
enum SVGPlot {
    static let width = 640.0, height = 400.0, margin = 56.0

    static func frame(_ title: String, _ body: String, xLabel: String, yLabel: String, xRange: (Double, Double), yRange: (Double, Double)) -> String {
        func tick(_ v: Double) -> String { Progress.number(v) }
        let escaped = title.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(width / 2)" y="24" text-anchor="middle" font-size="15">\(escaped)</text>
            <line x1="\(margin)" y1="\(height - margin)" x2="\(width - margin / 2)" y2="\(height - margin)" stroke="black"/>
            <line x1="\(margin)" y1="\(margin)" x2="\(margin)" y2="\(height - margin)" stroke="black"/>
            <text x="\(margin)" y="\(height - margin + 16)" text-anchor="middle">\(tick(xRange.0))</text>
            <text x="\(width - margin / 2)" y="\(height - margin + 16)" text-anchor="middle">\(tick(xRange.1))</text>
            <text x="\(margin - 4)" y="\(height - margin)" text-anchor="end">\(tick(yRange.0))</text>
            <text x="\(margin - 4)" y="\(margin + 4)" text-anchor="end">\(tick(yRange.1))</text>
            <text x="\(width / 2)" y="\(height - 12)" text-anchor="middle">\(xLabel)</text>
            <text x="16" y="\(height / 2)" text-anchor="middle" transform="rotate(-90 16 \(height / 2))">\(yLabel)</text>
            \(body)
            </svg>
            """
    }

    static func scale(_ v: Double, _ range: (Double, Double), _ from: Double, _ to: Double) -> Double {
        let span = range.1 - range.0
        return span == 0 ? (from + to) / 2 : from + (v - range.0) / span * (to - from)
    }

    /// A line chart of `values` against their index (1-based), on a log scale when they span
    /// more than two decades.
    static func line(_ values: [Double], title: String) -> String {
        let finite = values.filter(\.isFinite)
        let logScale = (finite.min() ?? 1) > 0 && (finite.max() ?? 1) / Swift.max(finite.min() ?? 1, 1e-300) > 100
        let ys = values.map { logScale ? Foundation.log10(Swift.max($0, 1e-300)) : $0 }
        let yRange = (ys.filter(\.isFinite).min() ?? 0, ys.filter(\.isFinite).max() ?? 1)
        let xRange = (1.0, Double(Swift.max(values.count, 1)))
        let step = Swift.max(1, values.count / 1000)
        let points = stride(from: 0, to: values.count, by: step).compactMap { i -> String? in
            guard ys[i].isFinite else { return nil }
            return "\(scale(Double(i + 1), xRange, margin, width - margin / 2)),\(scale(ys[i], yRange, height - margin, margin))"
        }.joined(separator: " ")
        let body = "<polyline fill=\"none\" stroke=\"steelblue\" stroke-width=\"2\" points=\"\(points)\"/>"
        return frame(title, body, xLabel: "epoch", yLabel: logScale ? "loss (log10)" : "loss", xRange: xRange, yRange: yRange)
    }

    /// Predicted against actual values, with the diagonal a perfect fit would lie on.
    static func scatter(actual: [Double], predicted: [Double], title: String) -> String {
        let all = (actual + predicted).filter(\.isFinite)
        let range = (all.min() ?? 0, all.max() ?? 1)
        let step = Swift.max(1, actual.count / 5000)
        var body = "<line x1=\"\(margin)\" y1=\"\(height - margin)\" x2=\"\(width - margin / 2)\" y2=\"\(margin)\" stroke=\"gray\" stroke-dasharray=\"4 4\"/>"
        for i in stride(from: 0, to: actual.count, by: step) where actual[i].isFinite && predicted[i].isFinite {
            body += "<circle cx=\"\(scale(actual[i], range, margin, width - margin / 2))\" cy=\"\(scale(predicted[i], range, height - margin, margin))\" r=\"3\" fill=\"darkorange\" fill-opacity=\"0.7\"/>"
        }
        return frame(title, body, xLabel: "actual", yLabel: "predicted", xRange: range, yRange: range)
    }

    /// Several named series of (x, y) points on one chart, with a legend.
    static func curves(_ series: [(String, [(Double, Double)])], title: String, xLabel: String, yLabel: String) -> String {
        let points = series.flatMap(\.1).filter { $0.0.isFinite && $0.1.isFinite }
        let xRange = (points.map(\.0).min() ?? 0, points.map(\.0).max() ?? 1)
        let yRange = (points.map(\.1).min() ?? 0, points.map(\.1).max() ?? 1)
        let colours = ["#9ecae1", "steelblue", "darkorange", "seagreen"]
        var body = ""
        for (k, (name, values)) in series.enumerated() {
            let colour = colours[k % colours.count]
            let step = Swift.max(1, values.count / 1000)
            let coordinates = stride(from: 0, to: values.count, by: step).compactMap { i -> String? in
                let (x, y) = values[i]
                guard x.isFinite && y.isFinite else { return nil }
                return "\(scale(x, xRange, margin, width - margin / 2)),\(scale(y, yRange, height - margin, margin))"
            }.joined(separator: " ")
            body += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(coordinates)\"/>"
            let legendY = margin + 8 + Double(k) * 16
            let escaped = name.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            body += "<line x1=\"\(width - 190)\" y1=\"\(legendY - 4)\" x2=\"\(width - 170)\" y2=\"\(legendY - 4)\" stroke=\"\(colour)\" stroke-width=\"3\"/>"
            body += "<text x=\"\(width - 164)\" y=\"\(legendY)\">\(escaped)</text>"
        }
        return frame(title, body, xLabel: xLabel, yLabel: yLabel, xRange: xRange, yRange: yRange)
    }
}
