import Format
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

    init(x: [Float], y: [Float], rows: Int, inputWidth: Int, targetWidth: Int, inputNames: [String]?, targetNames: [String]?) {
        self.x = x
        self.y = y
        self.rows = rows
        self.inputWidth = inputWidth
        self.targetWidth = targetWidth
        self.inputNames = inputNames
        self.targetNames = targetNames
    }

    /// Splits off the last `fraction` of the rows, as Keras' `validation_split` does
    /// (training rows: `floor(rows * (1 - fraction))`).
    public func split(validationFraction fraction: Double) -> (train: LabelledData, validation: LabelledData) {
        let cut = Int((Double(rows) * (1 - fraction)).rounded(.down))
        func part(_ range: Range<Int>) -> LabelledData {
            LabelledData(x: Array(x[(range.lowerBound * inputWidth)..<(range.upperBound * inputWidth)]),
                         y: Array(y[(range.lowerBound * targetWidth)..<(range.upperBound * targetWidth)]),
                         rows: range.count, inputWidth: inputWidth, targetWidth: targetWidth,
                         inputNames: inputNames, targetNames: targetNames)
        }
        return (part(0..<cut), part(cut..<rows))
    }

    /// The rows at `indices` as (inputs, targets), row-major.
    func gather(_ indices: ArraySlice<Int>) -> (x: [Float], y: [Float]) {
        var bx = [Float](), by = [Float]()
        bx.reserveCapacity(indices.count * inputWidth)
        by.reserveCapacity(indices.count * targetWidth)
        for r in indices {
            bx.append(contentsOf: x[(r * inputWidth)..<((r + 1) * inputWidth)])
            by.append(contentsOf: y[(r * targetWidth)..<((r + 1) * targetWidth)])
        }
        return (bx, by)
    }
}
