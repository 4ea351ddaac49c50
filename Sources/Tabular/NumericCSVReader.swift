/// Reads a CSV file of numbers row by row, with an optional header row.
///
/// By default (``CSVHeader/detect``) the first record is a header when any of its fields is not
/// numeric (empty fields, `nan` and `inf` count as numeric-looking, so a first data row with a bad
/// value is reported as such rather than mistaken for a header), or when it is pandas' header of
/// unnamed columns, `0,1,…,n−1` (``isPandasColumnIndex(_:)``); ``CSVHeader/none`` and
/// ``CSVHeader/names(_:)`` read every record as data, for streams without a header. Every row must
/// have as many fields as the first record (or as the names given). Selected columns are parsed as
/// float32 with ``NumberParser``; other columns are not parsed, so text identifier columns may be
/// passed through.
public final class NumericCSVReader {
    public let csv: CSVReader
    /// The header's column names (read from the input, or given as ``CSVHeader/names(_:)``), or nil
    /// when the columns have no names.
    public let header: [String]?
    /// How the first record was treated.
    public let headerMode: CSVHeader
    /// Fields per row (the first record's field count, or the number of names given); 0 for an
    /// input without records read with ``CSVHeader/none``.
    public let columnCount: Int
    /// True when the input holds no record at all (possible only without ``CSVHeader/detect``,
    /// which throws ``CSVError/emptyFile(file:)`` instead).
    public let isEmpty: Bool
    /// Data rows read so far.
    public private(set) var rowsRead = 0
    /// Line of the most recently read data row.
    public var currentLine: Int { csv.recordLine }

    private var pendingFirstRow: Bool

    /// Reads the first record and, as `headerMode` says, takes it as a header or as data.
    /// - Throws: ``CSVError/emptyFile(file:)`` when there is no record under ``CSVHeader/detect``,
    ///   ``CSVError/fieldCountDiffersFromNames(file:line:found:expected:)`` when the first record does
    ///   not have one field per given name, or a reading error.
    public init(_ csv: CSVReader, header headerMode: CSVHeader = .detect) throws {
        self.csv = csv
        self.headerMode = headerMode
        var hasRecord = try csv.next()
        // Blank lines before the header (or first row) are skipped, as pandas does, when looking for one.
        while hasRecord, headerMode == .detect, csv.isEmptyLine { hasRecord = try csv.next() }
        isEmpty = !hasRecord
        switch headerMode {
        case .detect:
            guard hasRecord else { throw CSVError.emptyFile(file: csv.fileName) }
            columnCount = csv.fieldCount
            var isHeader = false
            for i in 0..<csv.fieldCount {
                let r = csv.withField(i) { NumberParser.parse($0) }
                if r == .notNumeric { isHeader = true; break }
            }
            if !isHeader { isHeader = Self.isPandasColumnIndex(csv.fields) }
            header = isHeader ? csv.fields : nil
            pendingFirstRow = !isHeader
        case .none:
            header = nil
            columnCount = hasRecord ? csv.fieldCount : 0
            pendingFirstRow = hasRecord
        case .names(let names):
            header = names
            columnCount = names.count
            pendingFirstRow = hasRecord
            if hasRecord && csv.fieldCount != names.count {
                throw CSVError.fieldCountDiffersFromNames(file: csv.fileName, line: csv.recordLine, found: csv.fieldCount, expected: names.count)
            }
        }
    }

    /// Whether a first record of numbers is the header pandas writes for a DataFrame without column
    /// names (`pd.DataFrame(array).to_csv(…)`): the column numbers `0,1,…,n−1` spelled exactly so, with
    /// n ≥ 3, optionally after the empty name of its index column (`,0,1,…`). Read as data, it would
    /// be one extra row (one extra prediction, a training example made of column numbers).
    static func isPandasColumnIndex(_ fields: [String]) -> Bool {
        let names = fields.first == "" ? fields.dropFirst() : fields[...]
        guard names.count >= 3 else { return false }
        return names.enumerated().allSatisfy { $0.element == String($0.offset) }
    }

