import Foundation
import Testing
@testable import Descent
@testable import DescentData
@testable import DescentNN

/// The image readers, datasets and transforms, on the shipped digits (Data/digits) and on
/// damaged files.
struct ImageDataTests {
    struct Digits: Decodable {
        let train_shape: [Int], test_shape: [Int]
        let train_pixel_sum: Int, test_pixel_sum: Int
        let first_labels: [Int64]
        let first_image_sum: Double, first_image_max: Double
    }
    struct File: Decodable { let digits: Digits }

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let digitsFolder = repository.appendingPathComponent("Data/digits")

    static func temporaryFile(_ name: String, _ data: Data) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("descent-image-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent(name)
        try data.write(to: url)
        return url
    }

    @Test func mnistReadsTheShippedDigits() throws {
        let expected = try Fixtures.load("vision", as: File.self).digits
        let train = try MNIST(root: Self.digitsFolder, train: true).dataset
        let test = try MNIST(root: Self.digitsFolder, train: false).dataset
        #expect(train.count == expected.train_shape[0])
        #expect(test.count == expected.test_shape[0])
        #expect(train.pixels.reduce(0) { $0 + Int($1) } == expected.train_pixel_sum)
        #expect(test.pixels.reduce(0) { $0 + Int($1) } == expected.test_pixel_sum)
        #expect(Array(train.labels.prefix(10)) == expected.first_labels)
        let sample = train[0]
        #expect(sample[0].shape == [1, 28, 28])
        #expect(sample[0].dtype == .float32)
        #expect(Swift.abs(sample[0].sum().item() - expected.first_image_sum) < 1e-3)
        #expect(sample[0].max().item() == expected.first_image_max)
        #expect(sample[1].item(as: Int64.self) == expected.first_labels[0])
    }

    @Test func gzippedAndRawIDXAgree() throws {
        let gz = try Data(contentsOf: Self.digitsFolder.appendingPathComponent("t10k-labels-idx1-ubyte.gz"))
        let raw = try Gzip.decompress(gz, path: "labels.gz")
        let a = try IDX.read(gz, path: "labels.gz"), b = try IDX.read(raw, path: "labels")
        #expect(a.shape == [360])
        #expect(a.bytes == b.bytes)
        #expect(a.tensor().dtype == .int64)
        #expect(a.tensor().scalars(as: Int64.self) == b.bytes.map { Int64($0) })
    }

    @Test func dataLoaderBatchesImages() throws {
        let test = try MNIST(root: Self.digitsFolder, train: false).dataset
        let loader = DataLoader(test, batchSize: 64, shuffle: true, generator: Generator(seed: 3))
        var seen = 0
        for batch in loader {
            #expect(batch[0].shape == [batch[1].shape[0], 1, 28, 28])
            #expect(batch[1].dtype == .int64)
            seen += batch[1].shape[0]
        }
        #expect(seen == 360)
        // The batch path and the per-sample path give the same images.
        let b = test.batch([5, 2])
        #expect(b[0][1].scalars(as: Float.self) == test[2][0].scalars(as: Float.self))
        // The same generator seed gives the same epoch (the loader above has moved its own on).
        let first = DataLoader(test, batchSize: 64, shuffle: true, generator: Generator(seed: 3))
        let again = DataLoader(test, batchSize: 64, shuffle: true, generator: Generator(seed: 3))
        #expect(Array(first)[0][1].scalars(as: Int64.self) == Array(again)[0][1].scalars(as: Int64.self))
    }

