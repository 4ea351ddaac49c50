/// Reads CSV records one at a time from a ``ByteSource``, holding only one record and one read
/// buffer in memory however long the input.
///
/// Dialect (RFC 4180 plus what spreadsheets write):
/// - delimiter `,`, `;` or tab, detected from the first line (the most frequent of the three outside
///   quotes; ties prefer `,` then `;`; none found means one column), unless given;
/// - fields may be quoted with `"`; inside quotes, `""` is one quote and delimiters and line breaks
///   are data;
/// - records end with LF, CRLF or a lone CR; the last record needs no line break;
/// - a UTF-8 byte-order mark at the very start is skipped.
///
/// Lines are counted 1-based from the start of the file (a quoted field spanning lines advances the
/// count), so errors name the physical line a text editor shows.
public final class CSVReader {
    /// Name used in error messages.
    public let fileName: String
    /// The field delimiter in use (given or detected).
    public private(set) var delimiter: UInt8 = UInt8(ascii: ",")
    /// Longest record accepted, in bytes; longer records throw ``CSVError/recordTooLong(file:line:limit:)``.
    public let maxRecordBytes: Int

    /// Line on which the most recently read record starts (1-based).
    public private(set) var recordLine = 0

    private let source: ByteSource
    private var buffer: [UInt8]
    private var position = 0
    private var end = 0
    private var sourceDone = false
    private var line = 1
    private var started = false
    private let givenDelimiter: UInt8?

    /// Bytes of the current record's fields, back to back; `fieldEnds[i]` is the end offset of field i.
    private var fieldBytes: [UInt8] = []
    private var fieldEnds: [Int] = []

    /// - Parameters:
    ///   - source: the bytes to read.
    ///   - fileName: name used in error messages.
    ///   - delimiter: `,`, `;`, tab or any other byte; nil detects it from the first line.
    ///   - bufferSize: bytes per read from the source.
    ///   - maxRecordBytes: longest record accepted.
    public init(source: ByteSource, fileName: String, delimiter: UInt8? = nil, bufferSize: Int = 1 << 16, maxRecordBytes: Int = 1 << 24) {
        self.source = source
        self.fileName = fileName
        self.givenDelimiter = delimiter
        self.buffer = [UInt8](repeating: 0, count: max(16, bufferSize))
        self.maxRecordBytes = maxRecordBytes
    }

    /// Opens `path` (`-` is standard input, named `<stdin>` in errors).
    /// - Throws: ``CSVError/unreadable(file:reason:)``.
    public convenience init(path: String, delimiter: UInt8? = nil) throws {
        let source = try FileDescriptorSource(path: path)
        self.init(source: source, fileName: source.name, delimiter: delimiter)
    }

    // MARK: - The current record

    /// Number of fields in the current record.
    public var fieldCount: Int { fieldEnds.count }

    /// Field `index` (0-based) of the current record, decoded as UTF-8 (invalid bytes become U+FFFD).
    public func field(_ index: Int) -> String {
        withField(index) { String(decoding: $0, as: UTF8.self) }
    }

    /// All fields of the current record.
    public var fields: [String] { (0..<fieldCount).map(field) }

    /// Calls `body` with the raw bytes of field `index` (0-based) of the current record.
    public func withField<R>(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let start = index == 0 ? 0 : fieldEnds[index - 1]
        let stop = fieldEnds[index]
        return try fieldBytes.withUnsafeBufferPointer { all in
            try body(UnsafeBufferPointer(rebasing: all[start..<stop]))
        }
    }

    // MARK: - Reading