    /// Continues the rows of a file whose first record another reader has read: `csv` reads a part
    /// of the file (``FileRangeSource``, with the delimiter that reader found) and every record in it
    /// is a data row of `columnCount` fields named by `header`. No record is read here, and a part
    /// without records is zero rows (the whole file's checks, such as a header without data rows,
    /// are the caller's).
    public init(continuing csv: CSVReader, header: [String]?, columnCount: Int) {
        self.csv = csv
        self.headerMode = .none
        self.header = header
        self.columnCount = columnCount
        self.isEmpty = false
        self.pendingFirstRow = false
    }

    /// Opens `path` (`-` is standard input).
    public convenience init(path: String) throws {
        try self.init(CSVReader(path: path))
    }

    public var fileName: String { csv.fileName }

    /// Name of column `index` (0-based) when there is a header and the name is not empty.
    public func columnName(_ index: Int) -> String? {
        guard let header, index < header.count, !header[index].isEmpty else { return nil }
        return header[index]
    }

    /// A short label for messages: the header name, else `column <index+1>`.
    public func columnLabel(_ index: Int) -> String {
        columnName(index) ?? "column \(index + 1)"
    }

    /// Index (0-based) of the first column with this header name (``allColumns(named:)``), or nil.
    /// Constant time (a dictionary built once), so matching a million names is linear.
    public func columnIndex(named name: String) -> Int? {
        allColumns(named: name).first
    }

    /// Every 0-based column the header names `name`, in file order (empty when none does). Names
    /// match exactly; when none does, they match without the spaces around them, so `y` finds the
    /// column of a hand-written header `a, b, y` (whose names are "a", " b", " y").
    public func allColumns(named name: String) -> [Int] {
        if let exact = headerIndex[name] { return exact }
        return trimmedHeaderIndex[name.trimmingSpaces()] ?? []
    }

    /// ``headerIndex`` with the names' surrounding spaces removed, built on first use.
    private lazy var trimmedHeaderIndex = Self.columnsByName(header) { $0.trimmingSpaces() }

    /// Header name → every column index with that name, built on first use.
    private lazy var headerIndex = Self.columnsByName(header) { $0 }

    /// `key(name)` → every 0-based column of that key, in file order.
    private static func columnsByName(_ header: [String]?, key: (String) -> String) -> [String: [Int]] {
        var d: [String: [Int]] = [:]
        d.reserveCapacity(header?.count ?? 0)
        for (i, n) in (header ?? []).enumerated() { d[key(n), default: []].append(i) }
        return d
    }

    /// Indices of the named columns, in the order given.
    /// - Throws: ``CSVError/missingColumn(file:name:available:)`` for the first name not in the header
    ///   (every name is missing when the file has no header).
    public func columnIndices(named names: [String]) throws -> [Int] {
        try names.map { name in
            let all = allColumns(named: name)
            guard let i = all.first else {
                throw CSVError.missingColumn(file: fileName, name: name, available: header ?? [])
            }
            // Two columns of the same name: which one the model means is not knowable.
            guard all.count == 1 else {
                throw CSVError.invalidColumn(file: fileName, column: all[1], columnName: name,
                                             detail: "the header names \"\(name)\" more than once (columns \(all.prefix(3).map { String($0 + 1) }.joined(separator: ", "))), so it cannot be matched by name")
            }
            return i
        }
    }

    /// Whether the current record is an empty line of a file read with ``CSVHeader/detect`` that has
    /// several columns, where it cannot be a row: skipped, as pandas' `read_csv` skips blank lines (an
    /// editor or `echo >>` often leaves one at the end). In a one-column file an empty line is an
    /// empty value; a stream read with ``CSVHeader/none`` or ``CSVHeader/names(_:)`` (a partition
    /// piped through `nnrun predict`, one output row per input row) reports it as a short row.
    private var isBlankLine: Bool {
        headerMode == .detect && columnCount > 1 && csv.isEmptyLine
    }

