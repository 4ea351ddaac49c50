import Foundation

/// The `.nnf` container, version 1: a fixed little-endian preamble, a UTF-8 JSON header and
/// 64-byte-aligned tensor data. The layout and every rule the reader enforces are in `spec/nnf.md`.
///
/// ```
/// let file = try NNF.read(contentsOf: URL(fileURLWithPath: "xor.nnf"))
/// try NNF.write(file, to: URL(fileURLWithPath: "copy.nnf"))   // atomic replace
/// ```
public enum NNF {
    /// The eight magic bytes `89 4E 4E 46 0D 0A 1A 0A` (`\x89NNF\r\n\x1a\n`), PNG-style: the high
    /// byte catches 7-bit transfers, CR LF and LF catch line-ending conversion, `^Z` stops `type` on DOS.
    public static let magic: [UInt8] = [0x89, 0x4E, 0x4E, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
    /// The major version this library writes and the only one it reads.
    public static let versionMajor: UInt16 = 1
    /// The minor version this library writes; readers accept any minor of their major.
    public static let versionMinor: UInt16 = 0
    /// Size of the fixed preamble in bytes: magic 8, major 2, minor 2, header length 8, header CRC 4.
    public static let preambleSize = 24
    /// Byte offset of the header CRC field in the preamble.
    static let crcFieldOffset = 20
    /// Alignment of the data section in the file and of every tensor within it, in bytes.
    public static let alignment = 64
    /// Largest header (JSON plus padding) a reader accepts, in bytes: 16 MiB.
    public static let maxHeaderLength = 16 * 1024 * 1024

    /// Reads and validates a `.nnf` file.
    ///
    /// The file is mapped (not read element by element); every structural rule of `spec/nnf.md` is
    /// checked before tensor memory is allocated, and tensor bytes are copied as whole ranges.
    /// - Throws: ``NNFError`` naming the file and the offending place.
    public static func read(contentsOf url: URL) throws -> ModelFile {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw NNFError.cannotRead(file: url.path, reason: Self.reason(error))
        }
        return try decode(data, fileName: url.path)
    }

    /// Decodes the bytes of a `.nnf` file.
    /// - Parameters:
    ///   - bytes: the whole file.
    ///   - fileName: used in error messages only.
    /// - Throws: ``NNFError``.
    public static func decode(_ bytes: [UInt8], fileName: String) throws -> ModelFile {
        try bytes.withUnsafeBytes { try NNFReader(buffer: $0, file: fileName).read() }
    }

    /// Decodes the bytes of a `.nnf` file held in `Data` (possibly memory-mapped).
    /// - Throws: ``NNFError``.
    public static func decode(_ data: Data, fileName: String) throws -> ModelFile {
        try data.withUnsafeBytes { try NNFReader(buffer: $0, file: fileName).read() }
    }

    /// Encodes a model file. The output depends only on `model`: the same value always gives the
    /// same bytes (sorted JSON keys, no timestamps added; `metadata.createdAt` is the caller's).
    /// - Throws: ``NNFError/invalidModel(file:_:)`` when `model.validate()` fails (a writer never
    ///   produces a file its reader rejects), ``NNFError/headerEncodingFailed(file:reason:)`` for a
    ///   non-finite number in the configuration, ``NNFError/headerTooLarge(file:length:limit:)``.
    public static func encode(_ model: ModelFile) throws -> [UInt8] {
        try NNFWriter.encode(model, file: "(in memory)")
    }

    /// Encodes `model` and atomically replaces `url` with it (see ``AtomicFile``).
    /// - Throws: ``NNFError`` or ``AtomicFileError``; on error an existing file at `url` is unchanged.
    public static func write(_ model: ModelFile, to url: URL) throws {
        let bytes = try NNFWriter.encode(model, file: url.path)
        try AtomicFile.write(bytes, to: url)
    }

    static func reason(_ error: Error) -> String {
        error.localizedDescription
    }
}
