extension Tensor {
    /// `steps` values evenly spaced from `start` to `end` inclusive, like `torch.linspace`.
    ///
    /// The values are those of ATen's reference kernel to the last bit: the first half counts up
    /// from `start`, the second down from `end`. (PyTorch's AVX2 build fills vectors from their
    /// first value and differs in the last bit for some elements; that path is not ported.)
    ///
    /// ```swift
    /// let x = Tensor.linspace(-Double.pi, Double.pi, 2000)
    /// ```
    public static func linspace(_ start: Double, _ end: Double, _ steps: Int, dtype: DType = .float32, requiresGrad: Bool = false) -> Tensor {
        guard steps >= 0 else { _fail("number of steps must be non-negative") }
        let t = Tensor(uninitializedShape: [steps], dtype: dtype)
        switch dtype {
        case .float32: _linspace(t.pointer(Float.self), Float(start), Float(end), steps)
        case .float64: _linspace(t.pointer(Double.self), start, end, steps)
        case .int64:
            let step = steps > 1 ? (Double(Int64(end)) - Double(Int64(start))) / Double(steps - 1) : 0
            let p = t.pointer(Int64.self), (s, e) = (Int64(start), Int64(end))
            let half = steps / 2
            for i in 0..<steps {
                p[i] = i < half ? Int64(Double(s) + step * Double(i)) : Int64(Double(e) - step * Double(steps - i - 1))
            }
        case .bool: _fail("\"linspace_cpu\" not implemented for 'Bool'")
        }
        if requiresGrad { t.setRequiresGrad(true, factory: true) }
        return t
    }

    private static func _linspace<T: _FloatElement>(_ p: UnsafeMutablePointer<T>, _ start: T, _ end: T, _ steps: Int) {
        if steps == 0 { return }
        if steps == 1 { p[0] = start; return }
        let step = (end - start) / T(steps - 1)
        let half = steps / 2
        for i in 0..<steps {
            p[i] = i < half ? start + step * T(i) : end - step * T(steps - i - 1)
        }
    }
}
