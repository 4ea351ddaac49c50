/// How a ``NumericCSVReader`` treats the first record of its input.
///
/// A file on disk usually starts with a header row, and ``detect`` finds it. A stream cut out of a
/// larger file (a Spark partition fed to a process through `RDD.pipe`, a Hadoop-streaming split)
/// has none: ``none`` reads every record as data, and ``names(_:)`` supplies the names a header
/// would have given. In both, an input with no record at all is zero rows, not an error, because a
/// runner may hand a process an empty partition.
public enum CSVHeader: Sendable, Equatable {
    /// The first record is a header when any of its fields is not a number (the default).
    case detect
    /// No header: every record is data and columns are known by number only.
    case none
    /// No header in the input; these are the names of its columns, in order, as a header row would
    /// give them (every record must have exactly this many fields).
    case names([String])

    /// Whether the input itself holds a header row that was or may be read (``detect``).
    public var isInInput: Bool { self == .detect }

    /// Parses a comma-separated list of column names (`a,b,c`; spaces around a name are dropped,
    /// as in ``ColumnSelector``).
    /// - Throws: ``CSVHeaderError`` for an empty list, an empty name or a name given twice.
    public static func parseNames(_ text: String) throws -> [String] {
        let names = text.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingSpaces() }
        if names.count == 1 && names[0].isEmpty { throw CSVHeaderError.noNames }
        var first: [String: Int] = [:]
        for (i, name) in names.enumerated() {
            if name.isEmpty { throw CSVHeaderError.emptyName(position: i + 1, count: names.count) }
            if let j = first[name] { throw CSVHeaderError.duplicateName(name, first: j + 1, second: i + 1) }
            first[name] = i
        }
        return names
    }
}

/// A list of column names that cannot name the columns of a file (positions count from 1).
public enum CSVHeaderError: Error, Equatable, CustomStringConvertible {
    case noNames
    case emptyName(position: Int, count: Int)
    case duplicateName(String, first: Int, second: Int)

    public var description: String {
        switch self {
        case .noNames:
            return "no column names given; expected names separated by commas (a,b,c)"
        case .emptyName(let p, let n):
            return "name \(p) of \(n) is empty; expected names separated by single commas (a,b,c)"
        case .duplicateName(let name, let a, let b):
            return "\(CSVError.quoted(name)) is given twice (names \(a) and \(b)); each column needs its own name"
        }
    }
}
