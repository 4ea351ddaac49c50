import Foundation
import Format
import Interop
import _CLI

/// Loading and saving model files for the commands, with errors classified for exit status 4.
public enum ModelIO {
    /// Loads any supported model file, recognised by content through `ModelLoader` (`.nnf`, the
    /// nnkit HDF5 container, every full-model Keras layout). The result is validated.
    ///
    /// Every file but `.nnf` is parsed in a child process (``CommandModelLoader``), so that a file that
    /// crashes or hangs libhdf5 ends in exit 4 with one line.
    /// - Parameter loading: ``TensorLoading/map`` maps an `.nnf` file and uses its tensors in place
    ///   (the commands that only predict, which check ``Network/verifyWeightFiles()`` per batch);
    ///   ``TensorLoading/copy`` (the default) reads them into memory of their own.
    /// - Throws: ``NNRunError/io(_:)`` when the file does not exist, ``NNRunError/model(file:underlying:)``
    ///   for an `.nnf` file the reader rejects, `ToolFailure` (with its exit status) for the rest.
    /// - Parameter whileRunning: work that does not need the model, done while a child process
    ///   imports it (``CommandModelLoader/load(_:_:whileRunning:)``); not called for `.nnf` files.
    public static func load(_ path: String, loading: TensorLoading = .copy,
                            whileRunning: ((_ childMayStillSucceed: () -> Bool) -> Void)? = nil) throws -> ModelFile {
        try loadDescribed(path, loading: loading, whileRunning: whileRunning).file
    }

    /// ``load(_:)``, also saying what the file was recognised as (`nnf 1.0`, `keras3-h5`, `nnf-hdf5`, …;
    /// nil when unknown). An HDF5-based file is recognised by the child process, so the parent never
    /// opens it with libhdf5.
    public static func loadDescribed(_ path: String, loading: TensorLoading = .copy,
                                     whileRunning: ((_ childMayStillSucceed: () -> Bool) -> Void)? = nil) throws -> (file: ModelFile, container: String?) {
        guard FileManager.default.fileExists(atPath: path) else {
            throw NNRunError.io("\(path): no such model file")
        }
        do {
            let (file, kind) = try CommandModelLoader.load(path, ModelRequest(loading: loading), whileRunning: whileRunning)
            return (file, ModelSummary.format(of: path, kind: kind))
        } catch let e as ToolFailure {
            throw e
        } catch {
            throw NNRunError.model(file: path, underlying: error)
        }
    }

    /// Writes `.nnf`, replacing `path` atomically, whatever its extension (the child of an isolated
    /// load writes its private `.nnf` this way).
    /// - Throws: ``NNRunError/io(_:)`` or ``NNRunError/model(file:underlying:)`` when the model cannot be encoded.
    public static func save(_ file: ModelFile, to path: String) throws {
        try save(file, to: path, format: .nnf)
    }

    /// Writes `file` to `path` in `format` (through the same writers as `nnconv convert`), replacing
    /// `path` atomically.
    /// - Throws: ``NNRunError/io(_:)`` or ``NNRunError/model(file:underlying:)`` when the model cannot be encoded.
    public static func save(_ file: ModelFile, to path: String, format: ModelSaveFormat) throws {
        do {
            try format.write(file, to: URL(fileURLWithPath: path))
        } catch let e as AtomicFileError {
            throw NNRunError.io(e.description)
        } catch {
            throw NNRunError.model(file: path, underlying: error)
        }
    }

    /// Writes `file` to a checked output in `format`, replacing it atomically (carrying the output's
    /// ``FileLock`` when this process holds one); messages name the path the user gave.
    /// - Throws: ``NNRunError/io(_:)`` or ``NNRunError/model(file:underlying:)`` when the model cannot be encoded.
    public static func save(_ file: ModelFile, to output: OutputFile, format: ModelSaveFormat = .nnf) throws {
        do {
            try format.write(file, to: output.url)
        } catch let e as AtomicFileError {
            throw NNRunError.io(e.description)
        } catch {
            throw NNRunError.model(file: output.path, underlying: error)
        }
    }

    /// The format a model written to `path` gets, from its extension as in `nnconv convert`: `.nnf`,
    /// `.h5`/`.hdf5` (the nnkit HDF5 container, which Keras `load_model` opens), `.keras` (a Keras 3
    /// archive). A path without an extension is written as `.nnf`.
    /// `.onnx` is refused too: ONNX carries no training state, so a checkpoint in it could not be
    /// resumed; train to `.nnf` and export with `nnconv convert`.
    /// - Throws: ``NNRunError/usage(_:)`` for any other extension (before any work is done).
    public static func outputFormat(for path: String) throws -> ModelSaveFormat {
        let ext = (path as NSString).pathExtension
        if let f = ModelSaveFormat(path: path) {
            switch f {
            case .nnf, .h5, .keras: return f
            case .onnx:
                throw NNRunError.usage("\(path): cannot write a model as .\(ext); use a .nnf, .keras or .h5 extension (ONNX has no training state: write .nnf, then nnconv convert it to .onnx)")
            }
        }
        if ext.isEmpty { return .nnf }
        throw NNRunError.usage("\(path): cannot write a model as .\(ext); use a .nnf, .keras or .h5 extension")
    }

    /// Holds the memory one batch of `batchSize` rows takes through `file`'s model (its input and
    /// every layer's output, float32; `batchSize × (input width + Σ layer widths) × 4` bytes) to
    /// `MemoryBudget`, before anything is allocated: a model claiming an input width of 2^40 ends in
    /// a usage error (exit 2) instead of an abort.
    /// - Throws: ``NNRunError/usage(_:)`` naming the model file and `--batch-size`.
    public static func checkBatchMemory(_ file: ModelFile, batchSize: Int, path: String, copies: Int = 1) throws {
        let layout: ParameterLayout
        do { layout = try file.model.parameterLayout() } catch { throw NNRunError.model(file: path, underlying: error) }
        var width = layout.inputWidth
        for w in layout.layerWidths {
            let (s, o) = width.addingReportingOverflow(w)
            width = o ? Int.max : s
        }
        do {
            try MemoryBudget.check(MemoryBudget.product(batchSize, width, 4, copies), for: "\(path): a batch of \(batchSize) rows (--batch-size) through this model's \(layout.inputWidth) inputs and layers")
        } catch let e as MemoryBudgetError {
            throw NNRunError.usage(e.description)
        }
    }

    /// Whether `path` holds an `.nnf` file (by its magic bytes; never opens the file with libhdf5).
    public static func isNNF(_ path: String) -> Bool {
        !IsolatedImport.needsIsolation(URL(fileURLWithPath: path))
    }
}