    /// A damaged or hostile file throws an error naming the file and the problem.
    @Test(arguments: [
        ("wrong magic", [UInt8]([1, 0, 8, 1, 0, 0, 0, 1, 7]), "not an IDX file"),
        ("unknown type", [0, 0, 0x42, 1, 0, 0, 0, 1, 7], "unknown IDX element type"),
        ("short header", [0, 0, 8, 3, 0, 0], "IDX header of 3 dimensions needs 16 bytes"),
        ("count mismatch", [0, 0, 8, 1, 0, 0, 0, 5, 1, 2], "need 5 bytes of data, the file has 2"),
        ("huge dimensions", [0, 0, 8, 3, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], "hold more elements than the file's"),
        ("no dimensions", [0, 0, 8, 0], "declares no dimensions"),
        // Found by the fuzzer: no elements, but dimensions whose strides overflow.
        ("empty with huge dimensions", [0, 0, 0x0D, 3, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], "are too large for a tensor"),
    ])
    func damagedIDXThrows(_ label: String, _ bytes: [UInt8], _ message: String) throws {
        let url = try Self.temporaryFile("bad-\(label.replacingOccurrences(of: " ", with: "-")).idx", Data(bytes))
        let error = try #require(throws: TensorFileError.self) { try IDX.read(from: url) }
        #expect(error.path == url.path)
        #expect(error.problem.contains(message), "\(error)")
    }

    @Test func damagedGzipThrows() throws {
        let gz = try Data(contentsOf: Self.digitsFolder.appendingPathComponent("t10k-images-idx3-ubyte.gz"))
        // Truncated: the trailer is gone, and what is read as one claims too much or fails.
        let truncated = gz.prefix(gz.count / 2)
        let e1 = try #require(throws: TensorFileError.self) { try IDX.read(Data(truncated), path: "cut.gz") }
        #expect(e1.path == "cut.gz" && e1.problem.hasPrefix("gzip: "), "\(e1)")
        // A flipped byte in the compressed data: a damaged stream or a CRC mismatch.
        var flipped = gz
        flipped[flipped.startIndex + gz.count / 2] ^= 0x55
        let e2 = try #require(throws: TensorFileError.self) { try IDX.read(flipped, path: "flipped.gz") }
        #expect(e2.problem.hasPrefix("gzip: "), "\(e2)")
        // A trailer declaring far more than the data can inflate to allocates nothing.
        var greedy = gz
        for k in 1...4 { greedy[greedy.endIndex - k] = 0x7F }
        let e3 = try #require(throws: TensorFileError.self) { try IDX.read(greedy, path: "greedy.gz") }
        #expect(e3.problem.contains("more than"), "\(e3)")
        let e4 = try #require(throws: TensorFileError.self) { try Gzip.decompress(Data([0x1F, 0x8B, 9] + [UInt8](repeating: 0, count: 20)), path: "m.gz") }
        #expect(e4.problem.contains("not DEFLATE"))
    }

    @Test func missingMNISTFileNamesIt() throws {
        let folder = try Self.temporaryFile("placeholder", Data()).deletingLastPathComponent()
        let error = try #require(throws: TensorFileError.self) { try MNIST(root: folder) }
        #expect(error.path.hasSuffix("train-images-idx3-ubyte"))
        #expect(error.problem.contains("not found"))
    }

    @Test func cifarRecordsAndDamage() throws {
        var bytes: [UInt8] = []
        for r in 0..<3 {
            bytes.append(UInt8(r + 4))
            bytes += (0..<3072).map { UInt8(($0 + r) % 256) }
        }
        let batch = try CIFAR.read(Data(bytes), path: "b.bin")
        #expect(batch.labels == [4, 5, 6])
        #expect(batch.images.count == 3 * 3072)
        #expect(batch.images[3072 + 1] == 2)
        let truncated = try #require(throws: TensorFileError.self) { try CIFAR.read(Data(bytes.dropLast()), path: "t.bin") }
        #expect(truncated.problem.contains("not a whole number of 3073-byte CIFAR records"))
        var badLabel = bytes
        badLabel[3073] = 10
        let label = try #require(throws: TensorFileError.self) { try CIFAR.read(Data(badLabel), path: "l.bin") }
        #expect(label.problem.contains("record 1 has label 10"))
        let hundred = try CIFAR.read(Data([3, 99] + [UInt8](repeating: 1, count: 3072)), path: "c.bin", variant: .cifar100)
        #expect(hundred.labels == [99] && hundred.coarseLabels == [3])
        // A dataset over the records: [3, 32, 32] images, the red plane first.
        let dataset = ImageDataset(pixels: batch.images, labels: batch.labels, imageShape: [3, 32, 32])
        #expect(dataset[1][0].shape == [3, 32, 32])
        #expect(dataset[1][0][0, 0, 1].item() == Double(Float(2) / 255))
    }

