/// The backward pass for what the fast engine (`Engine.run`) leaves out: several roots, gradients
/// captured for chosen tensors instead of accumulated into leaves (`grad(outputs:inputs:…)`), and
/// `createGraph`, where the vector-Jacobian products record a graph of their own.
///
/// It orders the nodes first (Kahn's algorithm over the consumer counts) and keeps pending
/// gradients in a dictionary: a few allocations per node that the fast engine avoids, paid
/// only by the calls that need these features.
extension Engine {
    /// Runs the graph below `roots`, each seeded with its gradient.
    ///
    /// - Parameters:
    ///   - captures: When given, the nodes whose incoming gradient is returned (in this order);
    ///     only the part of the graph that leads to them runs, and no leaf's `.grad` changes.
    ///     When `nil`, every reachable leaf accumulates its gradient, as `backward()` does.
    ///   - createGraph: Run the vector-Jacobian products with grad mode on, so the gradients
    ///     are differentiable again.
    /// - Returns: The captured gradients, `nil` where no gradient reached a node.
    static func runGraph(
        roots: [(AutogradNode, Tensor)], captures: [AutogradNode]?, retainGraph: Bool, createGraph: Bool
    ) -> [Tensor?] {
        // Consumers of each node within the part of the graph we run.
        var consumers: [ObjectIdentifier: Int] = [:]
        var stack: [AutogradNode] = []
        for (root, _) in roots where consumers[ObjectIdentifier(root)] == nil {
            consumers[ObjectIdentifier(root)] = 0
            stack.append(root)
        }
        while let node = stack.popLast() {
            for next in node.nextFunctions {
                guard let next else { continue }
                let id = ObjectIdentifier(next)
                if let count = consumers[id] {
                    consumers[id] = count + 1
                } else {
                    consumers[id] = 1
                    stack.append(next)
                }
            }
        }
        // Consumers before producers.
        var order: [AutogradNode] = []
        var remaining = consumers
        var seen = Set<ObjectIdentifier>()
        for (root, _) in roots where remaining[ObjectIdentifier(root)] == 0 && seen.insert(ObjectIdentifier(root)).inserted {
            stack.append(root)
        }
        while let node = stack.popLast() {
            order.append(node)
            for next in node.nextFunctions {
                guard let next else { continue }
                let id = ObjectIdentifier(next)
                remaining[id]! -= 1
                if remaining[id] == 0 { stack.append(next) }
            }
        }

        let captureIndex = Dictionary(
            (captures ?? []).enumerated().map { (ObjectIdentifier($0.element), $0.offset) },
            uniquingKeysWith: { first, _ in first })
        // With captures, a node runs only if a captured node lies below it (producers first).
        var needed = Set<ObjectIdentifier>()
        if captures != nil {
            for node in order.reversed() {
                let id = ObjectIdentifier(node)
                if captureIndex[id] != nil || node.nextFunctions.contains(where: { $0.map { needed.contains(ObjectIdentifier($0)) } ?? false }) {
                    needed.insert(id)
                }
            }
        }

        var pending: [ObjectIdentifier: Tensor] = [:]
        for (root, gradient) in roots {
            let id = ObjectIdentifier(root)
            pending[id] = pending[id].map { $0 + gradient } ?? gradient
        }
        var captured = [Tensor?](repeating: nil, count: captures?.count ?? 0)
        GradMode.withThreadMode(createGraph) {
            for node in order {
                let id = ObjectIdentifier(node)
                guard let grad = pending.removeValue(forKey: id) else { continue }
                if let k = captureIndex[id] {
                    // Every capture of the same node receives the gradient.
                    for (j, c) in captures!.enumerated() where j >= k && c === node { captured[j] = grad }
                }
                if captures != nil && !needed.contains(id) { continue }
                if let leaf = node.variable {
                    if captures == nil {
                        leaf._withUnsafeGuaranteedRef { createGraph ? accumulateKeepingGraph(grad, into: $0) : accumulate(grad, into: $0) }
                    }
                    continue
                }
                if let output = node.retainedOutput, captures == nil {
                    createGraph ? accumulateKeepingGraph(grad, into: output) : accumulate(grad, into: output)
                }
                let inputGrads: [Tensor?]
                if let vjp = node.vjp2 {
                    let (g0, g1) = vjp(grad, node)
                    inputGrads = [g0, g1]
                } else {
                    inputGrads = node.vjpN!(grad, node)
                }
                if !retainGraph { node.releaseSaved() }
                for i in 0..<node.edgeCount {
                    guard i < inputGrads.count, let g = inputGrads[i], let next = node.nextNodeUnretained(i)?.takeUnretainedValue() else { continue }
                    let nextID = ObjectIdentifier(next)
                    if captures != nil && !needed.contains(nextID) { continue }
                    let fitted = node.fitToInput(g, i)
                    pending[nextID] = pending[nextID].map { $0 + fitted } ?? fitted
                }
            }
        }
        return captured
    }

    /// PyTorch's `AccumulateGrad` with grad mode on: the first gradient becomes `.grad` through
    /// a recorded copy (`CopyBackwards`), later ones are added out of place, so `.grad` stays
    /// differentiable.
    static func accumulateKeepingGraph(_ grad: Tensor, into tensor: Tensor) {
        if let existing = tensor._grad {
            tensor._grad = existing + grad
        } else {
            let copy = noGrad { cloneObeyingLayoutContract(grad, tensor) }
            tensor._grad = copy._recorded("CopyBackwards", grad) { g, _ in (g, nil) }
        }
    }
}
