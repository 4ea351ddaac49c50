import Foundation
import Format
import Runtime
import Tabular

/// What `--missing` does with a row that has an empty or NaN value in a column the command uses.
public enum MissingPolicy: String, Sendable, CaseIterable {
    /// Report it (with every other bad value, up to ``LabelledData/errorLimit``) and fail with exit 3.
    case error
    /// Leave the row out (the count is reported as a note).
    case drop
}

/// A CSV file read into memory as inputs and targets, for training and evaluation.
///
/// Targets are encoded for the loss (``TargetEncoding``): class labels or ids in one column become
/// class ids or one-hot rows, and the label names are kept in ``classLabels``. Every bad value is
/// reported, not just the first: up to ``errorLimit`` of them, each with file, line and column, in
/// one ``Tabular/CSVError/several(file:errors:total:)`` (exit 3).
public struct LabelledData {
    /// Inputs `[rows, inputColumns.count]`, row-major.
    public var x: [Float]
    /// Encoded targets `[rows, targetWidth]`, row-major.
    public var y: [Float]
    public var rows: Int
    /// Header names of the input columns (nil without a header).
    public var inputNames: [String]?
    /// Header names of the target columns (nil without a header).
    public var targetNames: [String]?
    public var inputWidth: Int
    /// Columns of the encoded targets (the class count for a one-hot encoded label column).
    public var targetWidth: Int
    /// How the target column was encoded.
    public var encoding: TargetEncoding
    /// The class names, in class-id order: the model's when it had them, else the sorted distinct
    /// text labels of the target column; nil when the targets are numbers.
    public var classLabels: [String]?
    /// The file line of each row (1-based, for messages).
    public var lines: [Int]
    /// Rows left out by ``MissingPolicy/drop``.
    public var droppedRows: Int
    /// Warnings about the values (e.g. targets outside `[0, 1]` under binary cross-entropy), one
    /// sentence each, naming the file and column.
    public var warnings: [String] = []
    /// In a distributed run, where each rank holds only its part of the rows (``Shard``): the rows
    /// of the whole file; nil otherwise (``rows`` is the whole file).
    public var totalRows: Int?

    /// The most bad values one error lists (the total is counted beyond it).
    public static let errorLimit = 20

    /// Reads `path`, taking `targets` (column selectors) as targets and the model's inputs from the
    /// remaining columns (see ``InputColumns``).
    /// - Parameters:
    ///   - loss, outputWidth: choose the target encoding (``TargetEncoding/choose(loss:outputWidth:selectedColumns:)``);
    ///     the defaults read numbers as they are.
    ///   - classLabels: the labels the model already knows (their order is the class ids); any other
    ///     label is an error.
    ///   - missing: what to do with empty and NaN values.
    ///   - prefetched: the file's numbers read earlier (``Prefetch``), used instead of reading the rows
    ///     again when they fit the columns and the targets are numbers; otherwise ignored. Without
    ///     it, numeric targets are read through a ``Prefetch`` made here.
    ///   - fastPath: false reads value by value only (the reference the fast path is tested against).
    ///   - inputs: `--input-columns` (``InputColumns/resolve(reader:inputWidth:inputNames:excluding:selection:)``), or nil.
    /// - Throws: ``CSVError`` for bad data or columns (exit 3).
    public init(path: String, targets: [String], inputWidth: Int, modelInputNames: [String]?,
                loss: LossSpec.Name? = nil, outputWidth: Int? = nil, classLabels: [String]? = nil,
                missing: MissingPolicy = .error, prefetched: Prefetch? = nil, fastPath: Bool = true, inputs: [String]? = nil) throws {
        let reader = try NumericCSVReader(CSVReader(path: path))
        let parsed = try Self.parse(reader, targets: targets, inputWidth: inputWidth, modelInputNames: modelInputNames, loss: loss,
                                    outputWidth: outputWidth, missing: missing, inputs: inputs,
                                    prefetch: { prefetched ?? (fastPath ? Prefetch.read(path: path, targets: targets) : nil) })
        if parsed.lines.isEmpty && parsed.dropped > 0 { throw parsed.allDropped }
        try self.init(parsed, loss: loss, classLabels: classLabels)
    }

