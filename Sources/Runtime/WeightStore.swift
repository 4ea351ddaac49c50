/// Storage of one weight tensor as the layer kernels see it: values and gradient arrays.
///
/// ``Parameter`` is the float32 store the runtime uses; the gradient-check tests use a float64
/// store so the very same layer code can be compared with finite differences at 1e-6.
protocol WeightStore: AnyObject {
    associatedtype Scalar: RuntimeScalar
    var values: [Scalar] { get set }
    var gradient: [Scalar] { get set }
    /// Element count, known without touching `values` or `gradient`.
    var count: Int { get }
    /// The values in place, for reading (inference reads weights only through this, so a
    /// ``Parameter`` used in place is never copied).
    func withValues<R>(_ body: (UnsafeBufferPointer<Scalar>) throws -> R) rethrows -> R
}

extension Parameter: WeightStore {}

extension Array where Element: WeightStore {
    /// `body` with the values of the store at `index` in place (``WeightStore/withValues(_:)``),
    /// or with nil when `index` is nil (a layer option that is off, such as BatchNormalization's `center`).
    func withOptionalValues<R>(_ index: Int?, _ body: (UnsafeBufferPointer<Element.Scalar>?) throws -> R) rethrows -> R {
        guard let index else { return try body(nil) }
        return try self[index].withValues { try body($0) }
    }
}

/// A float64 weight store (tests and reference computations).
final class Float64Parameter: WeightStore {
    let name: String
    var values: [Double]
    var gradient: [Double]
    init(name: String, values: [Double]) {
        self.name = name
        self.values = values
        self.gradient = [Double](repeating: 0, count: values.count)
    }
    var count: Int { values.count }
    func withValues<R>(_ body: (UnsafeBufferPointer<Double>) throws -> R) rethrows -> R {
        try values.withUnsafeBufferPointer(body)
    }
}

/// SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014):
/// a 64-bit counter advanced by the golden-ratio increment and passed through a mixing function.
/// Deterministic for a seed on every platform; used for dropout masks.
public struct SplitMix64: Sendable, Equatable {
    public private(set) var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform value in [0, 1) with 24 random bits (every float32 multiple of 2⁻²⁴).
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * 0x1p-24
    }
}
