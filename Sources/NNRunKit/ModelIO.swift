import Foundation
import Format
import Interop

/// Loading and saving model files for the commands, with errors classified for exit status 4.
public enum ModelIO {
    /// Loads any supported model file, recognised by content through `ModelLoader` (`.nnf`, the
    /// nnkit HDF5 container, every full-model Keras layout). The result is validated.
    /// - Throws: ``NNRunError/io(_:)`` when the file does not exist,
    ///   ``NNRunError/unsupportedModel(file:reason:)`` for Keras weights-only files (no architecture),
    ///   ``NNRunError/model(file:underlying:)`` for anything the readers reject.
    ///
    /// When ``isolation`` is set (the `nnrun` executable sets it), every file but `.nnf` is parsed in a
    /// child process (``IsolatedImport``, running ``loadInProcess(_:)``) so that a file that crashes or
    /// hangs libhdf5 ends in exit 4 with one line; a child that crashed or timed out gives
    /// ``NNRunError/model(file:underlying:)``, a child that failed its own message and status.
    public static func load(_ path: String) throws -> ModelFile {
        try loadDescribed(path).file
    }

    /// ``load(_:)``, also saying what the file was recognised as (`nnf 1.0`, `keras3-h5`, `nnf-hdf5`, …;
    /// nil when unknown). With ``isolation`` set, an HDF5-based file is recognised by the child
    /// process too, so the parent never opens it with libhdf5.
    public static func loadDescribed(_ path: String) throws -> (file: ModelFile, container: String?) {
        guard FileManager.default.fileExists(atPath: path) else {
            throw NNRunError.io("\(path): no such model file")
        }
        guard let isolation, IsolatedImport.needsIsolation(URL(fileURLWithPath: path)) else {
            let file = try loadInProcess(path)
            return (file, containerDescription(path))
        }
        do {
            let result = try isolation.load(source: path)
            try result.model.validate()
            let report = result.report.trimmingCharacters(in: .whitespacesAndNewlines)
            return (result.model, report.isEmpty ? nil : report)
        } catch let e as IsolatedImportError {
            if case .failed(_, let status, _) = e {
                let message = e.message(strippingPrefix: "nnrun: ")
                if status == 4 { throw NNRunError.unsupportedModel(file: path, reason: message.hasPrefix(path + ": ") ? String(message.dropFirst(path.count + 2)) : message) }
                throw NNRunError.io(message)
            }
            throw NNRunError.model(file: path, underlying: e)
        } catch {
            throw NNRunError.model(file: path, underlying: error)
        }
    }

    /// How ``load(_:)`` isolates HDF5 parsing: nil (the default, for library callers) parses in process.
    /// Set once at start-up, before any command runs.
    nonisolated(unsafe) public static var isolation: IsolatedImport?

    /// ``load(_:)`` without isolation: what the child process of an isolated load runs.
    public static func loadInProcess(_ path: String) throws -> ModelFile {
        guard FileManager.default.fileExists(atPath: path) else {
            throw NNRunError.io("\(path): no such model file")
        }
        do {
            let url = URL(fileURLWithPath: path)
            if case .keras(let layout) = try ModelLoader.detect(contentsOf: url), layout.isWeightsOnly {
                throw NNRunError.unsupportedModel(file: path, reason: "a Keras weights-only file has no architecture; convert it with `nnconv convert \(path) model.nnf --config model.json` first")
            }
            let file = try ModelLoader.load(contentsOf: url)
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

    /// Writes `.nnf` to a checked output, replacing it atomically; messages name the path the user gave.
    /// - Throws: ``NNRunError/io(_:)`` or ``NNRunError/model(file:underlying:)`` when the model cannot be encoded.
    public static func save(_ file: ModelFile, to output: OutputFile) throws {
        let bytes: [UInt8]
        do { bytes = try NNF.encode(file) } catch { throw NNRunError.model(file: output.path, underlying: error) }
        do { try output.write(bytes) } catch let e as AtomicFileError {
            throw NNRunError.io(e.description)
        }
    }

    /// What the file was recognised as (`nnf 1.0`, `nnf-hdf5`, `keras3-h5`, …), or nil when unknown.
    /// Opens other files with libhdf5 (through `ModelLoader.detect`): in-process use only.
    public static func containerDescription(_ path: String) -> String? {
        if let h = FileHandle(forReadingAtPath: path) {
            defer { try? h.close() }
            let head = [UInt8]((try? h.read(upToCount: 12)) ?? Data())
            if head.count == 12, Array(head[0..<8]) == NNF.magic {
                return "nnf \(UInt16(head[8]) | UInt16(head[9]) << 8).\(UInt16(head[10]) | UInt16(head[11]) << 8)"
            }
        }
        return (try? ModelLoader.detect(contentsOf: URL(fileURLWithPath: path)))?.description
    }

    /// Whether `path` holds an `.nnf` file (by its magic bytes; never opens the file with libhdf5).
    public static func isNNF(_ path: String) -> Bool {
        !IsolatedImport.needsIsolation(URL(fileURLWithPath: path))
    }
}
