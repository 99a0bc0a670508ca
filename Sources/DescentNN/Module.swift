import Descent

/// A building block of a model, like `torch.nn.Module`: it owns parameters and child modules
/// and maps an input tensor to an output.
///
/// Subclasses override ``forward(_:)`` and list what they own in ``namedChildren`` and
/// ``namedOwnParameters``; names, parameter lists, `train()`/`eval()`, `zeroGrad()` and state
/// dicts then work as in PyTorch.
///
/// ```swift
/// final class TwoLayer: Module {
///     let fc1 = Linear(inFeatures: 4, outFeatures: 8)
///     let fc2 = Linear(inFeatures: 8, outFeatures: 3)
///     override var namedChildren: [(String, Module)] { [("fc1", fc1), ("fc2", fc2)] }
///     override func forward(_ x: Tensor) -> Tensor { fc2(fc1(x).relu()) }
/// }
/// ```
open class Module {
    /// Whether the module is in training mode (`module.training`).
    public private(set) var isTraining = true

    /// A module with no parameters or children of its own.
    public init() {}

    /// Direct children with their attribute names, in registration order.
    open var namedChildren: [(String, Module)] { [] }

    /// Parameters this module owns itself (not its children's), with their names.
    open var namedOwnParameters: [(String, Tensor)] { [] }

    /// Computes the module's output.
    open func forward(_ input: Tensor) -> Tensor {
        fatalError("\(type(of: self)) must override forward(_:)")
    }

    /// Calls ``forward(_:)``, so a module is used like a function: `model(x)`.
    public func callAsFunction(_ input: Tensor) -> Tensor { forward(input) }

    /// Every parameter with its dotted name (`0.weight`, `fc2.bias`), like `named_parameters()`.
    ///
    /// ```swift
    /// for (name, p) in model.namedParameters() { print(name, p.shape) }
    /// ```
    public func namedParameters() -> [(String, Tensor)] {
        var out = namedOwnParameters
        for (name, child) in namedChildren {
            out += child.namedParameters().map { ("\(name).\($0.0)", $0.1) }
        }
        return out
    }

    /// Every parameter, children's included, like `parameters()`.
    ///
    /// ```swift
    /// let optimizer = SGD(model.parameters(), lr: 0.1)
    /// ```
    public func parameters() -> [Tensor] { namedParameters().map(\.1) }

    /// The direct children, like `children()`.
    public func children() -> [Module] { namedChildren.map(\.1) }

    /// Sets training mode on this module and every descendant; returns `self`.
    @discardableResult
    public func train(_ mode: Bool = true) -> Self {
        isTraining = mode
        for child in children() { child.train(mode) }
        return self
    }

    /// Sets evaluation mode (`train(false)`); returns `self`.
    @discardableResult
    public func eval() -> Self { train(false) }

    /// Clears every parameter's gradient: sets it to `nil` (PyTorch 2's default) or zero.
    ///
    /// ```swift
    /// model.zeroGrad()
    /// ```
    public func zeroGrad(setToNil: Bool = true) {
        for p in parameters() {
            if setToNil { p.grad = nil } else { noGrad { p.grad?.zero() } }
        }
    }

    /// The parameters by name, sharing storage with the module, like `state_dict()`.
    ///
    /// ```swift
    /// let state = model.stateDict()
    /// ```
    public func stateDict() -> StateDict {
        StateDict(namedParameters().map { ($0.0, $0.1.detach()) })
    }

    /// Copies tensors from `state` into the parameters with the same names.
    ///
    /// With `strict` (the default) every parameter must be present and no other key may be;
    /// shapes must match either way. Nothing is copied unless everything checks out.
    ///
    /// - Throws: ``StateDictError`` listing missing keys, unexpected keys and shape mismatches.
    public func loadStateDict(_ state: StateDict, strict: Bool = true) throws {
        let own = namedParameters()
        let ownNames = Set(own.map(\.0))
        var problems = StateDictError(module: String(describing: type(of: self)))
        for (name, p) in own {
            guard let t = state[name] else {
                if strict { problems.missingKeys.append(name) }
                continue
            }
            if t.shape != p.shape { problems.sizeMismatches.append((name, t.shape, p.shape)) }
        }
        if strict { problems.unexpectedKeys = state.keys.filter { !ownNames.contains($0) } }
        if !problems.isEmpty { throw problems }
        noGrad {
            for (name, p) in own {
                if let t = state[name] { p.copy(from: t) }
            }
        }
    }
}

/// Tensors by name, in order, like PyTorch's `OrderedDict` state dicts.
///
/// ```swift
/// var state = model.stateDict()
/// print(state.keys)            // ["0.weight", "0.bias", "2.weight", "2.bias"]
/// state["0.bias"] = Tensor.zeros(8)
/// ```
public struct StateDict: Sendable {
    /// The names, in order.
    public private(set) var keys: [String] = []
    private var values: [String: Tensor] = [:]

    /// A state dict from name-tensor pairs, in order.
    public init(_ pairs: [(String, Tensor)] = []) {
        for (k, v) in pairs { self[k] = v }
    }

    /// The tensor stored under `key`; setting `nil` removes it.
    public subscript(key: String) -> Tensor? {
        get { values[key] }
        set {
            if let newValue {
                if values[key] == nil { keys.append(key) }
                values[key] = newValue
            } else if values.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    /// The entries in order.
    public var items: [(String, Tensor)] { keys.map { ($0, values[$0]!) } }
}

/// Why a state dict could not be loaded, worded as PyTorch words it.
public struct StateDictError: Error, CustomStringConvertible {
    /// The module's type name.
    public let module: String
    /// Parameters the state dict lacks.
    public var missingKeys: [String] = []
    /// Keys that name no parameter.
    public var unexpectedKeys: [String] = []
    /// Keys whose tensors have another shape than the parameter.
    public var sizeMismatches: [(key: String, checkpoint: [Int], model: [Int])] = []

    init(module: String) { self.module = module }

    var isEmpty: Bool { missingKeys.isEmpty && unexpectedKeys.isEmpty && sizeMismatches.isEmpty }

    public var description: String {
        var lines = ["Error(s) in loading state_dict for \(module):"]
        let quoted = { (keys: [String]) in keys.map { "\"\($0)\"" }.joined(separator: ", ") }
        if !missingKeys.isEmpty { lines.append("\tMissing key(s) in state_dict: \(quoted(missingKeys)). ") }
        if !unexpectedKeys.isEmpty { lines.append("\tUnexpected key(s) in state_dict: \(quoted(unexpectedKeys)). ") }
        for m in sizeMismatches {
            lines.append("\tsize mismatch for \(m.key): copying a param with shape torch.Size(\(m.checkpoint)) from checkpoint, the shape in current model is torch.Size(\(m.model)).")
        }
        return lines.joined(separator: "\n")
    }
}
