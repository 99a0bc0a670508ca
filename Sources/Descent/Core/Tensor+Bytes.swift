extension Tensor {
    /// Calls `body` with the elements of this contiguous tensor as raw bytes, for handing to a
    /// C library (MPI, a BLAS, a file writer). Writes through the pointer change the tensor,
    /// and its version counter moves as for any in-place change; autograd does not see them.
    ///
    /// ```swift
    /// let buffer = Tensor.zeros(1024)
    /// buffer.withUnsafeMutableRawBytes { bytes in
    ///     fillFromSomewhere(bytes.baseAddress!, bytes.count)
    /// }
    /// ```
    ///
    /// The tensor must be contiguous (call `contiguous()` first) and the pointer must not
    /// escape `body`.
    public func withUnsafeMutableRawBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        guard isContiguous else { _fail("withUnsafeMutableRawBytes needs a contiguous tensor; call contiguous() first") }
        defer { _bumpVersion() }
        let start = data + storageOffset * dtype.itemSize
        return try withExtendedLifetime(self) {
            try body(UnsafeMutableRawBufferPointer(start: start, count: scalarCount * dtype.itemSize))
        }
    }

    /// Calls `body` with the elements of this contiguous tensor as read-only raw bytes.
    public func withUnsafeRawBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        guard isContiguous else { _fail("withUnsafeRawBytes needs a contiguous tensor; call contiguous() first") }
        let start = data + storageOffset * dtype.itemSize
        return try withExtendedLifetime(self) {
            try body(UnsafeRawBufferPointer(start: start, count: scalarCount * dtype.itemSize))
        }
    }
}
