/// A reference-counted block of elements shared by a tensor and all of its views.
///
/// The version counter lives here because every handle onto the same memory (views,
/// `detach()`) must observe in-place writes, as PyTorch's shared version counter does.
final class Storage: @unchecked Sendable {
    let data: UnsafeMutableRawPointer
    let count: Int
    let dtype: DType
    /// Bumped by every in-place write; autograd compares it with the version it saved.
    var version: Int = 0

    /// Allocates uninitialised memory for `count` elements.
    init(count: Int, dtype: DType) {
        self.count = count
        self.dtype = dtype
        // 64-byte alignment suits every SIMD width the kernels use.
        data = UnsafeMutableRawPointer.allocate(byteCount: max(count * dtype.itemSize, 1), alignment: 64)
        switch dtype {
        case .float32: data.bindMemory(to: Float.self, capacity: count)
        case .float64: data.bindMemory(to: Double.self, capacity: count)
        case .int64: data.bindMemory(to: Int64.self, capacity: count)
        case .bool: data.bindMemory(to: Bool.self, capacity: count)
        }
    }

    /// Allocates memory filled with zero bits, which is 0, 0.0 or false for every dtype.
    convenience init(zeroedCount count: Int, dtype: DType) {
        self.init(count: count, dtype: dtype)
        data.initializeMemory(as: UInt8.self, repeating: 0, count: max(count * dtype.itemSize, 1))
    }

    deinit { data.deallocate() }

    @inline(__always)
    func pointer<T>(_ type: T.Type) -> UnsafeMutablePointer<T> {
        data.assumingMemoryBound(to: T.self)
    }
}
