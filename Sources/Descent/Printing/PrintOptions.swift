import Synchronization

/// How tensors print, PyTorch's `torch.set_printoptions`.
///
/// ```swift
/// PrintOptions.set(precision: 2)
/// print(Tensor([1.2345]))          // tensor([1.23])
/// PrintOptions.reset()
/// ```
public struct PrintOptions: Sendable, Equatable {
    /// Digits after the decimal point.
    public var precision = 4
    /// Tensors with more elements than this print summarised with `...`.
    public var threshold = 1000
    /// Items shown at each end of a summarised dimension.
    public var edgeItems = 3
    /// Characters per line before wrapping.
    public var lineWidth = 80
    /// `true` forces scientific notation, `false` forbids it, `nil` lets PyTorch's rule decide.
    public var sciMode: Bool? = nil

    /// PyTorch's defaults.
    public init() {}

    private static let storage = Mutex(PrintOptions())

    /// The options in force.
    public static var current: PrintOptions {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }

    /// Changes some options, leaving the rest as they are.
    ///
    /// ```swift
    /// PrintOptions.set(precision: 6, sciMode: false)
    /// ```
    public static func set(
        precision: Int? = nil, threshold: Int? = nil, edgeItems: Int? = nil, lineWidth: Int? = nil,
        sciMode: Bool?? = nil
    ) {
        storage.withLock { o in
            if let precision { o.precision = precision }
            if let threshold { o.threshold = threshold }
            if let edgeItems { o.edgeItems = edgeItems }
            if let lineWidth { o.lineWidth = lineWidth }
            if let sciMode { o.sciMode = sciMode }
        }
    }

    /// Restores PyTorch's defaults.
    public static func reset() { current = PrintOptions() }
}