    @Test func transformsMatchTheirDefinitions() {
        let image = Tensor.arange(48.0).reshape([3, 4, 4]) / 48
        let normalized = Normalize(mean: [0.5, 0.25, 0], std: [0.5, 2, 1])(image)
        #expect(close(normalized.scalars(as: Double.self), ((image - Tensor([0.5, 0.25, 0]).reshape([3, 1, 1])) / Tensor([0.5, 2, 1]).reshape([3, 1, 1])).scalars(as: Double.self)))
        // RandomCrop draws top then left with randint, as torchvision does.
        let g1 = Generator(seed: 7), g2 = Generator(seed: 7)
        let crop = RandomCrop(size: 3, padding: 1)(image, generator: g1)
        let top = Int(Tensor.randint(0, 4, [1], generator: g2).item(as: Int64.self))
        let left = Int(Tensor.randint(0, 4, [1], generator: g2).item(as: Int64.self))
        #expect(crop.shape == [3, 3, 3])
        #expect(crop.scalars(as: Double.self) == image.pad([1, 1, 1, 1]).narrow(1, top, 3).narrow(2, left, 3).scalars(as: Double.self))
        // A flip with probability 1 mirrors; with 0 it does not.
        #expect(RandomHorizontalFlip(p: 1)(image).scalars(as: Double.self) == image.flip(2).scalars(as: Double.self))
        #expect(RandomHorizontalFlip(p: 0)(image).scalars(as: Double.self) == image.scalars(as: Double.self))
        // RandomResizedCrop gives the requested size; the same seed gives the same crop.
        let a = RandomResizedCrop(size: 2)(image, generator: Generator(seed: 1))
        let b = RandomResizedCrop(size: 2)(image, generator: Generator(seed: 1))
        #expect(a.shape == [3, 2, 2] && a.scalars(as: Double.self) == b.scalars(as: Double.self))
        // ColorJitter keeps values in [0, 1]; brightness alone scales.
        let jittered = ColorJitter(brightness: 0.5, contrast: 0.5)(image, generator: Generator(seed: 2))
        #expect(jittered.min().item() >= 0 && jittered.max().item() <= 1)
        let composed = Compose(ToTensor(), Normalize(mean: [0], std: [1]))(Tensor(shape: [2, 2], scalars: [0, 255, 51, 102]))
        #expect(composed.shape == [1, 2, 2])
        #expect(close(composed.scalars(as: Double.self), [0, 1, 0.2, 0.4]))
    }

    @Test func mnistExampleTrainsAndSaves() throws {
        guard let mnist = DescentExecutable.url?.deletingLastPathComponent().appendingPathComponent("mnist"),
              FileManager.default.isExecutableFile(atPath: mnist.path) else {
            Issue.record("the mnist executable was not built")
            return
        }
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("lenet-\(UUID().uuidString).safetensors")
        let run = try DescentExecutable.runProgram(mnist, ["--data", Self.digitsFolder.path, "--epochs", "1", "--output", output.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("epoch 1/1  loss"))
        #expect(run.stdout.contains("test accuracy"))
        let file = try Safetensors.read(from: output)
        #expect(Set(file.names) == ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias",
                                    "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"])
        #expect(file.metadata["model"] == "LeNet-5")
        let missing = try DescentExecutable.runProgram(mnist, ["--data", "/nonexistent/folder"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("not found"))
    }
}
