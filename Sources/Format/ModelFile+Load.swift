import Foundation

extension ModelFile {
    /// The first eight bytes of every HDF5 file (``FileSignature/hdf5Magic``).
    public static var hdf5Signature: [UInt8] { FileSignature.hdf5Magic }

    /// Loads a model file of any container this library reads, chosen by its first bytes (not its
    /// extension): `.nnf` (``NNF/magic``) is read by ``NNF/read(contentsOf:)``, HDF5 (signature at
    /// offset 0 or after a user block, ``FileSignature``) by ``NNFHDF5/read(contentsOf:)``.
    /// - Throws: ``ModelLoadError`` when the file cannot be opened or is of no known kind; otherwise
    ///   the container reader's error (``NNFError``, or ``NNFHDF5Error``/`HDF5Error`).
    public static func load(contentsOf url: URL) throws -> ModelFile {
        let signature: FileSignature
        do { signature = try FileSignature.read(url) } catch {
            switch error {
            case .cannotOpen(let r), .cannotRead(let r): throw ModelLoadError.cannotRead(file: url.path, reason: r)
            }
        }
        switch signature {
        case .nnf: return try NNF.read(contentsOf: url)
        case .hdf5: return try NNFHDF5.read(contentsOf: url)
        case .zip(let head), .other(let head): throw ModelLoadError.unrecognized(file: url.path, found: head)
        }
    }
}

/// Why ``ModelFile/load(contentsOf:)`` could not pick a reader for a file.
public enum ModelLoadError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The file could not be opened or read.
    case cannotRead(file: String, reason: String)
    /// The file starts with bytes that match no supported container (`found`: up to 8 bytes).
    case unrecognized(file: String, found: [UInt8])

    public var description: String {
        switch self {
        case .cannotRead(let f, let r):
            return "\(f): cannot read the file: \(r)"
        case .unrecognized(let f, let found):
            let shown = found.map { b in let s = String(b, radix: 16, uppercase: true); return s.count == 1 ? "0" + s : s }.joined(separator: " ")
            return "\(f): not a model file: it starts with \(found.isEmpty ? "nothing (empty file)" : shown); expected a .nnf file "
                + "(starting 89 4E 4E 46 0D 0A 1A 0A) or an HDF5 model (starting 89 48 44 46 0D 0A 1A 0A)"
        }
    }
}
