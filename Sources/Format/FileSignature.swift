import Foundation

/// What the first bytes of a file say it is: the one sniffer behind ``ModelFile/load(contentsOf:)``,
/// `ModelLoader` and `KerasLayout` (Interop) and the command-line tools' isolation decision.
public enum FileSignature: Equatable, Sendable {
    /// ``NNF/magic`` at offset 0.
    case nnf
    /// HDF5's signature (``hdf5Magic``) at offset 0, 512, 1024, 2048, … up to 1 MiB (after a user block).
    case hdf5
    /// ZIP's local file header `PK\x03\x04` or empty-archive record `PK\x05\x06` at offset 0 (a `.keras`
    /// archive); `head` is the first 8 bytes.
    case zip(head: [UInt8])
    /// Anything else; `head` is up to the first 8 bytes (empty for an empty file).
    case other(head: [UInt8])

    /// The 8-byte HDF5 superblock signature `\x89HDF\r\n\x1a\n`.
    public static let hdf5Magic: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Why a file's signature could not be read.
    public enum ReadError: Error, Sendable {
        /// The file could not be opened; `reason` is the system's sentence.
        case cannotOpen(reason: String)
        /// Reading or seeking failed.
        case cannotRead(reason: String)
    }

    /// Reads the signature of the file at `url` (at most 8 bytes at each offset probed).
    /// - Throws: ``ReadError``.
    public static func read(_ url: URL) throws(ReadError) -> FileSignature {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            // Opening succeeds and reading fails with an opaque Foundation error; say what it is.
            let savedModel = FileManager.default.fileExists(atPath: url.appendingPathComponent("saved_model.pb").path)
            throw .cannotOpen(reason: "it is a directory" + (savedModel
                ? " (a TensorFlow SavedModel, which nnkit does not read: load it in TensorFlow and save a Keras file with model.save(\"model.keras\"), or convert it to ONNX)"
                : "; expected a model file (.nnf, .keras, .h5 or .onnx)"))
        }
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: url) } catch {
            // Foundation's sentence ("The operation could not be completed. The file doesn’t
            // exist.") names no cause a user can act on; open(2)'s errno does.
            let fd = open(url.path, O_RDONLY | O_CLOEXEC)
            if fd < 0 { throw .cannotOpen(reason: String(cString: strerror(errno))) }
            _ = close(fd)
            throw .cannotOpen(reason: (error as NSError).localizedDescription)
        }
        defer { try? handle.close() }
        func bytes(at offset: UInt64) throws -> [UInt8] {
            try handle.seek(toOffset: offset)
            return [UInt8](try handle.read(upToCount: 8) ?? Data())
        }
        do {
            let head = try bytes(at: 0)
            if head == NNF.magic { return .nnf }
            if head == hdf5Magic { return .hdf5 }
            if head.count >= 4, head[0] == 0x50, head[1] == 0x4B, (head[2], head[3]) == (3, 4) || (head[2], head[3]) == (5, 6) { return .zip(head: head) }
            var offset: UInt64 = 512
            while offset <= 1 << 20 {
                let b = try bytes(at: offset)
                if b.count < 8 { break }
                if b == hdf5Magic { return .hdf5 }
                offset *= 2
            }
            return .other(head: head)
        } catch {
            throw .cannotRead(reason: (error as NSError).localizedDescription)
        }
    }
}
