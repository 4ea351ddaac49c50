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
///
/// Speed: the tokenizer works on raw bytes in manually allocated buffers (no `String` and no Swift
/// array per field, so no exclusivity checks in the loop); runs of plain bytes are found by one
/// tight scan and copied at once. See the README's Performance section for measured throughput.
public final class CSVReader {
    /// Name used in error messages.
    public let fileName: String
    /// The field delimiter in use (given or detected).
    public private(set) var delimiter: UInt8 = UInt8(ascii: ",")
    /// Longest record accepted, in bytes; longer records throw ``CSVError/recordTooLong(file:line:limit:)``.
    public let maxRecordBytes: Int

    /// Line on which the most recently read record starts (1-based).
    public internal(set) var recordLine = 0
    /// Byte offset in the source (counted from its first byte) at which the most recently read
    /// record starts (after a byte-order mark).
    public private(set) var recordOffset = 0
    /// Byte offset in the source of the first byte not yet consumed (after the last record read).
    public var offset: Int { sourceBytes - (end - position) }
    /// The line the next record starts on (1-based; one past the last line when the input has ended).
    public var nextLine: Int { line }

    let source: ByteSource
    /// The read buffer, `bufferCapacity` bytes; the unread bytes are `position..<end`. It grows
    /// only while the first line is buffered for delimiter detection.
    var buffer: UnsafeMutablePointer<UInt8>
    var bufferCapacity: Int
    var position = 0
    var end = 0
    var sourceDone = false
    var line = 1
    var started = false
    /// Counts the reads that brought new bytes into the buffer (the fast path's notion of "new bytes").
    var refills = 0
    /// Bytes the source has returned so far.
    var sourceBytes = 0
    private let givenDelimiter: UInt8?
    /// Whether a UTF-8 byte-order mark at the start of the source is skipped (false for a source
    /// that starts in the middle of a file).
    private let skipsByteOrderMark: Bool

    /// Bytes of the current record's fields, back to back (`fieldByteCount` used of
    /// `fieldByteCapacity`); `fieldEnds[i]` is the end offset of field i (`fieldEndCount` used).
    private var fieldBytes: UnsafeMutablePointer<UInt8>
    var fieldByteCount = 0
    private var fieldByteCapacity: Int
    private var fieldEnds: UnsafeMutablePointer<Int>
    var fieldEndCount = 0
    private var fieldEndCapacity: Int

    /// - Parameters:
    ///   - source: the bytes to read.
    ///   - fileName: name used in error messages.
    ///   - delimiter: `,`, `;`, tab or any other byte; nil detects it from the first line.
    ///   - bufferSize: bytes per read from the source.
    ///   - maxRecordBytes: longest record accepted.
    ///   - firstLine: the line number of the source's first byte (1 for a whole file; a part of a
    ///     file, ``FileRangeSource``, may start on a later line).
    ///   - byteOrderMark: whether a UTF-8 byte-order mark at the start is skipped (true for a whole
    ///     file; false for a source that starts in the middle of one).
    public init(source: ByteSource, fileName: String, delimiter: UInt8? = nil, bufferSize: Int = 1 << 20, maxRecordBytes: Int = 1 << 24,
                firstLine: Int = 1, byteOrderMark: Bool = true) {
        self.source = source
        self.fileName = fileName
        self.givenDelimiter = delimiter
        self.line = firstLine
        self.skipsByteOrderMark = byteOrderMark
        self.bufferCapacity = max(16, bufferSize)
        self.buffer = .allocate(capacity: bufferCapacity)
        self.maxRecordBytes = maxRecordBytes
        self.fieldByteCapacity = 256
        self.fieldBytes = .allocate(capacity: fieldByteCapacity)
        self.fieldEndCapacity = 32
        self.fieldEnds = .allocate(capacity: fieldEndCapacity)
    }

    deinit {
        specialBytes.deallocate()
        buffer.deallocate()
        fieldBytes.deallocate()
        fieldEnds.deallocate()
    }

    /// Opens `path` (`-` is standard input, named `<stdin>` in errors).
    /// - Throws: ``CSVError/unreadable(file:reason:)``.
    public convenience init(path: String, delimiter: UInt8? = nil) throws {
        let source = try FileDescriptorSource(path: path)
        self.init(source: source, fileName: source.name, delimiter: delimiter)
    }

