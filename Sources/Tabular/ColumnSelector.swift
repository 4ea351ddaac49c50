/// A command-line reference to CSV columns: names, column numbers counted from 1 (as the CSV error
/// messages count them, and as `cut -f` does), inclusive number ranges and inclusive name ranges,
/// comma-separated: `y`, `3`, `2-4`, `y1,y2`, `1,5-7`, `is0-is9`.
///
/// A reference that is also a header name means that column (a header may name a column `3` or
/// `a-b`); otherwise digits are a column number, `a-b` with numbers a range, and `first-last` with
/// two header names every column from `first` to `last` in file order.
public struct ColumnSelector: Sendable, Equatable, CustomStringConvertible {
    public enum Item: Sendable, Equatable {
        case name(String)
        /// A column number, counted from 1.
        case index(Int)
        /// Column numbers `a…b`, counted from 1.
        case range(Int, Int)
    }

    public var items: [Item]
    /// The text as given.
    public let text: String

    /// Parses one or more comma-separated references.
    public init(_ text: String) {
        self.text = text
        items = text.split(separator: ",", omittingEmptySubsequences: true).map { part in
            let s = String(part).trimmingSpaces()
            if let i = Int(s), i >= 0 { return .index(i) }
            let ends = s.split(separator: "-", omittingEmptySubsequences: false)
            if ends.count == 2, let a = Int(ends[0]), let b = Int(ends[1]), a >= 0, b >= a { return .range(a, b) }
            return .name(s)
        }
    }

    public var description: String { text }

    /// The 0-based column indices, in order, without duplicates.
    /// - Throws: ``CSVError/missingColumn(file:name:available:)`` for an unknown name,
    ///   ``CSVError/invalidColumn(file:column:columnName:detail:)`` for a name the header repeats,
    ///   ``CSVError/columnOutOfRange(file:reference:columnCount:)`` for a number that is 0 or past the last column.
    public func resolve(in reader: NumericCSVReader) throws -> [Int] {
        var out: [Int] = []
        var seen = Set<Int>()  // not out.contains: a range over 10^6 columns would be quadratic
        func add(_ i: Int, _ ref: String) throws {
            guard i >= 0, i < reader.columnCount else {
                throw CSVError.columnOutOfRange(file: reader.fileName, reference: ref, columnCount: reader.columnCount)
            }
            if seen.insert(i).inserted { out.append(i) }
        }
        for item in items {
            switch item {
            case .name(let n):
                let all = reader.allColumns(named: n)
                if all.count > 1 {
                    // pandas writes repeated names as they are (and reads them back as x, x.1): which one is meant is not knowable.
                    throw CSVError.invalidColumn(file: reader.fileName, column: all[1] + 1, columnName: n,
                        detail: "the header names \"\(n)\" more than once (columns \(all.prefix(3).map { String($0 + 1) }.joined(separator: ", "))); refer to the column by its number")
                }
                if let i = all.first { try add(i, n); continue }
                if let (a, b) = nameRange(n, in: reader) {
                    for i in min(a, b)...max(a, b) { try add(i, n) }
                    continue
                }
                throw CSVError.missingColumn(file: reader.fileName, name: n, available: reader.header ?? [])
            case .index(let i):
                if let byName = reader.columnIndex(named: String(i)) { try add(byName, String(i)) } else { try add(i - 1, String(i)) }
            case .range(let a, let b):
                if let byName = reader.columnIndex(named: "\(a)-\(b)") { try add(byName, "\(a)-\(b)"); continue }
                guard a >= 1 else { try add(-1, "\(a)-\(b)"); continue }
                for i in a...b { try add(i - 1, "\(a)-\(b)") }
            }
        }
        return out
    }

    /// `first-last` where both are header names (trying each `-` in turn, for names holding one).
    private func nameRange(_ text: String, in reader: NumericCSVReader) -> (Int, Int)? {
        var i = text.startIndex
        while let dash = text[i...].firstIndex(of: "-") {
            let a = String(text[..<dash]).trimmingSpaces(), b = String(text[text.index(after: dash)...]).trimmingSpaces()
            if let x = reader.columnIndex(named: a), let y = reader.columnIndex(named: b) { return (x, y) }
            i = text.index(after: dash)
        }
        return nil
    }
}

extension String {
    /// The string without leading and trailing spaces (only U+0020): how the comma lists of flags
    /// (`--target`, `nnrun init --layers`) read their items.
    public func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