    /// The rows of a CSV file (or a part of one) as read, before the targets are encoded: what
    /// ``init(path:targets:inputWidth:modelInputNames:loss:outputWidth:classLabels:missing:prefetched:fastPath:inputs:)``
    /// reads, and each rank of a distributed run reads from its byte range (`LabelledData+Shard.swift`).
    struct Parsed {
        var file: String
        var header: [String]?
        var inputColumns: [Int]
        var targetColumns: [Int]
        /// (1-based column, header name) of each target column.
        var targetPlaces: [(Int, String?)]
        var encoding: TargetEncoding
        var x: [Float] = []
        var numericTargets: [Float] = []
        var labelText: [String] = []
        var lines: [Int] = []
        var errors: [CSVError] = []
        var errorCount = 0
        var dropped = 0
        /// Target values read as numbers that were text (not empty, not NaN).
        var targetTexts = 0

        mutating func record(_ e: CSVError) {
            errorCount += 1
            if errors.count < LabelledData.errorLimit { errors.append(e) }
        }

        /// The error when `--missing drop` left no rows of `rows` dropped ones.
        func allDropped(rows: Int) -> CSVError {
            .invalidColumn(file: file, column: (inputColumns + targetColumns)[0] + 1, columnName: nil,
                           detail: "every one of the \(rows) rows has a missing value; --missing drop left no rows")
        }
        var allDropped: CSVError { allDropped(rows: dropped) }

        /// When the targets were read as numbers and the one target column holds text in most rows
        /// (class labels such as "setosa" under mse, or under a cross-entropy the model's output does
        /// not fit): one error naming the column and the losses that read labels, instead of one "is
        /// not a number" line per row. A few stray texts in a numeric column stay listed as they are.
        func textTargetError(loss: LossSpec.Name?) -> CSVError? {
            guard encoding == .numeric, targetColumns.count == 1, targetTexts * 2 > lines.count, let (column, name) = targetPlaces.first else { return nil }
            for case .notNumeric(_, _, let c, _, let text) in errors where c == column {
                let found = "text such as \(CSVError.quoted(text)) in the target column, but "
                let detail: String
                switch loss {
                // A classification loss reads labels only for the output it fits (TargetEncoding.choose).
                case .binaryCrossentropy?:
                    detail = found + "binary_crossentropy reads two class labels only for a model with one sigmoid output, and this model has "
                        + "several outputs; for a softmax output with one unit per class use --loss sparse_categorical_crossentropy or categorical_crossentropy"
                case .categoricalCrossentropy?:
                    detail = found + "categorical_crossentropy reads class labels only for a softmax output with one unit per class, and this model "
                        + "has one output; for two labels and one sigmoid output use --loss binary_crossentropy"
                default:
                    let reading = loss.map { "with the loss \($0.rawValue) targets are read as numbers" } ?? "targets are read as numbers"
                    detail = found + "\(reading); class labels need a classification loss: "
                        + "--loss categorical_crossentropy or sparse_categorical_crossentropy for a softmax output with one unit per class, "
                        + "binary_crossentropy for one sigmoid output"
                }
                return .invalidColumn(file: file, column: column, columnName: name, detail: detail)
            }
            return nil
        }
    }

