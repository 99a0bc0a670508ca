import Foundation

/// Training progress: a live bar on a terminal, plain periodic lines otherwise, nothing when
/// quiet.
final class Progress {
    let total: Int
    let quiet: Bool
    let live = isatty(STDOUT_FILENO) != 0
    let started = ContinuousClock.now
    private var lastDraw = ContinuousClock.now
    private var drew = false

    init(total: Int, quiet: Bool) {
        self.total = total
        self.quiet = quiet
    }

    func update(_ epoch: Int, _ loss: Double) {
        guard !quiet else { return }
        let elapsed = (ContinuousClock.now - started).seconds
        let rate = Double(epoch) / Swift.max(elapsed, 1e-9)
        let remaining = Double(total - epoch) / Swift.max(rate, 1e-9)
        if live {
            guard epoch == total || (ContinuousClock.now - lastDraw).seconds > 0.1 else { return }
            lastDraw = ContinuousClock.now
            let line = "\r[\(Self.bar(epoch, total))] epoch \(epoch)/\(total)  loss \(Self.number(loss))  \(Int(rate)) epochs/s  \(Self.duration(remaining)) left"
            FileHandle.standardOutput.write(Data(line.utf8))
            drew = true
        } else {
            let every = Swift.max(total / 10, 1)
            if epoch == 1 || epoch % every == 0 || epoch == total {
                print("epoch \(epoch)/\(total)  loss \(Self.number(loss))  \(Int(rate)) epochs/s")
            }
        }
    }

    func finish() {
        if drew { print() }
    }

    /// `#` for the share done of thirty characters, `-` for the rest.
    static func bar(_ done: Int, _ total: Int, width: Int = 30) -> String {
        let filled = Swift.min(width, Int(Double(width) * Double(done) / Double(Swift.max(total, 1))))
        return String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
    }

    static func number(_ v: Double) -> String {
        if v == 0 || (Swift.abs(v) >= 1e-3 && Swift.abs(v) < 1e6) { return String(format: "%.4f", v) }
        return String(format: "%.4e", v)
    }

    static func duration(_ s: Double) -> String {
        s < 60 ? String(format: "%.1fs", s) : String(format: "%dm%02ds", Int(s) / 60, Int(s) % 60)
    }
}
