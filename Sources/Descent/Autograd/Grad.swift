/// The gradients of `outputs` with respect to `inputs`, like `torch.autograd.grad`: returned,
/// not added into any tensor's ``Tensor/grad``.
///
/// With `createGraph`, the returned gradients carry a graph of their own and can be
/// differentiated again: a gradient penalty, a Hessian-vector product, a physics-informed loss.
///
/// ```swift
/// let x = Tensor([1.0, 2.0], requiresGrad: true)
/// let y = x.pow(3).sum()
/// let dy = grad(outputs: [y], inputs: [x], createGraph: true)[0]!   // 3x², differentiable
/// let d2y = grad(outputs: [dy.sum()], inputs: [x])[0]!              // 6x: tensor([ 6., 12.])
/// ```
///
/// - Parameters:
///   - outputs: The tensors to differentiate.
///   - inputs: The tensors to differentiate with respect to; each must require grad.
///   - gradOutputs: The gradient of some final value with respect to each output (the vector
///     of the vector-Jacobian product); `nil` entries, or leaving it out, mean ones for
///     single-element outputs.
///   - retainGraph: Keep the graph's saved tensors for another pass; `nil` means `createGraph`.
///   - createGraph: Record the backward pass so the results are differentiable.
///   - allowUnused: Give `nil` for an input the outputs do not depend on, instead of stopping.
///   - materializeGrads: Give zeros instead of `nil` for such inputs (implies `allowUnused`).
/// - Returns: One gradient per input, `nil` only for unused inputs with `allowUnused`.
public func grad(
    outputs: [Tensor], inputs: [Tensor], gradOutputs: [Tensor?]? = nil,
    retainGraph: Bool? = nil, createGraph: Bool = false, allowUnused: Bool = false,
    materializeGrads: Bool = false
) -> [Tensor?] {
    if let gradOutputs, gradOutputs.count != outputs.count {
        _fail("grad requires one grad_output per output: got \(gradOutputs.count) for \(outputs.count) outputs")
    }
    var roots: [(AutogradNode, Tensor)] = []
    for (k, output) in outputs.enumerated() {
        output._refreshViewHistory()
        guard output._requiresGrad else {
            _fail("element \(k) of tensors does not require grad and does not have a grad_fn")
        }
        let seed: Tensor
        if let given = gradOutputs?[k] {
            if given.shape != output.shape {
                _fail("Mismatch in shape: grad_output[\(k)] has a shape of \(_torchSize(given.shape)) and output[\(k)] has a shape of \(_torchSize(output.shape)).")
            }
            seed = given.dtype == output.dtype ? given : given.to(output.dtype)
        } else {
            if output.scalarCount != 1 { _fail("grad can be implicitly created only for scalar outputs") }
            seed = Tensor.ones(like: output)
        }
        roots.append((output._gradFn ?? output._accumulator(), seed))
    }
    let captures = inputs.map { x -> AutogradNode in
        x._refreshViewHistory()
        guard x._requiresGrad else { _fail("One of the differentiated Tensors does not require grad") }
        return x._gradFn ?? x._accumulator()
    }
    let results = Engine.runGraph(
        roots: roots, captures: captures, retainGraph: retainGraph ?? createGraph, createGraph: createGraph)
    return results.enumerated().map { i, g in
        if let g {
            // A gradient that reached a broadcast edge is already fitted; a leaf's dtype may
            // still differ where the root seeded another dtype.
            return g.dtype == inputs[i].dtype ? g : g.to(inputs[i].dtype)
        }
        if materializeGrads { return Tensor.zeros(like: inputs[i]) }
        if !allowUnused {
            _fail("The differentiated Tensor at index \(i) appears to not have been used in the graph. Set allow_unused=True if this is the desired behavior.")
        }
        return nil
    }
}

/// ``grad(outputs:inputs:gradOutputs:retainGraph:createGraph:allowUnused:materializeGrads:)``
/// for one output.
///
/// ```swift
/// let x = Tensor([0.5], requiresGrad: true)
/// let dx = grad(outputs: x.sin().sum(), inputs: [x])[0]!   // cos(0.5)
/// ```
public func grad(
    outputs: Tensor, inputs: [Tensor], gradOutputs: Tensor? = nil,
    retainGraph: Bool? = nil, createGraph: Bool = false, allowUnused: Bool = false,
    materializeGrads: Bool = false
) -> [Tensor?] {
    grad(outputs: [outputs], inputs: inputs, gradOutputs: [gradOutputs], retainGraph: retainGraph,
         createGraph: createGraph, allowUnused: allowUnused, materializeGrads: materializeGrads)
}
