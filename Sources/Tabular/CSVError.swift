/// A problem with a CSV data file, naming the file and the place (1-based line and column).
///
/// `column` is 1-based; `columnName` is the header's name for it when the file has a header.
/// `description` is one sentence a user can act on, e.g.
/// `data.csv, line 7, column 2 ("x1"): "abc" is not a number`.
public indirect enum CSVError: Error, Equatable, CustomStringConvertible {
    /// The file could not be opened or read (`reason` is the system's message).
    case unreadable(file: String, reason: String)
    /// The file holds no records (it may hold a byte-order mark or nothing at all).
    case emptyFile(file: String)
    /// The file is not CSV text: its first bytes are a known binary format's or hold a NUL byte;
    /// `looksLike` names what it seems to be, with a remedy (``CSVTextCheck``).
    case notText(file: String, looksLike: String)
    /// The file has a header row but no data rows.
    case noDataRows(file: String)
    /// A quoted field was still open at the end of the file; `line` is where the quote opened.
    case unterminatedQuote(file: String, line: Int, column: Int)
    /// A `"` inside a field that did not start with a quote.
    case quoteInUnquotedField(file: String, line: Int, column: Int)
    /// Characters after the closing quote of a quoted field, before the next delimiter.
    case textAfterClosingQuote(file: String, line: Int, column: Int)
    /// A record longer than the reader's limit (protects memory against a file without newlines).
    case recordTooLong(file: String, line: Int, limit: Int)
    /// A row with a different number of fields than the first row.
    case raggedRow(file: String, line: Int, found: Int, expected: Int)
    /// A row of an input without header whose field count differs from the number of column names given for it.
    case fieldCountDiffersFromNames(file: String, line: Int, found: Int, expected: Int)
    /// An empty value where a number is required.
    case emptyValue(file: String, line: Int, column: Int, columnName: String?)
    /// A value that is not a decimal number.
    case notNumeric(file: String, line: Int, column: Int, columnName: String?, text: String)
    /// A value spelled NaN.
    case notANumber(file: String, line: Int, column: Int, columnName: String?, text: String)
    /// A value that is infinite, or too large for float32.
    case infinite(file: String, line: Int, column: Int, columnName: String?, text: String)
    /// A column the model or the command line requires is not in the header.
    case missingColumn(file: String, name: String, available: [String])
    /// A column index beyond the row width.
    case columnOutOfRange(file: String, reference: String, columnCount: Int)
    /// The file has a different number of columns than required.
    case columnCountMismatch(file: String, found: Int, expected: Int, detail: String)
    /// A value that is readable but not what its column must hold (a class id out of range, a label
    /// the model does not know); `expected` says what would be accepted.
    case invalidValue(file: String, line: Int, column: Int, columnName: String?, text: String, expected: String)
    /// The values of a whole column do not fit (e.g. 3 distinct labels for a 2-class output).
    case invalidColumn(file: String, column: Int, columnName: String?, detail: String)
    /// Several problems in one file: the first `errors` (at most a reader's limit) of `total` found.
    case several(file: String, errors: [CSVError], total: Int)

    public var description: String {
        switch self {
        case .unreadable(let f, let r):
            return "\(f): cannot read: \(r)"
        case .emptyFile(let f):
            return "\(f): the file is empty; expected CSV rows of numbers"
        case .notText(let f, let what):
            return "\(f): not CSV text: it starts like \(what)"
        case .noDataRows(let f):
            return "\(f): the file has a header row but no data rows"
        case .unterminatedQuote(let f, let l, let c):
            return "\(f), line \(l), column \(c): the quoted field opened here is never closed"
        case .quoteInUnquotedField(let f, let l, let c):
            return "\(f), line \(l), column \(c): a quote character inside an unquoted field (quote the whole field and double inner quotes)"
        case .textAfterClosingQuote(let f, let l, let c):
            return "\(f), line \(l), column \(c): text after the closing quote of a quoted field"
        case .recordTooLong(let f, let l, let limit):
            return "\(f), line \(l): the row is longer than \(limit) bytes"
        case .raggedRow(let f, let l, let found, let expected):
            return Self.fieldCount(f, l, found, expected) + " like the first row"
        case .fieldCountDiffersFromNames(let f, let l, let found, let expected):
            return Self.fieldCount(f, l, found, expected) + ", one per column name given"
        case .emptyValue(let f, let l, let c, let n):
            return "\(f), line \(l), \(Self.column(c, n)): the value is empty; expected a number"
        case .notNumeric(let f, let l, let c, let n, let t):
            return "\(f), line \(l), \(Self.column(c, n)): \(Self.quoted(t)) is not a number" + (Self.hasDecimalComma(t) ? Self.decimalCommaHint : "")
        case .notANumber(let f, let l, let c, let n, let t):
            return "\(f), line \(l), \(Self.column(c, n)): \(Self.quoted(t)) is NaN; expected a finite number"
        case .infinite(let f, let l, let c, let n, let t):
            return "\(f), line \(l), \(Self.column(c, n)): \(Self.quoted(t)) is infinite or beyond float32's range; expected a finite number"
        case .missingColumn(let f, let name, let available):
            if available.isEmpty { return "\(f): no column named \(Self.quoted(name)): the file has no header row; give a column number (counted from 1)" }
            // (Compared with every name only for headers of a reasonable size: edit distances are not free.)
            let hint = (available.count > 10_000 ? nil : Suggestion.nearest(name, in: available)).map { "; did you mean \(Self.quoted($0))?" } ?? ""
            let shown: String
            if available.count <= 100 {
                shown = available.map { Self.quoted($0) }.joined(separator: ", ")
            } else {  // the first and the last columns (the target is often last)
                shown = available.prefix(45).map { Self.quoted($0) }.joined(separator: ", ") + ", … (\(available.count - 90) more), "
                    + available.suffix(45).map { Self.quoted($0) }.joined(separator: ", ")
            }
            return "\(f): no column named \(Self.quoted(name)) in the header\(hint) (\(available.count) column\(available.count == 1 ? "" : "s"): \(shown))"
        case .columnOutOfRange(let f, let r, let n):
            return "\(f): column \(r) does not exist; the rows have \(n) column\(n == 1 ? "" : "s"), numbered from 1"
        case .columnCountMismatch(let f, let found, let expected, let detail):
            return "\(f): the rows have \(found) column\(found == 1 ? "" : "s"), expected \(expected) (\(detail))"
        case .invalidValue(let f, let l, let c, let n, let t, let expected):
            return "\(f), line \(l), \(Self.column(c, n)): \(Self.quoted(t)) is not \(expected)"
        case .invalidColumn(let f, let c, let n, let detail):
            return "\(f), \(Self.column(c, n)): \(detail)"
        case .several:
            return lines.joined(separator: "\n")
        }
    }

    /// The description as lines: one for every case but ``several(file:errors:total:)``, which is a head
    /// line (`data.csv: 3 bad values:`) and one indented line per listed value. Each line is whole in
    /// itself (values are quoted with line breaks escaped), so a tool may print each as its own line.
    public var lines: [String] {
        guard case .several(let f, let errors, let total) = self else { return [description] }
        let shown = total > errors.count ? " (the first \(errors.count) follow)" : ""
        let commas = errors.contains { if case .notNumeric(_, _, _, _, let t) = $0 { Self.hasDecimalComma(t) } else { false } }
        let head = "\(f): \(total) bad values\(shown)" + (commas ? Self.decimalCommaHint : "") + ":"
        return [head] + errors.map { e in
            if case .notNumeric(let f, let l, let c, let n, let t) = e { return "  \(f), line \(l), \(Self.column(c, n)): \(Self.quoted(t)) is not a number" }
            return "  " + e.description
        }
    }

    /// `file, line L, column C: the row ends after F fields; expected E` (C is the first missing
    /// column) or `…, column C: the row has F fields; expected E` (C is the first extra one).
    static func fieldCount(_ f: String, _ l: Int, _ found: Int, _ expected: Int) -> String {
        let fields = "\(found) field\(found == 1 ? "" : "s")"
        if found < expected { return "\(f), line \(l), column \(found + 1): the row ends after \(fields); expected \(expected)" }
        return "\(f), line \(l), column \(expected + 1): the row has \(fields); expected \(expected)"
    }

    /// Whether `text` is a number written with a decimal comma (`-0,25`, `1,5e3`), as pandas'
    /// `to_csv(sep=";", decimal=",")` and European spreadsheets write them.
    static func hasDecimalComma(_ text: String) -> Bool {
        let t = text.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()
        guard t.filter({ $0 == "," }).count == 1, !t.contains(".") else { return false }
        let d = String(t.map { $0 == "," ? "." : $0 })
        return d.first.map { $0.isNumber || $0 == "-" || $0 == "+" } == true && Double(d) != nil
    }

    static let decimalCommaHint = "; numbers need '.' as the decimal point (no decimal comma, no thousands separator)"

    static func column(_ c: Int, _ name: String?) -> String {
        if let name { return "column \(c) (\(quoted(name)))" }
        return "column \(c)"
    }

    /// Text from the file as shown in a message: in double quotes, at most 40 characters, with
    /// quotes, backslashes and control characters escaped (`\n`, `\t`, `\u{1B}`), so that a field
    /// holding a line break still gives a one-line message and cannot drive the terminal.
    public static func quoted(_ text: String) -> String {
        let shown = text.count > 40 ? String(text.prefix(40)) + "…" : text
        var out = "\""
        for scalar in shown.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value):
                out += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
