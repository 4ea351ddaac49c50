/// Writes CSV rows through a bounded buffer.
///
/// Output dialect: comma-delimited, LF line ends, fields quoted only when they contain the
/// delimiter, a quote, CR or LF (inner quotes doubled). Floats are written in their shortest
/// round-trip form (Swift's `Float.description`: `0.5`, `1.0`, `1e-05`), so reading them back with
/// `Float(String)` gives the same bits.
public final class CSVWriter {
    private let sink: ByteSink
    private var buffer: [UInt8] = []
    private let flushThreshold: Int
    private var fieldsInRow = 0
    public let delimiter: UInt8

    /// - Parameters:
    ///   - sink: destination.
    ///   - bufferSize: bytes collected before a write to the sink.
    public init(sink: ByteSink, delimiter: UInt8 = UInt8(ascii: ","), bufferSize: Int = 1 << 16) {
        self.sink = sink
        self.delimiter = delimiter
        self.flushThreshold = max(1, bufferSize)
        buffer.reserveCapacity(flushThreshold + 256)
    }

    /// Appends a text field, quoting it when needed.
    public func write(field: String) {
        separate()
        let needsQuotes = field.utf8.contains { $0 == delimiter || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
        if needsQuotes {
            buffer.append(UInt8(ascii: "\""))
            for b in field.utf8 {
                if b == UInt8(ascii: "\"") { buffer.append(b) }
                buffer.append(b)
            }
            buffer.append(UInt8(ascii: "\""))
        } else {
            buffer.append(contentsOf: field.utf8)
        }
    }

    /// Appends a float field in shortest round-trip form.
    public func write(_ value: Float) {
        separate()
        buffer.append(contentsOf: value.description.utf8)
    }

    /// Appends a whole row of text fields and ends it.
    public func writeRow(_ fields: [String]) throws {
        for f in fields { write(field: f) }
        try endRow()
    }

    /// Ends the current row; writes the buffer to the sink when it is full.
    public func endRow() throws {
        buffer.append(0x0A)
        fieldsInRow = 0
        if buffer.count >= flushThreshold { try flush() }
    }

    /// Writes everything buffered to the sink.
    public func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try sink.write($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func separate() {
        if fieldsInRow > 0 { buffer.append(delimiter) }
        fieldsInRow += 1
    }
}
