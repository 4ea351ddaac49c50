import Foundation
import Format
import Interop

/// Loading and saving model files for the commands, with errors classified for exit status 4.
public enum ModelIO {
    /// Loads any supported model file, chosen by content: a Keras file (`.keras` archive, Keras 2/3
    /// legacy `.h5`) through ``KerasImporter``, otherwise `.nnf` or the nnkit HDF5 container through
    /// `ModelFile.load`. The result is validated.
    /// - Throws: ``NNRunError/model(file:underlying:)``.
    public static func load(_ path: String) throws -> ModelFile {
        guard FileManager.default.fileExists(atPath: path) else {
            throw NNRunError.io("\(path): no such model file")
        }
        do {
            let url = URL(fileURLWithPath: path)
            let file: ModelFile
            if let layout = try KerasLayout.detect(contentsOf: url) {
                if layout.isWeightsOnly {
                    throw NNRunError.unsupportedModel(file: path, reason: "a Keras weights-only file has no architecture; convert it with nnconv and its --config option first")
                }
                file = try KerasImporter.importModel(contentsOf: url)
            } else {
                file = try ModelFile.load(contentsOf: url)
            }
            try file.validate()
            return file
        } catch let e as NNRunError {
            throw e
        } catch {
            throw NNRunError.model(file: path, underlying: error)
        }
    }

    /// Writes `.nnf`, replacing `path` atomically.
    /// - Throws: ``NNRunError/io(_:)`` or ``NNRunError/model(file:underlying:)`` when the model cannot be encoded.
    public static func save(_ file: ModelFile, to path: String) throws {
        do {
            try NNF.write(file, to: URL(fileURLWithPath: path))
        } catch let e as AtomicFileError {
            throw NNRunError.io(e.description)
        } catch {
            throw NNRunError.model(file: path, underlying: error)
        }
    }

    /// A short description of the container: `nnf 1.0`, `HDF5`, or nil when unknown.
    public static func containerDescription(_ path: String) -> String? {
        guard let h = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? h.close() }
        let head = [UInt8]((try? h.read(upToCount: 12)) ?? Data())
        if head.count >= 12, Array(head[0..<8]) == NNF.magic {
            let major = UInt16(head[8]) | UInt16(head[9]) << 8
            let minor = UInt16(head[10]) | UInt16(head[11]) << 8
            return "nnf \(major).\(minor)"
        }
        if head.count >= 8, Array(head[0..<8]) == ModelFile.hdf5Signature { return "HDF5" }
        if head.count >= 4, head[0] == 0x50, head[1] == 0x4B { return "Keras archive (zip)" }
        return nil
    }

    /// Whether `path` holds an `.nnf` file (by its magic bytes).
    public static func isNNF(_ path: String) -> Bool {
        containerDescription(path)?.hasPrefix("nnf") ?? false
    }
}
