import Foundation
import Synchronization
import Format

/// One tensor of a model being run or trained, addressed by its stable path (`layers.0.kernel`).
///
/// Values are float32, row-major, laid out as ``shape`` says (a Dense kernel is `[in, units]`).
/// `gradient` has the same layout and holds dLoss/dValue after a backward pass (the mean over the
/// batch, as Keras' loss reduction gives it); optimizers read it and update `values` in place.
/// Non-trainable parameters (BatchNormalization moving statistics, Normalization mean/variance)
/// have `trainable == false`; the layer that owns them updates them itself during training.
///
/// **In place.** A parameter made from a float32 ``Tensor`` (``init(name:shape:trainable:tensor:)``)
/// reads its values from the tensor's bytes where they lie (the reader's aligned buffer, or the
/// model file's mapping) until something asks for ``values`` as an array, which copies them once
/// (training does, prediction does not: it reads through ``withValues(_:)``). ``gradient`` is
/// allocated on first use, so a network that only predicts holds one copy of its weights.
public final class Parameter: @unchecked Sendable {
    public let name: String
    public let shape: [Int]
    public let trainable: Bool
    /// Element count (product of the shape; 1 for a scalar).
    public let count: Int
    /// The float32 tensor the values are read from until ``values`` is first used; nil when the
    /// parameter was made from an array.
    private let source: Tensor?
    /// `source`'s first float, captured once: the tensor's storage is a class that owns its memory
    /// (an aligned buffer or the file's mapping) and `source` keeps it alive, so the address stays
    /// valid for this parameter's life. Nil without a `source` (or for an empty one).
    private let sourceBase: UnsafePointer<Float>?
    /// Set (with release ordering, after `owned` is stored under `lock`) once the values are an
    /// array of their own; read without the lock by ``withValues(_:)``.
    private let copied = Atomic<Bool>(false)
    /// The values once they are an array of their own (always, without a `source`).
    private var owned: [Float]?
    private var gradientStore: [Float] = []
    /// Guards the one-time copy of the values and allocation of the gradient.
    private let lock = NSLock()

    public init(name: String, shape: [Int], trainable: Bool, values: [Float]) {
        precondition(values.count == shape.reduce(1, *), "\(name): \(values.count) values for shape \(shape)")
        self.name = name
        self.shape = shape
        self.trainable = trainable
        self.count = values.count
        self.source = nil
        self.sourceBase = nil
        self.owned = values
        copied.store(true, ordering: .releasing)
    }

    /// A parameter whose values are `tensor`'s float32 bytes, used in place until ``values`` is
    /// first asked for. Returns nil when `tensor` is not float32 of `shape`'s size (or the machine is
    /// big-endian, where stored bytes are not native floats); make it from ``Tensor/floats()`` then.
    public init?(name: String, shape: [Int], trainable: Bool, tensor: Tensor) {
        #if _endian(big)
        return nil
        #else
        guard tensor.dtype == .float32, tensor.elementCount == shape.reduce(1, *) else { return nil }
        self.name = name
        self.shape = shape
        self.trainable = trainable
        self.count = tensor.elementCount
        self.source = tensor
        self.sourceBase = tensor.withUnsafeBytes { $0.baseAddress?.assumingMemoryBound(to: Float.self) }
        self.owned = nil
        #endif
    }

    /// The values as an array. The first use on a parameter made from a tensor copies them out of
    /// it; writing replaces them (the tensor is not written to).
    public var values: [Float] {
        get { ownedValues() }
        set {
            lock.lock()
            owned = newValue
            copied.store(true, ordering: .releasing)
            lock.unlock()
        }
        _modify {
            ensureOwned()
            yield &owned!
        }
    }

    /// dLoss/dValue of the last backward pass; zeros, allocated on first use.
    public var gradient: [Float] {
        get {
            ensureGradient()
            return gradientStore
        }
        set { gradientStore = newValue }
        _modify {
            ensureGradient()
            yield &gradientStore
        }
    }

    /// Calls `body` with the values, in place: the tensor's bytes while nothing has asked for
    /// ``values``, the array afterwards. Copies nothing; safe to call from several threads at once.
    ///
    /// While the values are in place this takes no lock (an atomic flag says they are; the
    /// tensor's address was taken once), which matters for tiny models predicting small batches.
    public func withValues<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        if !copied.load(ordering: .acquiring) {
            // In place: `source` is non-nil whenever `copied` is false, and its bytes stay valid even
            // if another thread copies them out meanwhile (the tensor is never written).
            return try withExtendedLifetime(source) { try body(UnsafeBufferPointer(start: sourceBase, count: count)) }
        }
        lock.lock()
        let array = owned!
        lock.unlock()
        return try array.withUnsafeBufferPointer(body)
    }

    /// Whether the values are still read from the tensor they were made from (never copied out).
    public var isInPlace: Bool {
        lock.lock()
        defer { lock.unlock() }
        return owned == nil
    }

    /// The tensor the values are read from, while ``isInPlace``.
    public var inPlaceTensor: Tensor? {
        lock.lock()
        defer { lock.unlock() }
        return owned == nil ? source : nil
    }

    private func ownedValues() -> [Float] {
        ensureOwned()
        return owned!
    }

    /// Copies the values out of the source tensor, once. No array is kept alive here, so an
    /// in-place mutation that follows does not copy the array again.
    private func ensureOwned() {
        lock.lock()
        defer { lock.unlock() }
        if owned == nil {
            owned = source!.floats()
            copied.store(true, ordering: .releasing)
        }
    }

    private func ensureGradient() {
        lock.lock()
        defer { lock.unlock() }
        if gradientStore.count != count { gradientStore = [Float](repeating: 0, count: count) }
    }
}