    /// Resolves the columns on `reader` (which has read the header, or continues a file whose
    /// header another reader read) and reads its rows. Bad values are recorded in the result
    /// (``Parsed/errors``); errors of the file's structure (quotes, ragged rows) are thrown.
    /// - Parameter prefetch: for numeric targets, the rows read by the fast path (``Prefetch``), or nil.
    static func parse(_ reader: NumericCSVReader, targets: [String], inputWidth: Int, modelInputNames: [String]?,
                      loss: LossSpec.Name?, outputWidth: Int?, missing: MissingPolicy, inputs: [String]? = nil,
                      prefetch: () -> Prefetch?) throws -> Parsed {
        let file = reader.fileName
        var targetColumns: [Int] = []
        var targetSet = Set<Int>()  // membership in constant time: a million target columns stay linear
        for t in targets {
            for c in try ColumnSelector(t).resolve(in: reader) where targetSet.insert(c).inserted { targetColumns.append(c) }
        }
        let inputColumns = try InputColumns.resolve(reader: reader, inputWidth: inputWidth, inputNames: modelInputNames, excluding: targetColumns,
                                                    selection: inputs)
        if let overlap = inputColumns.first(where: targetSet.contains) {
            // (--input-columns naming a target is refused by InputColumns.resolve.)
            let why = modelInputNames != nil ? "the model records it among its input names" : "it is also one of the model's inputs"
            throw CSVError.invalidColumn(file: file, column: overlap + 1, columnName: reader.columnName(overlap),
                                         detail: "--target selects it, but \(why); a column cannot be both an input and a target")
        }
        let encoding = loss.map { TargetEncoding.choose(loss: $0, outputWidth: outputWidth ?? 0, selectedColumns: targetColumns.count) } ?? .numeric
        if case .classIndex(let k) = encoding, k < 2 {
            // One output has one class id, 0: every other label would be reported row by row as out of range.
            throw NNRunError.usage("\(file): sparse_categorical_crossentropy reads class ids for a softmax output with one unit per class, "
                                   + "and the model has \(k) output; for two classes and one sigmoid output use --loss binary_crossentropy")
        }
        var x: [Float] = [], numericTargets: [Float] = [], labelText: [String] = [], lines: [Int] = []
        var errors: [CSVError] = [], errorCount = 0, dropped = 0, targetTexts = 0
        func record(_ e: CSVError) {
            errorCount += 1
            if errors.count < Self.errorLimit { errors.append(e) }
        }
        func isMissing(_ e: CSVError) -> Bool {
            switch e {
            case .emptyValue, .notANumber: true
            default: false
            }
        }
        // Numeric targets: the rows are read by the CSV reader's fast path (``Prefetch``, unless read
        // already), which stops at the first value that is not a finite number; the loop below then
        // reads them again, value by value, reporting every bad value.
        if encoding == .numeric, let rows = prefetch()?.take(header: reader.header, columnCount: reader.columnCount,
                                                              inputColumns: inputColumns, targetColumns: targetColumns) {
            (x, numericTargets, lines) = rows
        } else {
            while try reader.nextRow() {
                let xStart = x.count, yStart = numericTargets.count
                var missingHere = false
                func read(_ c: Int, into values: inout [Float], target: Bool = false) {
                    do {
                        values.append(try reader.value(c))
                    } catch let e as CSVError {
                        if target, case .notNumeric = e { targetTexts += 1 }
                        if missing == .drop && isMissing(e) { missingHere = true } else { record(e) }
                        values.append(0)
                    } catch {
                        record(.unreadable(file: file, reason: "\(error)"))
                        values.append(0)
                    }
                }
                for c in inputColumns { read(c, into: &x) }
                if encoding.readsLabels {
                    let c = targetColumns[0], text = reader.text(c)
                    if Self.isMissingLabel(text) {
                        if missing == .drop { missingHere = true } else { record(.emptyValue(file: file, line: reader.currentLine, column: c + 1, columnName: reader.columnName(c))) }
                    }
                    labelText.append(text)
                } else {
                    for c in targetColumns { read(c, into: &numericTargets, target: true) }
                }
                if missingHere {
                    x.removeSubrange(xStart...)
                    numericTargets.removeSubrange(yStart...)
                    if encoding.readsLabels { labelText.removeLast() }
                    dropped += 1
                    continue
                }
                lines.append(reader.currentLine)
            }
        }
        return Parsed(file: file, header: reader.header, inputColumns: inputColumns, targetColumns: targetColumns,
                      targetPlaces: targetColumns.map { ($0 + 1, reader.columnName($0)) }, encoding: encoding,
                      x: x, numericTargets: numericTargets, labelText: labelText, lines: lines, errors: errors,
                      errorCount: errorCount, dropped: dropped, targetTexts: targetTexts)
    }

