import ArgumentParser
import Foundation
import Format
import Interop
import _CLI

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert SRC to DST; the format is chosen by DST's extension (.nnf, .h5, .keras, .onnx).",
        discussion: """
            .nnf    nnkit's binary container (lossless)
            .h5     the nnkit HDF5 container (lossless for nnkit), which Keras 3
                    and tf_keras load_model open
            .keras  a Keras 3 archive with compile config and optimizer state,
                    for keras.models.load_model
            .onnx   an ONNX model (IR 8, opset 17, symbolic batch dimension)
                    for onnxruntime; an inference graph: Dropout is omitted,
                    the training configuration is kept only as metadata

            The output is written atomically: it appears whole or not at all.
            """
    )

    @Argument(help: "The model file to read.")
    var source: String

    @Argument(help: "The file to write (.nnf, .h5, .keras or .onnx).")
    var destination: String

    @OptionGroup var input: ModelInputOptions

    @Flag(name: .long, help: "Replace DST if it exists.")
    var force = false

    func validate() throws {
        guard ModelSaveFormat(path: destination) != nil else {
            throw ValidationError("cannot tell the output format from \"\(destination)\": use a .nnf, .h5, .keras or .onnx extension")
        }
    }

    /// Ctrl-C (SIGINT) or SIGTERM during a conversion: the partial temporary output (and a `.keras`
    /// writer's scratch folder) is removed, DST is left as it was, and nnconv then dies of the signal
    /// as before (no exit status of its own: the shell reports 130 or 143).
    static func removeScratchOnSignals() {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: DispatchQueue.global())
            source.setEventHandler {
                AtomicFile.Scratch.removeAll()
                FileHandle.standardError.write(Data("nnconv: \(number == SIGTERM ? "terminated (SIGTERM)" : "interrupted"); nothing was written\n".utf8))
                signal(number, SIG_DFL)
                kill(getpid(), number)
            }
            source.resume()
            signalSources.append(source)
        }
    }
    nonisolated(unsafe) static var signalSources: [DispatchSourceSignal] = []

    func run() throws {
        let src = URL(fileURLWithPath: source), dst = URL(fileURLWithPath: destination)
        guard let format = ModelSaveFormat(path: destination) else { return }
        if src.standardizedFileURL.path == dst.standardizedFileURL.path {
            throw ToolFailure("\(destination): the output would replace the input; choose another name", .usage)
        }
        // Devices, directories, the input under another name, unwritable places: refused before any work.
        let output = try OutputFile.prepare(destination, option: "DST", inputs: [source] + (input.config.map { [$0] } ?? []))
        if FileManager.default.fileExists(atPath: dst.path) && !force {
            throw ToolFailure("\(destination): exists; pass --force to replace it", .usage)
        }
        Self.removeScratchOnSignals()
        let model = try CommandModelLoader.load(source, input.request).model
        printNotes(model)
        if format == .h5 {
            for note in NNFHDF5.kerasCompatibilityNotes(model) {
                FileHandle.standardError.write(Data("nnconv: note: \(note)\n".utf8))
            }
        }
        do {
            try format.write(model, to: output.url)
        } catch {
            throw ToolFailure(Tool.current.describe(error), .writing(error))
        }
        let slots = model.tensors.filter { $0.name.hasPrefix(TrainingState.slotPrefix) }.count
        FileHandle.standardError.write(Data("nnconv: wrote \(destination) (\(format.rawValue)): \(model.model.layers.count) layers, \(model.tensors.count - slots) parameter tensors\(slots > 0 ? ", \(slots) optimizer slots" : "")\n".utf8))
    }
}
