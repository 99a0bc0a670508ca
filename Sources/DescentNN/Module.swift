import Descent

/// A building block of a model, like `torch.nn.Module`: it owns parameters, buffers and child
/// modules and maps an input tensor to an output.
///
/// Subclasses declare what they own as stored properties — a ``Parameter``, a module, an array
/// of modules or of parameters, optionals of these — and override ``forward(_:)``. Names,
/// parameter lists, `train()`/`eval()`, `zeroGrad()` and state dicts find them by reflection,
/// in declaration order, under PyTorch's names: a lowerCamelCase property is the snake_case
/// attribute PyTorch code would have (`inProj` is `in_proj`), and an array's elements are
/// numbered (`blocks.0.fc.weight`), so state dicts interchange with PyTorch's.
///
/// ```swift
/// final class Block: Module {
///     let fc = Linear(inFeatures: 4, outFeatures: 4)
///     override func forward(_ x: Tensor) -> Tensor { fc(x).relu() + x }
/// }
/// final class Net: Module {
///     let scale = Parameter(Tensor.ones([]))
///     let blocks = [Block(), Block()]
///     override func forward(_ x: Tensor) -> Tensor { blocks.reduce(x) { $1($0) } * scale }
/// }
/// Net().namedParameters().map(\.0)
/// // ["scale", "blocks.0.fc.weight", "blocks.0.fc.bias", "blocks.1.fc.weight", "blocks.1.fc.bias"]
/// ```
///
/// A module whose parts are not stored properties overrides ``namedChildren`` and
/// ``namedOwnParameters`` instead.
open class Module {
    /// Whether the module is in training mode (`module.training`).
    public private(set) var isTraining = true
    /// Buffers registered by name, in order: (name, tensor, persistent).
    private var registeredBuffers: [(String, Tensor?, Bool)] = []

    /// A module with no parameters or children of its own.
    public init() {}

    /// Direct children with their attribute names, in declaration order: found by reflection
    /// unless a subclass overrides this.
    open var namedChildren: [(String, Module)] { _reflected().children }

    /// Parameters this module owns itself (not its children's), with their names: by
    /// reflection unless a subclass overrides this.
    open var namedOwnParameters: [(String, Tensor)] { _reflected().parameters }

    /// The module's stored properties that are parameters or modules, superclasses' first.
    private func _reflected() -> (parameters: [(String, Tensor)], children: [(String, Module)]) {
        var mirrors: [Mirror] = []
        var mirror: Mirror? = Mirror(reflecting: self)
        while let m = mirror, m.subjectType != Module.self {
            mirrors.append(m)
            mirror = m.superclassMirror
        }
        var parameters: [(String, Tensor)] = [], children: [(String, Module)] = []
        for m in mirrors.reversed() {
            for child in m.children {
                guard let label = child.label else { continue }
                let name = Module.pytorchName(label)
                switch child.value {
                case let p as Parameter: parameters.append((name, p))
                case let module as Module: children.append((name, module))
                case let modules as [Module]: children.append((name, ModuleList(modules)))
                case let list as [Parameter]:
                    parameters += list.enumerated().map { ("\(name).\($0.offset)", $0.element) }
                default: break
                }
            }
        }
        return (parameters, children)
    }

    /// A Swift property's name as the attribute PyTorch code would have: lazy storage and
    /// wrapper prefixes dropped, lowerCamelCase to snake_case (`weightIhL0` is `weight_ih_l0`).
    static func pytorchName(_ label: String) -> String {
        var name = label
        if name.hasPrefix("$__lazy_storage_$_") { name.removeFirst("$__lazy_storage_$_".count) }
        if name.hasPrefix("_") { name.removeFirst() }
        let chars = Array(name)
        var out = ""
        for (i, c) in chars.enumerated() {
            if c.isUppercase {
                let previous = i > 0 ? chars[i - 1] : nil
                let next = i + 1 < chars.count ? chars[i + 1] : nil
                if let previous, previous != "_", previous.isLowercase || previous.isNumber || (previous.isUppercase && (next?.isLowercase ?? false)) {
                    out.append("_")
                }
                out += c.lowercased()
            } else {
                out.append(c)
            }
        }
        return out
    }