    /// Advances to the next data row (skipping blank lines, ``isBlankLine``); false at the end.
    /// Checks the row's width.
    /// - Throws: ``CSVError/raggedRow(file:line:found:expected:)``, ``CSVError/noDataRows(file:)`` when
    ///   the end comes before any data row, or a reading error.
    public func nextRow() throws -> Bool {
        if pendingFirstRow {
            pendingFirstRow = false
        } else {
            repeat {
                guard try csv.next() else {
                    // Without a header in the input, no record means no rows; a header alone is an error.
                    if rowsRead == 0 && headerMode.isInInput { throw CSVError.noDataRows(file: fileName) }
                    return false
                }
            } while isBlankLine
            guard csv.fieldCount == columnCount else {
                throw CSVError.raggedRow(file: fileName, line: csv.recordLine, found: csv.fieldCount, expected: columnCount)
            }
        }
        rowsRead += 1
        return true
    }

    /// The number in column `index` (0-based) of the current row.
    /// - Throws: ``CSVError`` naming the line and column for an empty, non-numeric, NaN or infinite value.
    public func value(_ index: Int) throws -> Float {
        let r = csv.withField(index) { NumberParser.parse($0) }
        switch r {
        case .value(let v): return v
        case .empty:
            throw CSVError.emptyValue(file: fileName, line: csv.recordLine, column: index + 1, columnName: columnName(index))
        case .notNumeric:
            throw CSVError.notNumeric(file: fileName, line: csv.recordLine, column: index + 1, columnName: columnName(index), text: csv.field(index))
        case .notANumber:
            throw CSVError.notANumber(file: fileName, line: csv.recordLine, column: index + 1, columnName: columnName(index), text: csv.field(index))
        case .infinite:
            throw CSVError.infinite(file: fileName, line: csv.recordLine, column: index + 1, columnName: columnName(index), text: csv.field(index))
        }
    }

    /// The text of column `index` (0-based) of the current row, unparsed.
    public func text(_ index: Int) -> String { csv.field(index) }

    /// Whether the next row can be started without waiting for the input's writer (always true
    /// for files; for a pipe, false while its writer is idle). See ``CSVReader/canReadWithoutWaiting``.
    public var nextRowIsReady: Bool { pendingFirstRow || csv.canReadWithoutWaiting }

    /// Reads up to `maxRows` rows, appending the values of `columns` row-major to `values`
    /// (`columns.count` floats per row) and the text of `textColumns` to `text`.
    /// - Parameter untilIdle: also stop, after at least one row, when the next row has not begun
    ///   to arrive (``nextRowIsReady``), so that a filter answers the rows it has instead of waiting
    ///   for a full batch from an idle writer.
    /// - Returns: the number of rows read; 0 at the end of the file.
    /// - Throws: as ``nextRow()`` and ``value(_:)``.
    ///
    /// Records of plain numbers are parsed straight from the read buffer, on up to ``threads``
    /// threads (``CSVReader``'s fast path, `CSVReader+PlainRecords.swift`); any other record takes
    /// the field-by-field path, so the values and errors are the same either way. Without
    /// `textColumns`, the current record's fields (``text(_:)``, ``CSVReader/field(_:)``) are
    /// unspecified after this call.
    public func readRows(max maxRows: Int, columns: [Int], into values: inout [Float],
                         textColumns: [Int] = [], text: inout [String], untilIdle: Bool = false) throws -> Int {
        var none: [Float] = []
        return try readRows(max: maxRows, columns: columns, into: &values, secondColumns: [], into: &none,
                            textColumns: textColumns, text: &text, untilIdle: untilIdle)
    }

    /// Reads up to `maxRows` rows into two row-major arrays at once: the values of `columns` are
    /// appended to `values` (`columns.count` floats per row), those of `secondColumns` to `second`
    /// (`secondColumns.count` per row), so that inputs and targets, say, each land in their own
    /// matrix without being cut out of a wider one afterwards (for 20,000 rows of 794 columns that
    /// copy was 63 MB). A column may not be in both lists (the fast path then declines every row
    /// and the general path reads them). Otherwise as ``readRows(max:columns:into:)``.
    public func readRows(max maxRows: Int, columns: [Int], into values: inout [Float],
                         secondColumns: [Int], into second: inout [Float]) throws -> Int {
        var unused: [String] = []
        return try readRows(max: maxRows, columns: columns, into: &values, secondColumns: secondColumns, into: &second,
                            textColumns: [], text: &unused, untilIdle: false)
    }

