/// Runs the backward pass over a recorded graph.
enum Engine {
    /// Propagates `gradient` from `root` to every reachable leaf, in an order that visits a node
    /// only after all of its consumers have contributed to its gradient.
    static func run(root: AutogradNode, gradient: Tensor, retainGraph: Bool) {
        // Count, for every node, how many edges lead into it from the part of the graph we run.
        var dependencies: [ObjectIdentifier: Int] = [:]
        var stack = [root]
        var seen: Set<ObjectIdentifier> = [ObjectIdentifier(root)]
        while let node = stack.popLast() {
            for case let next? in node.nextFunctions {
                let id = ObjectIdentifier(next)
                dependencies[id, default: 0] += 1
                if seen.insert(id).inserted { stack.append(next) }
            }
        }

        var pending: [ObjectIdentifier: Tensor] = [ObjectIdentifier(root): gradient]
        var ready = [root]
        while let node = ready.popLast() {
            guard let grad = pending.removeValue(forKey: ObjectIdentifier(node)) else { continue }
            if let leaf = node.variable {
                accumulate(grad, into: leaf)
                continue
            }
            if let output = node.retainedOutput { accumulate(grad, into: output) }
            let inputGrads = node.vjp!(grad, node)
            if !retainGraph { node.releaseSaved() }
            for (i, next) in node.nextFunctions.enumerated() {
                guard let next else { continue }
                let id = ObjectIdentifier(next)
                if i < inputGrads.count, let g = inputGrads[i] {
                    let fitted = fit(g, shape: node.inputShapes[i], dtype: node.inputDTypes[i])
                    if let existing = pending[id] {
                        pending[id] = existing + fitted
                    } else {
                        pending[id] = fitted
                    }
                }
                dependencies[id]! -= 1
                if dependencies[id] == 0 { ready.append(next) }
            }
        }
    }

    /// Reduces a broadcast gradient to its input's shape (PyTorch's `sum_to`) and dtype.
    static func fit(_ grad: Tensor, shape: [Int], dtype: DType) -> Tensor {
        var g = grad
        if g.shape != shape { g = g._sumTo(shape) }
        if g.dtype != dtype { g = g.to(dtype) }
        return g
    }

    /// Adds into `.grad` in place, or stores a private copy the first time: the incoming
    /// tensor may be shared with other branches of the graph.
    static func accumulate(_ grad: Tensor, into tensor: Tensor) {
        if let existing = tensor._grad {
            existing._addInPlaceNoGraph(grad)
        } else {
            tensor._grad = grad.clone()
        }
    }
}

extension Tensor {
    /// Sums a broadcast gradient back to `shape` (`at::sum_to`).
    func _sumTo(_ target: [Int]) -> Tensor {
        if target.isEmpty { return sum() }
        let lead = rank - target.count
        var dims = Array(0..<lead)
        for i in lead..<rank where target[i - lead] == 1 && shape[i] != 1 { dims.append(i) }
        if dims.isEmpty { return self.reshape(target) }
        return sum(dims: dims, keepDim: true).reshape(target)
    }
}