    /// Registers a tensor that is part of the module's state but not a parameter (a running
    /// mean), like `register_buffer`. A persistent buffer is saved in ``stateDict()``; a `nil`
    /// one is listed nowhere until it is set.
    ///
    /// ```swift
    /// registerBuffer("running_mean", Tensor.zeros(8))
    /// let mean = buffer("running_mean")!
    /// ```
    public func registerBuffer(_ name: String, _ tensor: Tensor?, persistent: Bool = true) {
        if name.contains(".") { preconditionFailure("buffer name can't contain \".\"") }
        if name.isEmpty { preconditionFailure("buffer name can't be empty string \"\"") }
        if let i = registeredBuffers.firstIndex(where: { $0.0 == name }) {
            registeredBuffers[i] = (name, tensor, persistent)
        } else {
            registeredBuffers.append((name, tensor, persistent))
        }
    }

    /// The buffer registered under `name`; setting replaces it, keeping whether it persists.
    public func buffer(_ name: String) -> Tensor? {
        registeredBuffers.first { $0.0 == name }?.1
    }

    /// Replaces the tensor of a registered buffer.
    public func setBuffer(_ name: String, _ tensor: Tensor?) {
        guard let i = registeredBuffers.firstIndex(where: { $0.0 == name }) else {
            preconditionFailure("no buffer named \"\(name)\"; register it with registerBuffer first")
        }
        registeredBuffers[i].1 = tensor
    }

    /// Every buffer with its dotted name, children's included, like `named_buffers()`.
    public func namedBuffers() -> [(String, Tensor)] {
        var out = registeredBuffers.compactMap { entry in entry.1.map { (entry.0, $0) } }
        for (name, child) in namedChildren {
            out += child.namedBuffers().map { ("\(name).\($0.0)", $0.1) }
        }
        return out
    }

    /// Converts every floating-point parameter and buffer (and the parameters' gradients) to
    /// `dtype` in place, like `module.to(dtype)`; integer buffers keep their dtype, as in
    /// PyTorch. The tensors stay the same objects, so an optimizer made before still holds them.
    ///
    /// ```swift
    /// let model = Linear(inFeatures: 3, outFeatures: 1).to(.float64)   // model.double()
    /// ```
    @discardableResult
    public func to(_ dtype: DType) -> Self {
        if !dtype.isFloatingPoint { preconditionFailure("nn.Module.to only accepts floating point dtypes, but got desired dtype=\(dtype)") }
        for t in parameters() + buffers() where t.dtype.isFloatingPoint { t._convertInPlace(to: dtype) }
        return self
    }

    /// `to(.float64)`, like `module.double()`.
    @discardableResult
    public func double() -> Self { to(.float64) }

    /// `to(.float32)`, like `module.float()`.
    @discardableResult
    public func float() -> Self { to(.float32) }

    /// Every buffer, children's included, like `buffers()`.
    public func buffers() -> [Tensor] { namedBuffers().map(\.1) }

    /// This module's own persistent buffers.
    private var persistentBuffers: [(String, Tensor)] {
        registeredBuffers.compactMap { entry in entry.2 ? entry.1.map { (entry.0, $0) } : nil }
    }

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
    ///
    /// A parameter shared by two modules (an output layer tied to an embedding) is listed
    /// once, under its first name, as PyTorch's `remove_duplicate` does: an optimizer then
    /// steps it once. ``stateDict()`` lists it under every name.
    public func namedParameters() -> [(String, Tensor)] {
        var seen = Set<ObjectIdentifier>()
        return _allNamedParameters().filter { seen.insert(ObjectIdentifier($0.1)).inserted }
    }

    private func _allNamedParameters() -> [(String, Tensor)] {
        var out = namedOwnParameters
        for (name, child) in namedChildren {
            out += child._allNamedParameters().map { ("\(name).\($0.0)", $0.1) }
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

    /// The parameters and persistent buffers by name, sharing storage with the module, like
    /// `state_dict()`: each module's parameters, then its buffers, then its children's.
    ///
    /// ```swift
    /// let state = model.stateDict()
    /// ```
    public func stateDict() -> StateDict {
        StateDict(_stateEntries().map { ($0.0, $0.1.detach()) })
    }

    private func _stateEntries() -> [(String, Tensor)] {
        var out = namedOwnParameters + persistentBuffers
        for (name, child) in namedChildren {
            out += child._stateEntries().map { ("\(name).\($0.0)", $0.1) }
        }
        return out
    }

    /// Copies tensors from `state` into the parameters and persistent buffers with the same names.
    ///
    /// With `strict` (the default) every parameter must be present and no other key may be;
    /// shapes must match either way. Nothing is copied unless everything checks out.
    ///
    /// - Throws: ``StateDictError`` listing missing keys, unexpected keys and shape mismatches.
    public func loadStateDict(_ state: StateDict, strict: Bool = true) throws {
        let own = _stateEntries()
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