    private func readRows(max maxRows: Int, columns: [Int], into values: inout [Float], secondColumns: [Int], into second: inout [Float],
                          textColumns: [Int], text: inout [String], untilIdle: Bool) throws -> Int {
        var n = 0
        let plain = textColumns.isEmpty ? plainSlots(columns, secondColumns) : nil
        while n < maxRows {
            // A filter answers the rows it has: after one, stop when the next has not begun to arrive.
            if untilIdle && n > 0 && !nextRowIsReady { break }
            if let plain, !pendingFirstRow {
                let k = try readPlainRows(max: maxRows - n, width: columns.count, secondWidth: secondColumns.count, slots: plain,
                                          into: &values, &second)
                if k > 0 {
                    n += k
                    continue
                }
            }
            guard try nextRow() else { break }
            for c in columns { values.append(try value(c)) }
            for c in secondColumns { second.append(try value(c)) }
            for c in textColumns { text.append(self.text(c)) }
            n += 1
        }
        return n
    }

    /// Threads ``readRows(max:columns:into:textColumns:text:)`` may parse a batch on (≥ 1; default 1).
    public var threads = 1

    /// Rows the fast path read (for tests that check it was taken).
    var plainRowsRead = 0
    private var plan = PlainRecordPlan()
    private var slots: (columns: [Int], second: [Int], slots: [Int32])?

    /// For the fast path: each field's column in the output row (-1: not read; `columns.count + j`:
    /// column `j` of the second output); nil when a column is out of range or repeated (the general
    /// path then reads every row).
    private func plainSlots(_ columns: [Int], _ second: [Int]) -> [Int32]? {
        if let slots, slots.columns == columns, slots.second == second { return slots.slots }
        var s = [Int32](repeating: -1, count: columnCount)
        for (j, c) in (columns + second).enumerated() {
            guard c >= 0, c < columnCount, s[c] < 0, let j32 = Int32(exactly: j) else { return nil }
            s[c] = j32
        }
        slots = (columns, second, s)
        return s
    }

    /// Appends up to `maxRows` plain rows through the fast path; 0 when the next record needs
    /// the general path.
    private func readPlainRows(max maxRows: Int, width: Int, secondWidth: Int, slots: [Int32],
                               into values: inout [Float], _ second: inout [Float]) throws -> Int {
        let candidates = try csv.planPlainRecords(max: maxRows, plan: &plan)
        guard candidates > 0 else { return 0 }
        let before = values.count, secondBefore = second.count
        values.append(contentsOf: repeatElement(0, count: candidates * width))
        second.append(contentsOf: repeatElement(0, count: candidates * secondWidth))
        let parsed = values.withUnsafeMutableBufferPointer { v in
            second.withUnsafeMutableBufferPointer { v2 in
                slots.withUnsafeBufferPointer { s in
                    csv.readPlainNumericRecords(&plan, fieldCount: columnCount, slots: s.baseAddress!, width: width,
                                                into: v.baseAddress! + before,
                                                second: (secondWidth, secondWidth > 0 ? v2.baseAddress! + secondBefore : nil),
                                                threads: threads)
                }
            }
        }
        values.removeLast((candidates - parsed) * width)
        second.removeLast((candidates - parsed) * secondWidth)
        rowsRead += parsed
        plainRowsRead += parsed
        return parsed
    }

    /// Reads up to `maxRows` rows of `columns` (no text columns).
    public func readRows(max maxRows: Int, columns: [Int], into values: inout [Float]) throws -> Int {
        var unused: [String] = []
        return try readRows(max: maxRows, columns: columns, into: &values, textColumns: [], text: &unused)
    }

    /// Reads every remaining row of `columns` into one row-major array.
    public func readAll(columns: [Int]) throws -> (values: [Float], rows: Int) {
        var values: [Float] = []
        let rows = try readRows(max: .max, columns: columns, into: &values)
        return (values, rows)
    }
}

private extension CSVReader {
    /// Whether the current record is a single empty field: an empty line.
    var isEmptyLine: Bool { fieldCount == 1 && withField(0) { $0.isEmpty } }
}
