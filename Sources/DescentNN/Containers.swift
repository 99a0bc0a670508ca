import Descent

/// Modules held in a list, registered as children `0`, `1`, …, like `torch.nn.ModuleList`.
///
/// ```swift
/// let layers = ModuleList((0..<3).map { _ in Linear(inFeatures: 8, outFeatures: 8) })
/// var h = x
/// for layer in layers { h = layer(h).relu() }
/// ```
public final class ModuleList: Module, RandomAccessCollection {
    private var modules: [Module]

    /// A list of the given modules.
    public init(_ modules: [Module] = []) { self.modules = modules }

    public override var namedChildren: [(String, Module)] {
        modules.enumerated().map { (String($0.offset), $0.element) }
    }
    public override var namedOwnParameters: [(String, Tensor)] { [] }

    public var startIndex: Int { 0 }
    public var endIndex: Int { modules.count }

    /// The module at `index`; negative indices count from the end, as in Python.
    public subscript(index: Int) -> Module {
        let i = index < 0 ? index + modules.count : index
        guard i >= 0 && i < modules.count else { preconditionFailure("index \(index) is out of range") }
        return modules[i]
    }

    /// The modules in `range`, as a new list sharing them.
    public subscript(range: Range<Int>) -> ModuleList { ModuleList(Array(modules[range])) }

    /// Adds a module at the end (`append`).
    public func append(_ module: Module) { modules.append(module) }

    /// Adds modules at the end (`extend`).
    public func extend(_ more: [Module]) { modules += more }

    /// A list is not called; its owner decides how its modules run.
    public override func forward(_ input: Tensor) -> Tensor {
        preconditionFailure("ModuleList is not callable: iterate over it in the owner's forward")
    }
}

/// Modules by name, in insertion order, like `torch.nn.ModuleDict`.
///
/// ```swift
/// let heads = ModuleDict(["age": Linear(inFeatures: 16, outFeatures: 1), "kind": Linear(inFeatures: 16, outFeatures: 3)])
/// let kind = heads["kind"]!(features)
/// ```
public final class ModuleDict: Module {
    private var entries: [(String, Module)]

    /// A dictionary of modules, in the order of `pairs`.
    public init(_ pairs: KeyValuePairs<String, Module> = [:]) { entries = pairs.map { ($0.key, $0.value) } }

    /// A dictionary of modules from an array of pairs, in order.
    public init(_ pairs: [(String, Module)]) { entries = pairs }

    public override var namedChildren: [(String, Module)] { entries }
    public override var namedOwnParameters: [(String, Tensor)] { [] }

    /// The names, in order.
    public var keys: [String] { entries.map(\.0) }

    /// The module under `key`; setting adds it at the end or replaces it in place.
    public subscript(key: String) -> Module? {
        get { entries.first { $0.0 == key }?.1 }
        set {
            if let i = entries.firstIndex(where: { $0.0 == key }) {
                if let newValue { entries[i].1 = newValue } else { entries.remove(at: i) }
            } else if let newValue {
                entries.append((key, newValue))
            }
        }
    }

    /// A dictionary is not called; its owner decides how its modules run.
    public override func forward(_ input: Tensor) -> Tensor {
        preconditionFailure("ModuleDict is not callable: look its modules up in the owner's forward")
    }
}
