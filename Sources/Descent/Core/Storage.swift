/// What a storage block knows about its elements.
struct StorageHeader {
    var count: Int
    var dtype: DType
    /// Bumped by every in-place write; autograd compares it with the version it saved.
    var version: Int
}

/// A reference-counted block of elements shared by a tensor and all of its views.
///
/// The elements live in the same allocation as the object (a `ManagedBuffer`): one `malloc`
/// per tensor instead of two, which matters for the small tensors of a training loop. The
/// version counter lives here because every handle onto the same memory (views, `detach()`)
/// must observe in-place writes, as PyTorch's shared version counter does.
final class Storage: ManagedBuffer<StorageHeader, SIMD4<UInt64>> {
    /// Allocates uninitialised memory for `count` elements, 32-byte aligned.
    static func make(count: Int, dtype: DType) -> Storage {
        let bytes = count * dtype.itemSize
        let vectors = max((bytes + 31) / 32, 1)
        let buffer = Storage.create(minimumCapacity: vectors) { _ in
            StorageHeader(count: count, dtype: dtype, version: 0)
        }
        let storage = unsafeDowncast(buffer, to: Storage.self)
        let raw = storage.data
        switch dtype {
        case .float32: raw.bindMemory(to: Float.self, capacity: count)
        case .float64: raw.bindMemory(to: Double.self, capacity: count)
        case .int64: raw.bindMemory(to: Int64.self, capacity: count)
        case .bool: raw.bindMemory(to: Bool.self, capacity: count)
        }
        return storage
    }

    /// Allocates memory filled with zero bits, which is 0, 0.0 or false for every dtype.
    static func make(zeroedCount count: Int, dtype: DType) -> Storage {
        let storage = make(count: count, dtype: dtype)
        storage.data.initializeMemory(as: UInt8.self, repeating: 0, count: max(count * dtype.itemSize, 1))
        return storage
    }

    var count: Int { header.count }
    var dtype: DType { header.dtype }

    var version: Int {
        get { header.version }
        set { header.version = newValue }
    }

    /// The first byte of the elements; stable for the life of the object.
    @inline(__always)
    var data: UnsafeMutableRawPointer {
        withUnsafeMutablePointerToElements { UnsafeMutableRawPointer($0) }
    }

    @inline(__always)
    func pointer<T>(_ type: T.Type) -> UnsafeMutablePointer<T> {
        data.assumingMemoryBound(to: T.self)
    }
}
