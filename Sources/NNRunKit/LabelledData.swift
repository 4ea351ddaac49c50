import Format
import Runtime
import Tabular

/// A CSV file read into memory as inputs and targets, for training and evaluation.
public struct LabelledData {
    /// Inputs `[rows, inputColumns.count]`, row-major.
    public var x: [Float]
    /// Targets `[rows, targetColumns.count]`, row-major.
    public var y: [Float]
    public var rows: Int
    /// Header names of the input columns (nil without a header).
    public var inputNames: [String]?
    /// Header names of the target columns (nil without a header).
    public var targetNames: [String]?
    public var inputWidth: Int
    public var targetWidth: Int

    /// Reads `path`, taking `targets` (column selectors) as targets and the model's inputs from the
    /// remaining columns (see ``InputColumns``).
    /// - Throws: ``CSVError`` for bad data or columns.
    public init(path: String, targets: [String], inputWidth: Int, modelInputNames: [String]?) throws {
        let reader = try NumericCSVReader(CSVReader(path: path))
        var targetColumns: [Int] = []
        for t in targets {
            for c in try ColumnSelector(t).resolve(in: reader) where !targetColumns.contains(c) { targetColumns.append(c) }
        }
        let inputColumns = try InputColumns.resolve(reader: reader, inputWidth: inputWidth, inputNames: modelInputNames, excluding: targetColumns)
        if let overlap = inputColumns.first(where: targetColumns.contains) {
            throw CSVError.columnCountMismatch(file: reader.fileName, found: reader.columnCount, expected: inputWidth + targetColumns.count,
                                               detail: "column \(reader.columnLabel(overlap)) is both an input of the model and a target")
        }
        let (values, rows) = try reader.readAll(columns: inputColumns + targetColumns)
        let w = inputColumns.count + targetColumns.count
        var x = [Float](), y = [Float]()
        x.reserveCapacity(rows * inputColumns.count)
        y.reserveCapacity(rows * targetColumns.count)
        for r in 0..<rows {
            x.append(contentsOf: values[(r * w)..<(r * w + inputColumns.count)])
            y.append(contentsOf: values[(r * w + inputColumns.count)..<((r + 1) * w)])
        }
        self.x = x
        self.y = y
        self.rows = rows
        self.inputWidth = inputColumns.count
        self.targetWidth = targetColumns.count
        if let header = reader.header {
            inputNames = inputColumns.map { header[$0] }
            targetNames = targetColumns.map { header[$0] }
        }
    }

    /// Inputs `[rows, inputWidth]` and targets `[rows, targetWidth]` as matrices for the runtime.
    public func matrices() throws -> (x: Matrix, y: Matrix) {
        (try Matrix(rows: rows, cols: inputWidth, values: x), try Matrix(rows: rows, cols: targetWidth, values: y))
    }

    /// Checks that the target columns fit a model with `outputWidth` outputs trained or evaluated
    /// with `loss` (one class-index column for sparse categorical cross-entropy, one column per
    /// output otherwise).
    /// - Throws: ``NNRunError/usage(_:)`` naming `file`, the selected and the needed column counts.
    func requireTargets(for loss: Loss, outputWidth: Int, file: String) throws {
        let expected = loss.targetWidth(outputWidth: outputWidth)
        guard targetWidth == expected else {
            throw NNRunError.usage("\(file): --target selects \(targetWidth) column\(targetWidth == 1 ? "" : "s"); the model's \(outputWidth) output\(outputWidth == 1 ? "" : "s") with loss \(loss.spec.name.rawValue) need \(expected)")
        }
    }
}