    // MARK: - The current record

    /// Number of fields in the current record.
    public var fieldCount: Int { fieldEndCount }

    /// Field `index` (0-based) of the current record, decoded as UTF-8 (invalid bytes become U+FFFD).
    public func field(_ index: Int) -> String {
        withField(index) { String(decoding: $0, as: UTF8.self) }
    }

    /// All fields of the current record.
    public var fields: [String] { (0..<fieldCount).map(field) }

    /// Calls `body` with the raw bytes of field `index` (0-based, below ``fieldCount``) of the
    /// current record; the bytes are valid only during the call.
    @inline(__always)
    public func withField<R>(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        precondition(index >= 0 && index < fieldEndCount, "field \(index) of a record with \(fieldEndCount) fields")
        let start = index == 0 ? 0 : fieldEnds[index - 1]
        return try body(UnsafeBufferPointer(start: fieldBytes + start, count: fieldEnds[index] - start))
    }

    /// Whether ``next()`` can start on the next record without waiting for the source: bytes are
    /// buffered, the input has ended, or the source has bytes (or its end) ready
    /// (``ByteSource/isReady``). It may still wait for the rest of a record whose start has come.
    public var canReadWithoutWaiting: Bool { position < end || sourceDone || source.isReady }

    // MARK: - Reading

    private enum State { case fieldStart, unquoted, quoted, quoteInQuoted }

    /// 1 for the bytes that end a run of plain field bytes (the delimiter, LF, CR, `"`), else 0:
    /// one load per byte in the scan instead of four comparisons. Set when the delimiter is known.
    private var specialBytes: UnsafeMutablePointer<UInt8> = {
        let table = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        table.initialize(repeating: 0, count: 256)
        return table
    }()

    /// Advances to the next record. Returns false at the end of the input.
    /// - Throws: ``CSVError`` for unreadable input, quoting errors and records over the size limit.
    public func next() throws -> Bool {
        if !started { try start() }
        fieldByteCount = 0
        fieldEndCount = 0
        guard try fill() else { return false }
        recordLine = line
        recordOffset = offset

        var state = State.fieldStart
        var quoteLine = line
        let delim = delimiter
        let quote = UInt8(ascii: "\""), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")

        while true {
            if position == end {
                guard try fill() else {
                    // End of input terminates the last record.
                    if state == .quoted {
                        throw CSVError.unterminatedQuote(file: fileName, line: quoteLine, column: fieldEndCount + 1)
                    }
                    endField()
                    return true
                }
            }
            switch state {
            case .fieldStart, .unquoted:
                // The run of plain bytes up to the next delimiter, line break or quote, copied at once.
                let buf = buffer, stop = end, special = specialBytes
                var p = position
                while p < stop && special[Int(buf[p])] == 0 { p += 1 }
                if p > position {
                    try appendBytes(buf + position, count: p - position)
                    position = p
                    state = .unquoted
                }
                if p == stop { continue }
                let b = buf[p]
                position = p + 1
                if b == delim {
                    endField()
                    state = .fieldStart
                } else if b == lf || b == cr {
                    endField()
                    try endOfLine(b)
                    return true
                } else {
                    if state == .unquoted {
                        throw CSVError.quoteInUnquotedField(file: fileName, line: line, column: fieldEndCount + 1)
                    }
                    state = .quoted
                    quoteLine = line
                }
            case .quoted:
                // Data up to the next quote; line feeds inside count as lines.
                let buf = buffer, stop = end
                var p = position
                var lines = 0
                while p < stop {
                    let b = buf[p]
                    if b == quote { break }
                    if b == lf { lines += 1 }
                    p += 1
                }
                line += lines
                if p > position { try appendBytes(buf + position, count: p - position) }
                position = p
                if p == stop { continue }
                position = p + 1
                state = .quoteInQuoted
            case .quoteInQuoted:
                let b = buffer[position]
                position += 1
                if b == quote {
                    var q = quote
                    try appendBytes(&q, count: 1)
                    state = .quoted
                } else if b == delim {
                    endField()
                    state = .fieldStart
                } else if b == lf || b == cr {
                    endField()
                    try endOfLine(b)
                    return true
                } else {
                    throw CSVError.textAfterClosingQuote(file: fileName, line: line, column: fieldEndCount + 1)
                }
            }
            // Delimiters count too: a line of only commas stores no field bytes but one field end
            // (8 bytes) per comma, so capping field bytes alone lets a 1 GB line take 8 GB.
            if fieldByteCount + fieldEndCount > maxRecordBytes {
                throw CSVError.recordTooLong(file: fileName, line: recordLine, limit: maxRecordBytes)
            }
        }
    }

