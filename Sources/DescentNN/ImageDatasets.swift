import Descent
import DescentData
import Foundation

/// A dataset that builds a whole batch at once, faster than stacking its samples one by one;
/// a ``DataLoader`` over it uses ``batch(_:)``.
public protocol BatchedDataset: Dataset where Sample == [Tensor] {
    /// The samples at `indices`, stacked: one tensor per field.
    func batch(_ indices: [Int]) -> [Tensor]
}

extension DataLoader where D: BatchedDataset, Batch == [Tensor] {
    /// A loader whose batches are the dataset's own ``BatchedDataset/batch(_:)``.
    ///
    /// ```swift
    /// let loader = DataLoader(try MNIST(root: dataURL), batchSize: 64, shuffle: true)
    /// for batch in loader { let (images, labels) = (batch[0], batch[1]) }
    /// ```
    public init(_ dataset: D, batchSize: Int = 1, shuffle: Bool = false, dropLast: Bool = false, generator: Generator? = nil,
                numWorkers: Int = 0, sampler: DistributedSampler? = nil) {
        self.init(dataset, batchSize: batchSize, shuffle: shuffle, dropLast: dropLast, generator: generator, numWorkers: numWorkers,
                  sampler: sampler, batch: { d, indices in d.batch(indices) })
    }
}

/// Images stored as bytes `[count, channels, height, width]` with int64 labels: the storage
/// behind ``MNIST`` and ``CIFAR10``. Samples are `[image, label]`, the image float32 in [0, 1]
/// (as `ToTensor` makes it) passed through `transform`.
public struct ImageDataset: BatchedDataset, Sendable {
    /// Pixels, one byte each, image after image.
    public let pixels: [UInt8]
    /// Each image's class.
    public let labels: [Int64]
    /// `[channels, height, width]` of every image.
    public let imageShape: [Int]
    /// Applied to each image (after scaling to [0, 1]); `nil` for none.
    public let transform: (any ImageTransform)?
    /// The generator random transforms draw from (the global one when nil).
    public let generator: Generator?

    /// A dataset over `pixels` (`labels.count` images of `imageShape`).
    public init(pixels: [UInt8], labels: [Int64], imageShape: [Int], transform: (any ImageTransform)? = nil, generator: Generator? = nil) {
        precondition(pixels.count == labels.count * imageShape.reduce(1, *), "pixels do not hold \(labels.count) images of \(imageShape)")
        (self.pixels, self.labels, self.imageShape, self.transform, self.generator) = (pixels, labels, imageShape, transform, generator)
    }

    /// See the type's documentation.
    public var count: Int { labels.count }

    private var imageSize: Int { imageShape.reduce(1, *) }

    /// Image `index` as float32 in [0, 1], before the transform.
    public func image(_ index: Int) -> Tensor {
        let start = index * imageSize
        return Tensor(shape: imageShape, scalars: pixels[start..<(start + imageSize)].map { Float($0) / 255 })
    }

    /// Sample `index`: the image and its label.
    public subscript(index: Int) -> [Tensor] {
        let x = image(index)
        return [transform.map { $0(x, generator: generator) } ?? x, Tensor(labels[index])]
    }

    /// Images `[n, C, H, W]` and labels `[n]`; each image through the transform, in order.
    public func batch(_ indices: [Int]) -> [Tensor] {
        let labelTensor = Tensor(shape: [indices.count], scalars: indices.map { labels[$0] })
        if let transform {
            return [Tensor.stack(indices.map { transform(image($0), generator: generator) }), labelTensor]
        }
        var values = [Float](repeating: 0, count: indices.count * imageSize)
        let size = imageSize
        pixels.withUnsafeBufferPointer { src in
            values.withUnsafeMutableBufferPointer { dst in
                for (k, i) in indices.enumerated() {
                    for j in 0..<size { dst[k * size + j] = Float(src[i * size + j]) / 255 }
                }
            }
        }
        return [Tensor(shape: [indices.count] + imageShape, scalars: values), labelTensor]
    }
}

