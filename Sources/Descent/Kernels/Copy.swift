/// Copying and casting between layouts and dtypes.
enum CopyKernel {
    /// Writes `src` (any layout, any dtype) into `dst` (any layout), elementwise in row-major
    /// order. `src` must already have `dst`'s shape, possibly through zero strides.
    static func copy(_ src: Tensor, srcStrides: [Int]? = nil, into dst: Tensor) {
        let ss = srcStrides ?? src.strides
        run(src, ss, dst)
        if _CaptureTape.isActive {
            let (s, d) = (_CaptureTape.handle(src), _CaptureTape.handle(dst))
            // In place for the plan's accounting: a copy into fresh memory (a clone) claims it
            // whole, a copy into a tensor (`copy_`) matches its version bump.
            _CaptureTape.record({ run(s, ss, d) }, writes: dst, inPlace: true, reads: src)
        }
    }

    private static func run(_ src: Tensor, _ ss: [Int], _ dst: Tensor) {
        switch (src.dtype, dst.dtype) {
        case (.float32, .float32): run(src, ss, dst, Float.self, Float.self) { $0 }
        case (.float64, .float64): run(src, ss, dst, Double.self, Double.self) { $0 }
        case (.int64, .int64): run(src, ss, dst, Int64.self, Int64.self) { $0 }
        case (.bool, .bool): run(src, ss, dst, Bool.self, Bool.self) { $0 }
        case (.float32, .float64): run(src, ss, dst, Float.self, Double.self) { Double($0) }
        case (.float64, .float32): run(src, ss, dst, Double.self, Float.self) { Float($0) }
        case (.int64, .float32): run(src, ss, dst, Int64.self, Float.self) { Float($0) }
        case (.int64, .float64): run(src, ss, dst, Int64.self, Double.self) { Double($0) }
        case (.bool, .float32): run(src, ss, dst, Bool.self, Float.self) { $0 ? 1 : 0 }
        case (.bool, .float64): run(src, ss, dst, Bool.self, Double.self) { $0 ? 1 : 0 }
        case (.bool, .int64): run(src, ss, dst, Bool.self, Int64.self) { $0 ? 1 : 0 }
        case (.float32, .int64): run(src, ss, dst, Float.self, Int64.self) { _truncate(Double($0)) }
        case (.float64, .int64): run(src, ss, dst, Double.self, Int64.self) { _truncate($0) }
        case (.float32, .bool): run(src, ss, dst, Float.self, Bool.self) { $0 != 0 }
        case (.float64, .bool): run(src, ss, dst, Double.self, Bool.self) { $0 != 0 }
        case (.int64, .bool): run(src, ss, dst, Int64.self, Bool.self) { $0 != 0 }
        }
    }

    @inline(__always)
    private static func run<S, D>(
        _ src: Tensor, _ srcStrides: [Int], _ dst: Tensor, _: S.Type, _: D.Type, _ f: (S) -> D
    ) {
        let ps = src.pointer(S.self)
        let pd = dst.pointer(D.self)
        if src.isContiguous && dst.isContiguous && srcStrides == src.strides {
            for i in 0..<dst.scalarCount { pd[i] = f(ps[i]) }
            return
        }
        _forEachRun(dst.shape, [srcStrides, dst.strides]) { offsets, count, steps in
            var s = ps + offsets[0], d = pd + offsets[1]
            let ss = steps[0], ds = steps[1]
            for _ in 0..<count {
                d.pointee = f(s.pointee)
                s += ss
                d += ds
            }
        }
    }
}
