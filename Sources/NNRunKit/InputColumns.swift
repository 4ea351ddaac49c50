import Format
import Tabular

/// Which CSV columns feed a model's inputs.
///
/// When the model knows its input names (``Metadata/inputNames``) and the file has a header, columns
/// are matched by name (order in the file does not matter, extra columns are ignored, a missing name
/// is an error naming it). Otherwise the inputs are the file's columns other than `excluded`
/// (identifier columns passed through, or training targets) in file order, and their count must
/// equal the model's input width. In that count, a first column named `""` or `Unnamed: 0` (the
/// index pandas' `to_csv` writes by default, and what it becomes after a round trip through
/// `read_csv`) is left out when the other columns are exactly the model's inputs; it is never an
/// input then, and `--keep 1` still copies it.
public enum InputColumns {
    /// Whether header name `name` of the first column is pandas' unnamed index.
    static func isPandasIndex(_ name: String) -> Bool { name.isEmpty || name == "Unnamed: 0" }

    /// - Parameter selection: `--input-columns`: the inputs, as ``ColumnSelector`` references (names,
    ///   numbers from 1, ranges) in the model's input order; nil matches by name or position as above.
    /// - Throws: ``CSVError/missingColumn(file:name:available:)``, ``CSVError/columnCountMismatch(file:found:expected:detail:)``,
    ///   or ``CSVError/invalidColumn(file:column:columnName:detail:)`` for a selected column that is also excluded.
    public static func resolve(reader: NumericCSVReader, inputWidth: Int, inputNames: [String]?, excluding excluded: [Int] = [],
                               selection: [String]? = nil) throws -> [Int] {
        if let selection {
            var chosen: [Int] = [], seen = Set<Int>()
            for s in selection { for c in try ColumnSelector(s).resolve(in: reader) where seen.insert(c).inserted { chosen.append(c) } }
            if let c = chosen.first(where: Set(excluded).contains) {
                throw CSVError.invalidColumn(file: reader.fileName, column: c + 1, columnName: reader.columnName(c),
                                             detail: "--input-columns selects it, but it is also a kept or target column; a column cannot be both")
            }
            guard chosen.count == inputWidth else {
                throw CSVError.columnCountMismatch(file: reader.fileName, found: chosen.count, expected: inputWidth,
                                                   detail: "--input-columns selects \(chosen.count) column\(chosen.count == 1 ? "" : "s"); the model takes \(inputWidth) input\(inputWidth == 1 ? "" : "s")")
            }
            return chosen
        }
        if let inputNames, inputNames.count == inputWidth, reader.header != nil {
            return try reader.columnIndices(named: inputNames)
        }
        let excludedSet = Set(excluded)
        var candidates = (0..<reader.columnCount).filter { !excludedSet.contains($0) }
        if candidates.count == inputWidth + 1, candidates.first == 0, let name = reader.header?.first, isPandasIndex(name) {
            candidates.removeFirst()
        }
        guard candidates.count == inputWidth else {
            let detail: String
            if inputNames != nil {
                detail = "the model takes \(inputWidth) input\(inputWidth == 1 ? "" : "s"); the file has no header to match its input names"
            } else {
                detail = "the model takes \(inputWidth) input\(inputWidth == 1 ? "" : "s") and has no input names to match columns by"
            }
            let excludedNote = excluded.isEmpty ? "" : "; not counting \(excluded.count) kept or target column\(excluded.count == 1 ? "" : "s")"
            // More columns than inputs and a header to name them by: the option that picks the inputs.
            let hint = candidates.count > inputWidth && reader.header != nil ? "; --input-columns names the model's inputs (the other columns are left out)" : ""
            throw CSVError.columnCountMismatch(file: reader.fileName, found: candidates.count, expected: inputWidth, detail: detail + excludedNote + hint)
        }
        return candidates
    }
}
