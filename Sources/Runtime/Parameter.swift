import Format

/// One tensor of a model being run or trained, addressed by its stable path (`layers.0.kernel`).
///
/// Values are float32, row-major, laid out as ``shape`` says (a Dense kernel is `[in, units]`).
/// `gradient` has the same layout and holds dLoss/dValue after a backward pass (the mean over the
/// batch, as Keras' loss reduction gives it); optimizers read it and update `values` in place.
/// Non-trainable parameters (BatchNormalization moving statistics, Normalization mean/variance)
/// have `trainable == false`; the layer that owns them updates them itself during training.
public final class Parameter: @unchecked Sendable {
    public let name: String
    public let shape: [Int]
    public let trainable: Bool
    public var values: [Float]
    public var gradient: [Float]

    public init(name: String, shape: [Int], trainable: Bool, values: [Float]) {
        precondition(values.count == shape.reduce(1, *), "\(name): \(values.count) values for shape \(shape)")
        self.name = name
        self.shape = shape
        self.trainable = trainable
        self.values = values
        self.gradient = [Float](repeating: 0, count: values.count)
    }

    /// Element count (product of the shape; 1 for a scalar).
    public var count: Int { values.count }
}
