import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

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
    /// The preamble and header are read first and every structural rule of `spec/nnf.md` (R1–R22)
    /// is checked against the file's size before any tensor memory is allocated; then each tensor's
    /// CRC is checked (R23), and finally the model is validated (R24).
    /// - Parameters:
    ///   - url: the file.
    ///   - loading: ``TensorLoading/copy`` (the default): each tensor is read with `pread(2)` into
    ///     its own aligned memory, a snapshot nothing done to the file later affects.
    ///     ``TensorLoading/map``: the file is memory-mapped and the tensors are its bytes where they
    ///     lie (no copy); a file truncated by another program gives an error, never a SIGBUS crash,
    ///     and users of the tensors check ``Tensor/mapping``'s ``MappedFile/verifyUnchanged()``
    ///     before trusting results. Falls back to copying when the file cannot be mapped.
    /// - Throws: ``NNFError`` naming the file and the offending place; ``MemoryBudgetError`` when
    ///   the tensors, all within the file, add up to more than ``MemoryBudget`` allows (a sparse file).
    public static func read(contentsOf url: URL, loading: TensorLoading = .copy) throws -> ModelFile {
        let path = url.path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw NNFError.cannotRead(file: path, reason: String(cString: strerror(errno))) }
        defer { _ = close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw NNFError.cannotRead(file: path, reason: String(cString: strerror(errno))) }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw NNFError.cannotRead(file: path, reason: (st.st_mode & S_IFMT) == S_IFDIR ? "it is a directory" : "it is not a regular file")
        }
        // A file too short for the preamble fails R1 whichever way it is read.
        if loading == .map, Int(st.st_size) >= preambleSize, let mapped = MappedFile(descriptor: fd, status: st, path: path) {
            return try NNFReader(source: .mapped(mapped), file: path).read()
        }
        return try NNFReader(source: .file(descriptor: fd, size: Int(st.st_size)), file: path).read()
    }

    /// Decodes the bytes of a `.nnf` file.
    /// - Parameters:
    ///   - bytes: the whole file.
    ///   - fileName: used in error messages only.
    /// - Throws: ``NNFError`` (or ``MemoryBudgetError``, as ``read(contentsOf:loading:)``).
    public static func decode(_ bytes: [UInt8], fileName: String) throws -> ModelFile {
        try bytes.withUnsafeBytes { try NNFReader(buffer: $0, file: fileName).read() }
    }

    /// Decodes the bytes of a `.nnf` file held in `Data` (possibly memory-mapped).
    /// - Throws: ``NNFError`` (or ``MemoryBudgetError``, as ``read(contentsOf:loading:)``).
    public static func decode(_ data: Data, fileName: String) throws -> ModelFile {
        try data.withUnsafeBytes { try NNFReader(buffer: $0, file: fileName).read() }
    }

    /// Encodes a model file. The output depends only on `model`: the same value always gives the
    /// same bytes (sorted JSON keys, no timestamps added; `metadata.createdAt` is the caller's).
    /// - Throws: ``NNFError/invalidModel(file:_:)`` when `model.validate()` fails (a writer never
    ///   produces a file its reader rejects), ``NNFError/headerEncodingFailed(file:reason:)`` for a
    ///   non-finite number in the configuration, ``NNFError/headerWouldBeTooLarge(file:length:limit:)``.
    public static func encode(_ model: ModelFile) throws -> [UInt8] {
        try NNFWriter.encode(model, file: "(in memory)")
    }

    /// ``encode(_:)``, with errors naming `fileName` (the file the caller will write): lets a command
    /// find out before long work that its output could not be written (e.g. a header over the limit).
    public static func encode(_ model: ModelFile, fileName: String) throws -> [UInt8] {
        try NNFWriter.encode(model, file: fileName)
    }

    /// Encodes `model` and atomically replaces `url` with it (see ``AtomicFile``).
    /// - Parameter durable: false skips the `fsync`s (``AtomicFile/write(_:to:durable:)``): for a
    ///   private scratch file read back at once, never for a user's output.
    /// - Throws: ``NNFError`` or ``AtomicFileError``; on error an existing file at `url` is unchanged.
    public static func write(_ model: ModelFile, to url: URL, durable: Bool = true) throws {
        let bytes = try NNFWriter.encode(model, file: url.path)
        try AtomicFile.write(bytes, to: url, durable: durable)
    }

}