    /// Advances to the next record. Returns false at the end of the input.
    /// - Throws: ``CSVError`` for unreadable input, quoting errors and records over the size limit.
    public func next() throws -> Bool {
        if !started { try start() }
        fieldBytes.removeAll(keepingCapacity: true)
        fieldEnds.removeAll(keepingCapacity: true)
        guard try fill() else { return false }
        recordLine = line

        enum State { case fieldStart, unquoted, quoted, quoteInQuoted }
        var state = State.fieldStart
        var quoteLine = line
        let delim = delimiter
        let quote = UInt8(ascii: "\""), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")

        while true {
            if position == end {
                guard try fill() else {
                    // End of input terminates the last record.
                    if state == .quoted {
                        throw CSVError.unterminatedQuote(file: fileName, line: quoteLine, column: fieldEnds.count + 1)
                    }
                    fieldEnds.append(fieldBytes.count)
                    return true
                }
            }
            let b = buffer[position]
            position += 1
            switch state {
            case .fieldStart, .unquoted:
                if b == delim {
                    fieldEnds.append(fieldBytes.count)
                    state = .fieldStart
                } else if b == lf || b == cr {
                    fieldEnds.append(fieldBytes.count)
                    try endOfLine(b)
                    return true
                } else if b == quote {
                    if state == .unquoted {
                        throw CSVError.quoteInUnquotedField(file: fileName, line: line, column: fieldEnds.count + 1)
                    }
                    state = .quoted
                    quoteLine = line
                } else {
                    fieldBytes.append(b)
                    state = .unquoted
                }
            case .quoted:
                if b == quote {
                    state = .quoteInQuoted
                } else {
                    if b == lf { line += 1 }
                    fieldBytes.append(b)
                }
            case .quoteInQuoted:
                if b == quote {
                    fieldBytes.append(quote)
                    state = .quoted
                } else if b == delim {
                    fieldEnds.append(fieldBytes.count)
                    state = .fieldStart
                } else if b == lf || b == cr {
                    fieldEnds.append(fieldBytes.count)
                    try endOfLine(b)
                    return true
                } else {
                    throw CSVError.textAfterClosingQuote(file: fileName, line: line, column: fieldEnds.count + 1)
                }
            }
            // Delimiters count too: a line of only commas stores no field bytes but one field end
            // (8 bytes) per comma, so capping field bytes alone lets a 1 GB line take 8 GB.
            if fieldBytes.count + fieldEnds.count > maxRecordBytes {
                throw CSVError.recordTooLong(file: fileName, line: recordLine, limit: maxRecordBytes)
            }
        }
    }

    /// Consumes the LF of a CRLF pair and advances the line count.
    private func endOfLine(_ b: UInt8) throws {
        line += 1
        if b == UInt8(ascii: "\r"), try fill(), buffer[position] == UInt8(ascii: "\n") {
            position += 1
        }
    }

    /// Makes at least one unread byte available; false at the end of the input.
    private func fill() throws -> Bool {
        if position < end { return true }
        if sourceDone { return false }
        position = 0
        end = 0
        let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
        if n == 0 {
            sourceDone = true
            return false
        }
        end = n
        return true
    }

    /// Skips a byte-order mark and detects the delimiter from the first line.
    private func start() throws {
        started = true
        // Buffer the whole first line (or up to the record limit), growing the buffer if needed.
        var scanned = 0
        var inQuotes = false
        var counts = (comma: 0, semicolon: 0, tab: 0)
        var bomChecked = false
        scan: while true {
            while scanned < end {
                if !bomChecked {
                    if end - position >= 3 || sourceDone {
                        if end - position >= 3, buffer[position] == 0xEF, buffer[position + 1] == 0xBB, buffer[position + 2] == 0xBF {
                            position += 3
                            scanned = position
                        }
                        bomChecked = true
                        continue
                    } else { break }
                }
                let b = buffer[scanned]
                scanned += 1
                if b == UInt8(ascii: "\"") { inQuotes.toggle(); continue }
                if inQuotes { continue }
                switch b {
                case UInt8(ascii: ","): counts.comma += 1
                case UInt8(ascii: ";"): counts.semicolon += 1
                case UInt8(ascii: "\t"): counts.tab += 1
                case UInt8(ascii: "\n"), UInt8(ascii: "\r"): break scan
                default: break
                }
            }
            if sourceDone || end - position > maxRecordBytes { break }
            // Read more after the bytes already buffered.
            if end == buffer.count { buffer.append(contentsOf: repeatElement(0, count: buffer.count)) }
            let n = try buffer.withUnsafeMutableBytes { raw in
                try source.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[end...]))
            }
            if n == 0 { sourceDone = true; if !bomChecked { bomChecked = true; continue } ; break }
            end += n
        }
        if let givenDelimiter {
            delimiter = givenDelimiter
        } else if counts.comma >= counts.semicolon && counts.comma >= counts.tab {
            delimiter = UInt8(ascii: ",")
        } else if counts.semicolon >= counts.tab {
            delimiter = UInt8(ascii: ";")
        } else {
            delimiter = UInt8(ascii: "\t")
        }
    }
}
