/// A command-line reference to CSV columns: names, 0-based indices or inclusive index ranges,
/// comma-separated: `y`, `3`, `2-4`, `y1,y2`, `0,5-7`.
///
/// A reference that is also a header name means that column (a header may name a column `3`);
/// otherwise digits are an index and `a-b` a range.
public struct ColumnSelector: Sendable, Equatable, CustomStringConvertible {
    public enum Item: Sendable, Equatable {
        case name(String)
        case index(Int)
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
    ///   ``CSVError/columnOutOfRange(file:reference:columnCount:)`` for an index past the last column.
    public func resolve(in reader: NumericCSVReader) throws -> [Int] {
        var out: [Int] = []
        var seen = Set<Int>()  // not out.contains: a range over 10^6 columns would be quadratic
        func add(_ i: Int, _ ref: String) throws {
            guard i < reader.columnCount else {
                throw CSVError.columnOutOfRange(file: reader.fileName, reference: ref, columnCount: reader.columnCount)
            }
            if seen.insert(i).inserted { out.append(i) }
        }
        for item in items {
            switch item {
            case .name(let n):
                guard let i = reader.columnIndex(named: n) else {
                    throw CSVError.missingColumn(file: reader.fileName, name: n, available: reader.header ?? [])
                }
                try add(i, n)
            case .index(let i):
                if let byName = reader.columnIndex(named: String(i)) { try add(byName, String(i)) } else { try add(i, String(i)) }
            case .range(let a, let b):
                if let byName = reader.columnIndex(named: "\(a)-\(b)") { try add(byName, "\(a)-\(b)"); continue }
                for i in a...b { try add(i, "\(a)-\(b)") }
            }
        }
        return out
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