    /// Encodes the targets of `parsed` and throws its recorded errors (with any found here).
    /// - Parameter agreedLabels: in a distributed run, the text labels of the whole file (sorted,
    ///   distinct), which rows of this part are numbered by; nil reads them from these rows.
    /// - Parameter unitInterval: when the caller reports targets outside `[0, 1]` itself (a
    ///   distributed run, over all parts), false; true adds the warning from these rows.
    init(_ parsed: Parsed, loss: LossSpec.Name?, classLabels: [String]?, agreedLabels: [String]? = nil, unitInterval: Bool = true) throws {
        var p = parsed
        let encoding = p.encoding
        self.encoding = encoding
        self.rows = p.lines.count
        self.lines = p.lines
        self.droppedRows = p.dropped
        self.inputWidth = p.inputColumns.count
        self.x = p.x
        if let header = p.header {
            inputNames = p.inputColumns.map { header[$0] }
            targetNames = p.targetColumns.map { header[$0] }
        }
        if encoding.readsLabels {
            let (column, name) = p.targetPlaces[0]
            let place = (file: p.file, column: column, name: name)
            let known = classLabels?.count == encoding.classes ? classLabels : agreedLabels
            var (ids, labels, warnings) = try Self.encodeLabels(p.labelText, lines: p.lines, encoding: encoding, known: known,
                                                                place: place, record: { p.record($0) })
            if !unitInterval { warnings = [] }
            self.classLabels = labels
            self.warnings = warnings
            if case .oneHot(let k) = encoding {
                var y = [Float](repeating: 0, count: ids.count * k)
                for (r, id) in ids.enumerated() where id >= 0 && id < Float(k) { y[r * k + Int(id)] = 1 }
                self.y = y
            } else {
                self.y = ids
            }
            if case .oneHot = encoding, let names = targetNames { targetNames = labels ?? (0..<encoding.classes).map { "\(names[0])_\($0)" } }
        } else {
            self.y = p.numericTargets
            self.classLabels = nil
            if loss == .binaryCrossentropy, !p.targetColumns.isEmpty, unitInterval {
                if let w = Self.unitIntervalWarning(p.numericTargets, width: p.targetColumns.count, lines: p.lines, file: p.file,
                                                    columns: p.targetPlaces) {
                    warnings.append(w)
                }
            }
        }
        self.targetWidth = encoding.readsLabels ? encoding.encodedWidth : p.targetColumns.count
        if let e = p.textTargetError(loss: loss) { throw e }
        if p.errorCount == 1 { throw p.errors[0] }
        if p.errorCount > 1 { throw CSVError.several(file: p.file, errors: p.errors, total: p.errorCount) }
    }

    /// Empty (after spaces) or spelled NaN: a missing label.
    static func isMissingLabel(_ text: String) -> Bool {
        let t = text.trimmingCharacters(in: .whitespaces)
        return t.isEmpty || t.lowercased() == "nan"
    }

    /// The number `text` spells, or nil.
    static func number(_ text: String) -> Float? {
        var t = text
        if case .value(let v) = t.withUTF8({ NumberParser.parse($0) }) { return v }
        return nil
    }

