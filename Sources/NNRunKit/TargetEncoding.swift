import Format
import Tabular

/// How the target column(s) of a CSV file become the numbers a loss expects, and how class labels
/// (text such as `yes`/`no`, `malignant`, `class_0`) are numbered.
///
/// - `numeric`: every selected column is a number used as it is (regression, one-hot columns,
///   probabilities for binary cross-entropy).
/// - `classIndex(classes:)`: sparse categorical cross-entropy; one column holding a class label or an
///   integer class id in `[0, classes)`, encoded as the id.
/// - `oneHot(classes:)`: categorical cross-entropy with one selected column for a model with
///   `classes > 1` outputs; labels or ids encoded one-hot.
/// - `binary`: binary cross-entropy with one output and one column: two text labels become 0 and 1
///   (the second label in sorted order is 1, the class the sigmoid output's `>= 0.5` names); numbers
///   are used as they are, with a warning for values outside `[0, 1]`.
///
/// Text labels are numbered in sorted order (Unicode scalar order, as scikit-learn's `LabelEncoder`
/// sorts Python strings), unless the model already records labels (``Format/Metadata/classLabels``),
/// which are then used as they are and any other label is an error naming file, line and column.
public enum TargetEncoding: Equatable, Sendable {
    case numeric
    case classIndex(classes: Int)
    case oneHot(classes: Int)
    case binary

    /// The encoding for `loss` on a model with `outputWidth` outputs when `selectedColumns` target
    /// columns were selected.
    public static func choose(loss: LossSpec.Name, outputWidth: Int, selectedColumns: Int) -> TargetEncoding {
        switch loss {
        case .sparseCategoricalCrossentropy where selectedColumns == 1: return .classIndex(classes: outputWidth)
        case .categoricalCrossentropy where selectedColumns == 1 && outputWidth > 1: return .oneHot(classes: outputWidth)
        case .binaryCrossentropy where selectedColumns == 1 && outputWidth == 1: return .binary
        default: return .numeric
        }
    }

    /// Whether the target column is read as text (labels) rather than numbers.
    var readsLabels: Bool { self != .numeric }

    /// Number of classes the labels must name (2 for binary).
    var classes: Int {
        switch self {
        case .numeric: 0
        case .classIndex(let k), .oneHot(let k): k
        case .binary: 2
        }
    }

    /// Columns of the encoded targets for one selected column.
    var encodedWidth: Int {
        if case .oneHot(let k) = self { return k }
        return 1
    }
}