    /// Appends `count` bytes to the current field, first checking the record limit (field bytes
    /// plus field ends), so the storage never grows past about twice ``maxRecordBytes``.
    @inline(__always)
    private func appendBytes(_ bytes: UnsafePointer<UInt8>, count: Int) throws {
        let needed = fieldByteCount + count
        if needed + fieldEndCount > maxRecordBytes {
            throw CSVError.recordTooLong(file: fileName, line: recordLine, limit: maxRecordBytes)
        }
        if needed > fieldByteCapacity { growFieldBytes(to: needed) }
        (fieldBytes + fieldByteCount).update(from: bytes, count: count)
        fieldByteCount = needed
    }

    private func growFieldBytes(to needed: Int) {
        var capacity = fieldByteCapacity
        while capacity < needed { capacity *= 2 }
        fieldBytes = reallocated(fieldBytes, keeping: fieldByteCount, capacity: capacity)
        fieldByteCapacity = capacity
    }

    /// Ends the current field at the current length of the field bytes.
    @inline(__always)
    private func endField() {
        if fieldEndCount == fieldEndCapacity {
            fieldEnds = reallocated(fieldEnds, keeping: fieldEndCount, capacity: fieldEndCapacity * 2)
            fieldEndCapacity *= 2
        }
        fieldEnds[fieldEndCount] = fieldByteCount
        fieldEndCount += 1
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
        let n = try source.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: bufferCapacity))
        if n == 0 {
            sourceDone = true
            return false
        }
        end = n
        sourceBytes += n
        refills += 1
        return true
    }

    /// Skips a byte-order mark and detects the delimiter from the first line.
    private func start() throws {
        started = true
        // Buffer the whole first line (or up to the record limit), growing the buffer if needed.
        var scanned = 0
        var inQuotes = false
        var counts = (comma: 0, semicolon: 0, tab: 0)
        var bomChecked = !skipsByteOrderMark
        scan: while true {
            while scanned < end {
                if !bomChecked {
                    // Decided as soon as the bytes so far differ from the mark, so that a short
                    // first line from a pipe ("1\n") is not held back waiting for a third byte.
                    let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
                    let differs = (0..<min(3, end - position)).contains { buffer[position + $0] != bom[$0] }
                    if end - position >= 3 || sourceDone || differs {
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
            if end == bufferCapacity {
                buffer = reallocated(buffer, keeping: end, capacity: bufferCapacity * 2)
                bufferCapacity *= 2
            }
            let n = try source.read(into: UnsafeMutableRawBufferPointer(start: buffer + end, count: bufferCapacity - end))
            if n == 0 { sourceDone = true; if !bomChecked { bomChecked = true; continue } ; break }
            end += n
            sourceBytes += n
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
        for b in [delimiter, UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\"")] { specialBytes[Int(b)] = 1 }
        if skipsByteOrderMark, let what = CSVTextCheck.binaryKind(UnsafeBufferPointer(start: buffer + position, count: min(end - position, CSVTextCheck.examinedBytes))) {
            throw CSVError.notText(file: fileName, looksLike: what)
        }
    }
}

/// A new allocation of `capacity` elements holding `pointer`'s first `count` (`count ≤ capacity`);
/// `pointer` is deallocated. How the reader's buffers grow.
@inline(__always)
private func reallocated<T>(_ pointer: UnsafeMutablePointer<T>, keeping count: Int, capacity: Int) -> UnsafeMutablePointer<T> {
    let grown = UnsafeMutablePointer<T>.allocate(capacity: capacity)
    grown.update(from: pointer, count: count)
    pointer.deallocate()
    return grown
}