/// MNIST (or any data in its IDX files, such as Fashion-MNIST), like
/// `torchvision.datasets.MNIST`: images `[1, 28, 28]` in [0, 1] and int64 labels, read from
/// `root`'s `train-images-idx3-ubyte`/`train-labels-idx1-ubyte` (`t10k-…` for the test split),
/// gzipped or not.
///
/// ```swift
/// let train = try MNIST(root: URL(fileURLWithPath: "data/mnist"), train: true)
/// let loader = DataLoader(train.dataset, batchSize: 64, shuffle: true)
/// ```
public struct MNIST: Sendable {
    /// The images and labels.
    public let dataset: ImageDataset

    /// Reads the split from `root`; throws ``TensorFileError`` naming the file when one is
    /// missing, damaged, or disagrees with the other.
    public init(root: URL, train: Bool = true, transform: (any ImageTransform)? = nil, generator: Generator? = nil) throws {
        let prefix = train ? "train" : "t10k"
        let images = try IDX.read(from: MNIST.locate(root, "\(prefix)-images-idx3-ubyte"))
        let labelsURL = try MNIST.locate(root, "\(prefix)-labels-idx1-ubyte")
        let labels = try IDX.read(from: labelsURL)
        guard images.elementType == .uint8, images.shape.count == 3 else {
            throw TensorFileError(root.appendingPathComponent("\(prefix)-images-idx3-ubyte").path,
                                  "expected unsigned-byte images [count, height, width], found \(images.elementType) \(images.shape)")
        }
        guard labels.elementType == .uint8, labels.shape.count == 1 else {
            throw TensorFileError(labelsURL.path, "expected unsigned-byte labels [count], found \(labels.elementType) \(labels.shape)")
        }
        guard labels.shape[0] == images.shape[0] else {
            throw TensorFileError(labelsURL.path, "\(labels.shape[0]) labels for \(images.shape[0]) images")
        }
        dataset = ImageDataset(pixels: images.bytes, labels: labels.bytes.map { Int64($0) }, imageShape: [1, images.shape[1], images.shape[2]],
                               transform: transform, generator: generator)
    }

    /// `name.gz` or `name` in `root`, whichever exists.
    static func locate(_ root: URL, _ name: String) throws -> URL {
        for candidate in [name + ".gz", name] {
            let url = root.appendingPathComponent(candidate)
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
        throw TensorFileError(root.appendingPathComponent(name).path, "not found (nor \(name).gz) in \(root.path)")
    }
}

/// CIFAR-10 or CIFAR-100 from their binary batches, like `torchvision.datasets.CIFAR10`:
/// images `[3, 32, 32]` in [0, 1] and int64 labels (CIFAR-100's fine labels). `root` is the
/// unpacked `cifar-10-batches-bin` (`data_batch_1.bin` … `data_batch_5.bin`, `test_batch.bin`)
/// or `cifar-100-binary` (`train.bin`, `test.bin`) folder.
///
/// ```swift
/// let train = try CIFAR10(root: URL(fileURLWithPath: "data/cifar-10-batches-bin"),
///                         transform: Compose(RandomCrop(size: 32, padding: 4), RandomHorizontalFlip()))
/// ```
public struct CIFAR10: Sendable {
    /// The images and labels.
    public let dataset: ImageDataset

    /// Takes PyTorch's constructor arguments, under their Swift names; see the type's documentation.
    public init(root: URL, train: Bool = true, variant: CIFAR.Variant = .cifar10, transform: (any ImageTransform)? = nil,
                generator: Generator? = nil) throws {
        let files: [String]
        switch variant {
        case .cifar10: files = train ? (1...5).map { "data_batch_\($0).bin" } : ["test_batch.bin"]
        case .cifar100: files = [train ? "train.bin" : "test.bin"]
        }
        var pixels: [UInt8] = [], labels: [Int64] = []
        for file in files {
            let url = root.appendingPathComponent(file)
            guard FileManager.default.fileExists(atPath: url.path) else { throw TensorFileError(url.path, "not found") }
            let batch = try CIFAR.read(from: url, variant: variant)
            pixels += batch.images
            labels += batch.labels
        }
        dataset = ImageDataset(pixels: pixels, labels: labels, imageShape: [3, 32, 32], transform: transform, generator: generator)
    }
}
