import Testing
import Descent

/// The seed notebook, end to end: the library port and the `descent notebook` replay.
struct NotebookTests {
    struct Cell: Decodable {
        let cell: Int
        let output: String
    }
    struct Run: Decodable {
        let seed: UInt64?
        let cells: [Cell]
        let final_loss: Double
    }
    struct Example: Decodable {
        let loss: Double
        let repr: String
        let w: TensorFixture
        let b: TensorFixture
    }
    struct File: Decodable {
        let runs: [Run]
        let example: Example
    }
    static let file: File? = try? Fixtures.load("notebook", as: File.self)

    /// The port of the notebook that the README and the issue show, verbatim.
    @Test func swiftPortGivesPyTorchsNumbers() throws {
        let expected = try #require(Self.file?.example)
        let inputs = Tensor([[73, 67, 43], [91, 88, 64], [87, 134, 58], [102, 43, 37], [69, 96, 70]])
        let targets = Tensor([[56, 70], [81, 101], [119, 133], [22, 37], [103, 119]])
        let g = Generator(seed: 0)
        let w = Tensor.randn(2, 3, generator: g, requiresGrad: true)
        let b = Tensor.randn(2, generator: g, requiresGrad: true)
        func model(_ x: Tensor) -> Tensor { x.matmul(w.t()) + b }
        func mse(_ t1: Tensor, _ t2: Tensor) -> Tensor {
            let diff = t1 - t2
            return (diff * diff).sum() / diff.scalarCount
        }
        for _ in 0..<500 {
            let loss = mse(model(inputs), targets)
            loss.backward()
            noGrad {
                w -= w.grad! * 1e-5
                b -= b.grad! * 1e-5
                w.grad!.zero()
                b.grad!.zero()
            }
        }
        let loss = mse(model(inputs), targets)
        #expect(Swift.abs(loss.item() - expected.loss) <= 1e-4 * Swift.abs(expected.loss))
        #expect(loss.description == expected.repr)
        #expect(close(w.scalars(as: Double.self), expected.w.doubles, rtol: 1e-4))
        #expect(close(b.scalars(as: Double.self), expected.b.doubles, rtol: 1e-4))
    }

    /// Splits a transcript into the text printed under each `In [N]:` header.
    static func cells(of transcript: String) -> [Int: String] {
        var result: [Int: String] = [:]
        var current: Int? = nil
        var lines: [Substring] = []
        func flush() {
            guard let current else { return }
            // Each cell ends with a blank separator line (and the transcript with a newline).
            while lines.last == "" { lines.removeLast() }
            result[current] = lines.map { $0 + "\n" }.joined()
        }
        for line in transcript.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("In ["), let close = line.firstIndex(of: "]"),
               let n = Int(line[line.index(line.startIndex, offsetBy: 4)..<close]) {
                flush()
                current = n
                lines = []
            } else if current != nil {
                lines.append(line)
            }
        }
        flush()
        return result
    }

    @Test(arguments: [nil, 0, 7] as [UInt64?])
    func replayPrintsWhatPyTorchPrints(_ seed: UInt64?) throws {
        let run = try #require(Self.file?.runs.first { $0.seed == seed })
        let output = try DescentExecutable.run(["notebook"] + (seed.map { ["--seed", String($0)] } ?? []))
        #expect(output.status == 0)
        var printed = Self.cells(of: output.stdout)
        // The last cell is followed by the closing note in the default run.
        if seed == nil, let last = printed[34], let cut = last.range(of: "\n\n") {
            printed[34] = String(last[..<cut.lowerBound]) + "\n"
        }
        for cell in run.cells {
            #expect(printed[cell.cell] == cell.output, "In [\(cell.cell)] differs from PyTorch")
        }
    }

    @Test func noArgumentsFitsTheSeedTable() throws {
        let plain = try DescentExecutable.run([])
        #expect(plain.status == 0)
        #expect(plain.stdout.contains("Fitting apples, oranges from temperature, rainfall, humidity"))
        #expect(plain.stdout.contains("exact least squares"))
    }

    @Test func badArgumentsExitNonZero() throws {
        let output = try DescentExecutable.run(["notebook", "--seed", "banana"])
        #expect(output.status != 0)
        #expect(output.stderr.contains("banana"))
    }
}
