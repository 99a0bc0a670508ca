import Foundation

/// Reads CIFAR-10 and CIFAR-100 binary batches (`data_batch_1.bin`, `train.bin`): records of
/// one label byte (CIFAR-100: a coarse and a fine label byte) and 3,072 image bytes, the red,
/// green and blue 32x32 planes in turn.
///
/// ```swift
/// let batch = try CIFAR.read(from: URL(fileURLWithPath: "cifar-10-batches-bin/data_batch_1.bin"))
/// batch.images.count     // 10000 · 3072 bytes
/// ```
public enum CIFAR {
    /// Which CIFAR a file holds.
    public enum Variant: Sendable {
        /// Ten classes, one label byte per record.
        case cifar10
        /// A hundred fine classes (and 20 coarse ones), two label bytes per record.
        case cifar100

        var labelBytes: Int { self == .cifar10 ? 1 : 2 }
        var classes: Int { self == .cifar10 ? 10 : 100 }
    }

    /// A batch's images (`count` records of 3,072 bytes, channel planes in turn) and labels
    /// (CIFAR-100: the fine labels; `coarseLabels` has the others).
    public struct Batch: Sendable {
        /// Image bytes, 3,072 per record: the red, green and blue 32x32 planes in turn.
        public var images: [UInt8]
        /// Each record's label (CIFAR-100: the fine label).
        public var labels: [Int64]
        /// CIFAR-100's coarse labels (empty for CIFAR-10).
        public var coarseLabels: [Int64]
        /// The number of records.
        public var count: Int { labels.count }
    }

    /// Bytes of one image.
    public static let imageBytes = 3 * 32 * 32

    /// The records of the file at `url`.
    public static func read(from url: URL, variant: Variant = .cifar10) throws -> Batch {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw TensorFileError(url.path, "could not be read: \(error.localizedDescription)")
        }
        return try read(data, path: url.path, variant: variant)
    }

    /// The records in `data` (`path` names it in errors).
    public static func read(_ data: Data, path: String = "<memory>", variant: Variant = .cifar10) throws -> Batch {
        let record = variant.labelBytes + imageBytes
        guard !data.isEmpty else { throw TensorFileError(path, "empty file: no CIFAR records") }
        guard data.count % record == 0 else {
            throw TensorFileError(path, "\(data.count) bytes are not a whole number of \(record)-byte CIFAR records (truncated or not a CIFAR batch)")
        }
        let count = data.count / record
        var batch = Batch(images: [], labels: [], coarseLabels: [])
        batch.images.reserveCapacity(count * imageBytes)
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            for r in 0..<count {
                let start = r * record
                let label = Int64(bytes[start + variant.labelBytes - 1])
                guard label < Int64(variant.classes) else {
                    throw TensorFileError(path, "record \(r) has label \(label), outside 0..<\(variant.classes)")
                }
                batch.labels.append(label)
                if variant == .cifar100 { batch.coarseLabels.append(Int64(bytes[start])) }
                batch.images.append(contentsOf: bytes[(start + variant.labelBytes)..<(start + record)])
            }
        }
        return batch
    }
}
