/// Why ``NormalizationAdaptation/adapt(_:inputs:layers:threads:)`` refused.
public enum NormalizationAdaptError: Error, Equatable, CustomStringConvertible {
    /// The model file failed validation (or the layers below a Normalization could not be built).
    case invalidModel(String)
    /// The input matrix's values do not match its dimensions.
    case invalidInput(String)
    /// The input has `actual` columns, the model `expected`.
    case inputWidthMismatch(expected: Int, actual: Int)
    /// There are no rows to compute statistics from (Keras would store NaN).
    case noRows(layer: Int)
    /// The input of normalization layer `layer` holds `value` at 0-based `row`, `column`.
    case nonFiniteInput(layer: Int, row: Int, column: Int, value: Float)

    public var description: String {
        switch self {
        case .invalidModel(let s): "cannot adapt normalization: invalid model: \(s)"
        case .invalidInput(let s): "cannot adapt normalization: \(s)"
        case .inputWidthMismatch(let e, let a): "cannot adapt normalization: the data has \(a) columns, the model expects \(e)"
        case .noRows(let l): "cannot adapt normalization layer \(l): no rows (the mean of nothing is undefined)"
        case .nonFiniteInput(let l, let r, let c, let v):
            l == 0
                ? "cannot adapt normalization layer 0: row \(r + 1), input column \(c + 1) is \(v); its mean and variance would not be finite"
                : "cannot adapt normalization layer \(l): its input (the output of layer \(l - 1)) is \(v) in column \(c + 1) for data row \(r + 1); its mean and variance would not be finite"
        }
    }
}
