/// Recognises a data argument that is not CSV text from its first bytes, so that a model file, a
/// compressed or Parquet file, or UTF-16 text given where CSV is expected gets one sentence saying
/// what it is, instead of an error about the column count of its "rows".
///
/// CSV text never holds a NUL byte; UTF-16 text (what spreadsheet programs call "Unicode text")
/// and every binary format here do within their first bytes.
enum CSVTextCheck {
    /// The bytes examined: the start of the input (its first line is buffered whole before this
    /// check, plus whatever the first read brought, up to this many bytes).
    static let examinedBytes = 4096

    /// What `bytes` (the start of an input, after any UTF-8 byte-order mark) look like when they
    /// are not CSV text, or nil when they may be CSV.
    static func binaryKind(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        func starts(_ magic: [UInt8]) -> Bool { bytes.count >= magic.count && zip(bytes, magic).allSatisfy { $0 == $1 } }
        if starts([0x89, 0x4E, 0x4E, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]) { return "an nnkit .nnf model file (the model comes first: nnrun COMMAND MODEL DATA)" }
        if starts([0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]) { return "an HDF5 file (a Keras .h5 model? the model comes first: nnrun COMMAND MODEL DATA)" }
        if starts([0x50, 0x4B, 0x03, 0x04]) || starts([0x50, 0x4B, 0x05, 0x06]) {
            return "a ZIP archive (a Keras .keras model, or a spreadsheet workbook? the model comes first: nnrun COMMAND MODEL DATA; save sheets as CSV)"
        }
        if starts([0x1F, 0x8B]) { return "gzip-compressed data; decompress it first (for example: zcat FILE | nnrun … -)" }
        if starts([0x28, 0xB5, 0x2F, 0xFD]) { return "zstd-compressed data; decompress it first (for example: zstdcat FILE | nnrun … -)" }
        if starts([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) { return "xz-compressed data; decompress it first (for example: xzcat FILE | nnrun … -)" }
        if starts(Array("BZh".utf8)), bytes.count > 3, (0x31...0x39).contains(bytes[3]) {
            return "bzip2-compressed data; decompress it first (for example: bzcat FILE | nnrun … -)"
        }
        if starts(Array("PAR1".utf8)) { return "a Parquet file; write the table as CSV (pandas: DataFrame.to_csv)" }
        guard let nul = bytes.firstIndex(of: 0) else { return nil }
        // Zeros only (/dev/zero, a preallocated or sparse file) are not UTF-16 text, which they matched.
        if bytes.allSatisfy({ $0 == 0 }) {
            return "nothing but NUL bytes (a zero-filled or preallocated file, or /dev/zero); expected comma-, semicolon- or tab-separated text"
        }
        // UTF-16 without a byte-order mark: the first code unit's other byte is not NUL.
        if starts([0xFF, 0xFE]) || starts([0xFE, 0xFF]) || (nul <= 1 && bytes.count >= 4 && bytes[nul + 2] == 0 && bytes[nul ^ 1] != 0) {
            return "UTF-16 text; save it as UTF-8 (CSV UTF-8 in spreadsheet programs)"
        }
        return "binary data (a NUL byte at offset \(nul)); expected comma-, semicolon- or tab-separated text"
    }
}
