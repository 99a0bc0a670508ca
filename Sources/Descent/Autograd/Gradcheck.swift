/// Why ``gradcheck(_:inputs:eps:atol:rtol:)`` failed.
public enum GradcheckError: Error, CustomStringConvertible {
    /// An input to check is not a float64 tensor that requires grad.
    case unsuitableInput(index: Int, reason: String)
    /// Autograd and finite differences disagree.
    case jacobianMismatch(input: Int, output: Int, element: Int, numerical: Double, analytical: Double)

    public var description: String {
        switch self {
        case let .unsuitableInput(index, reason):
            "gradcheck: input \(index) \(reason)"
        case let .jacobianMismatch(input, output, element, numerical, analytical):
            "Jacobian mismatch for output \(output) with respect to input \(input), element \(element): numerical \(numerical), analytical \(analytical)"
        }
    }
}

/// Compares the gradients autograd computes for `f` with central finite differences, like
/// `torch.autograd.gradcheck`.
///
/// Every input that requires grad is checked element by element against every output element;
/// use float64 inputs, as PyTorch requires for meaningful results. Inputs may be views with any
/// strides that do not overlap.
///
/// ```swift
/// let x = Tensor.randn(3, 4, dtype: .float64, requiresGrad: true)
/// let ok = try gradcheck({ $0[0].sigmoid() * $0[0] }, inputs: [x])
/// ```
///
/// - Returns: `true` when all Jacobian entries agree within `atol + rtol * |numerical|`.
/// - Throws: ``GradcheckError`` naming the first entry that disagrees.
@discardableResult
public func gradcheck(
    _ f: ([Tensor]) -> Tensor, inputs: [Tensor],
    eps: Double = 1e-6, atol: Double = 1e-5, rtol: Double = 1e-3
) throws -> Bool {
    for (i, x) in inputs.enumerated() where x.requiresGrad {
        if x.dtype != .float64 {
            throw GradcheckError.unsuitableInput(index: i, reason: "is \(x.dtype); gradcheck needs float64 for precision")
        }
    }
    let checked = inputs.indices.filter { inputs[$0].requiresGrad }
    let output = enableGrad { f(inputs) }
    let outCount = output.scalarCount
    let outValues: (Tensor) -> [Double] = { $0.scalars(as: Double.self) }

    // Analytical Jacobian: one backward pass per output element.
    var analytical: [[[Double]]] = checked.map { _ in [] }   // [input][output][element]
    for j in 0..<outCount {
        for i in checked { inputs[i].grad = nil }
        if output.requiresGrad {
            let seed = Tensor.zeros(output.shape, dtype: output.dtype)
            seed._setRaw(j, 1)
            output.backward(gradient: seed, retainGraph: true)
        }
        for (k, i) in checked.enumerated() {
            let g = inputs[i].grad.map(outValues) ?? [Double](repeating: 0, count: inputs[i].scalarCount)
            analytical[k].append(g)
        }
    }
    for i in checked { inputs[i].grad = nil }

    // Numerical Jacobian: central differences, writing through each input's own strides.
    for (k, i) in checked.enumerated() {
        let x = inputs[i]
        let offsets = _elementOffsets(x)
        for (e, offset) in offsets.enumerated() {
            let original = x._double(at: offset)
            x.data.assumingMemoryBound(to: Double.self)[offset] = original + eps
            let plus = noGrad { outValues(f(inputs)) }
            x.data.assumingMemoryBound(to: Double.self)[offset] = original - eps
            let minus = noGrad { outValues(f(inputs)) }
            x.data.assumingMemoryBound(to: Double.self)[offset] = original
            for j in 0..<outCount {
                let numerical = (plus[j] - minus[j]) / (2 * eps)
                let a = analytical[k][j][e]
                if !(Swift.abs(numerical - a) <= atol + rtol * Swift.abs(numerical)) {
                    throw GradcheckError.jacobianMismatch(input: i, output: j, element: e, numerical: numerical, analytical: a)
                }
            }
        }
    }
    return true
}

/// Storage offsets of every element of `t` in row-major order.
private func _elementOffsets(_ t: Tensor) -> [Int] {
    var out: [Int] = []
    out.reserveCapacity(t.scalarCount)
    _forEachRun(t.shape, [t.strides]) { offsets, count, steps in
        for k in 0..<count { out.append(t.storageOffset + offsets[0] + k * steps[0]) }
    }
    if t.rank == 0 { return [t.storageOffset] }
    return out
}

/// Checks second derivatives, like `torch.autograd.gradgradcheck`: the first gradients of `f`
/// (computed with `createGraph`) are differentiated by autograd and compared with central
/// finite differences of the first gradients themselves.
///
/// The gradient flowing into `f`'s output is a fixed random tensor that is itself an input of
/// the check, so a backward formula that drops its dependence on it is caught too.
///
/// ```swift
/// let x = Tensor.randn(3, dtype: .float64, requiresGrad: true)
/// let ok = try gradgradcheck({ $0[0].sin() * $0[0] }, inputs: [x])
/// ```
@discardableResult
public func gradgradcheck(
    _ f: @escaping ([Tensor]) -> Tensor, inputs: [Tensor],
    eps: Double = 1e-6, atol: Double = 1e-5, rtol: Double = 1e-3
) throws -> Bool {
    let output = enableGrad { f(inputs) }
    guard output.requiresGrad else { return true }
    let upstream = Tensor.randn(output.shape, dtype: .float64, generator: Generator(seed: 0)).requiresGrad(true)
    let differentiable = inputs.indices.filter { inputs[$0].requiresGrad }
    return try gradcheck({ args in
        enableGrad {
            let xs = Array(args.dropLast())
            let y = f(xs)
            let firsts = grad(outputs: [y], inputs: differentiable.map { xs[$0] }, gradOutputs: [args.last!],
                              createGraph: true, materializeGrads: true)
            return Tensor.cat(firsts.map { $0!.reshape(-1) })
        }
    }, inputs: inputs + [upstream], eps: eps, atol: atol, rtol: rtol)
}