    /// Class ids (binary: the 0/1 or probability target) for label texts, the labels used, and
    /// warnings. Bad values are passed to `record`; their ids are -1.
    static func encodeLabels(_ texts: [String], lines: [Int], encoding: TargetEncoding, known: [String]?,
                             place: (file: String, column: Int, name: String?),
                             record: (CSVError) -> Void) throws -> (ids: [Float], labels: [String]?, warnings: [String]) {
        let k = encoding.classes
        func bad(_ r: Int, _ expected: String) {
            record(.invalidValue(file: place.file, line: lines[r], column: place.column, columnName: place.name, text: texts[r], expected: expected))
        }
        let idRange = "an integer class id in [0, \(k)) or a class label"
        // Labels the model already has: their order is the class order.
        if let known, known.count == k {
            let index = Dictionary(known.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
            var ids: [Float] = []
            ids.reserveCapacity(texts.count)
            for (r, t) in texts.enumerated() {
                if let i = index[t] ?? index[t.trimmingCharacters(in: .whitespaces)] { ids.append(Float(i)); continue }
                if let v = number(t), v == v.rounded(), v >= 0, v < Float(k) { ids.append(v); continue }
                bad(r, "one of the model's class labels (\(Self.list(known)))")
                ids.append(-1)
            }
            return (ids, known, [])
        }
        let numbers = texts.map(number)
        if !numbers.contains(where: { $0 == nil }) {
            // Numbers: class ids (or, for binary, the target as it is).
            let values = numbers.map { $0! }
            if encoding == .binary {
                let w = unitIntervalWarning(values, width: 1, lines: lines, file: place.file, columns: [(place.column, place.name)])
                return (values, nil, w.map { [$0] } ?? [])
            }
            for (r, v) in values.enumerated() where !(v == v.rounded() && v >= 0 && v < Float(k)) {
                bad(r, idRange + (k > 1 ? "" : " (the model has \(k) output)"))
            }
            return (values.map { $0 == $0.rounded() && $0 >= 0 && $0 < Float(k) ? $0 : -1 }, nil, [])
        }
        // Text labels, numbered in sorted order.
        let trimmed = texts.map { $0.trimmingCharacters(in: .whitespaces) }
        let labels = Array(Set(trimmed)).sorted { Array($0.unicodeScalars.map(\.value)).lexicographicallyPrecedes($1.unicodeScalars.map(\.value)) }
        guard labels.count == k else {
            let what = encoding == .binary ? "a sigmoid output with binary cross-entropy needs exactly 2 labels"
                : "the model has \(k) outputs, one per class"
            throw CSVError.invalidColumn(file: place.file, column: place.column, columnName: place.name,
                                         detail: "\(labels.count) distinct label\(labels.count == 1 ? "" : "s") (\(Self.list(labels))), but \(what)")
        }
        let index = Dictionary(labels.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        return (trimmed.map { Float(index[$0]!) }, labels, [])
    }

    /// Up to 10 labels, quoted and comma-separated.
    static func list(_ labels: [String]) -> String {
        labels.prefix(10).map { "\"\($0)\"" }.joined(separator: ", ") + (labels.count > 10 ? ", … (\(labels.count) in all)" : "")
    }

    /// Targets outside `[0, 1]`: how many, and the first (row, column index, value); nil when none.
    static func unitIntervalOffences(_ values: [Float], width: Int) -> (count: Int, row: Int, column: Int, value: Float)? {
        var count = 0, first: (row: Int, col: Int, value: Float)? = nil
        for (i, v) in values.enumerated() where !(v >= 0 && v <= 1) {
            count += 1
            if first == nil { first = (i / width, i % width, v) }
        }
        return first.map { (count, $0.row, $0.col, $0.value) }
    }

    /// A warning when binary cross-entropy targets leave `[0, 1]` (the loss then goes negative and
    /// training optimises nonsense), naming the first such line.
    static func unitIntervalWarning(_ values: [Float], width: Int, lines: [Int], file: String, columns: [(Int, String?)]) -> String? {
        guard let o = unitIntervalOffences(values, width: width), o.row < lines.count else { return nil }
        return unitIntervalText(count: o.count, line: lines[o.row], column: columns[o.column], value: o.value, file: file)
    }

    /// The text of ``unitIntervalWarning(_:width:lines:file:columns:)``.
    static func unitIntervalText(count: Int, line: Int, column: (Int, String?), value: Float, file: String) -> String {
        let (c, n) = column
        let label = n.map { "column \(c) (\"\($0)\")" } ?? "column \(c)"
        return "\(file), line \(line), \(label): target \(value) is outside [0, 1]"
            + (count > 1 ? " (and \(count - 1) more)" : "")
            + "; binary cross-entropy expects 0/1 labels or probabilities (its loss goes negative on other values); for a continuous target use --loss mse"
    }

    /// Prints the warnings, and a note on dropped rows, to standard error.
    func report(to progress: ProgressReporter) {
        for w in warnings { progress.warn(w) }
        if droppedRows > 0 {
            progress.note("left out \(droppedRows) row\(droppedRows == 1 ? "" : "s") with empty or NaN values (--missing drop); \(totalRows ?? rows) remain")
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
