import ArgumentParser
import Foundation
import Format
import Interop
import _CLI

/// `nnconv`: converts model files between `.nnf`, the nnkit HDF5 container, Keras' layouts and
/// ONNX, and shows what a model file holds. All logic lives in `Interop` and `Format`.
@main
struct NNConv: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nnconv",
        abstract: "Convert and inspect neural network model files (.nnf, nnkit .h5, Keras .h5 / .weights.h5 / .keras, ONNX).",
        discussion: """
            Input files are recognised by content, not by name: .nnf, the nnkit HDF5 container, Keras 2 \
            and Keras 3 model.save(".h5"), Keras 2 save_weights(".h5") and Keras 3 save_weights(".weights.h5") \
            (both need --config with the JSON of model.to_json()), Keras 3 .keras archives, and ONNX models \
            whose graph is a chain of layers (PyTorch, scikit-learn MLPs through skl2onnx, nnkit's own exports).

            EXIT STATUS
              0  success
              1  an input or output file could not be read or written
                 (missing file, permissions, disk full)
              2  usage error (bad arguments, unknown output extension,
                 output exists without --force, output = input)
              4  the model file is malformed or uses something nnkit does
                 not support

            ENVIRONMENT
              NNKIT_MEMORY_BUDGET   the most one allocation computed from a file's
                                    claims may take: bytes, or a number with K, M,
                                    G or T (default: half the physical memory, at
                                    least 1G)
              NNKIT_IMPORT_TIMEOUT  seconds the child process that reads a model
                                    other than .nnf may take (default: 60 plus 1
                                    per MiB of the file)
              NNKIT_LIBHDF5         the libhdf5 to load (a path or a library name)
            A value of NNKIT_MEMORY_BUDGET or NNKIT_IMPORT_TIMEOUT that does not
            parse is ignored (the default applies).
            """,
        version: "0.1.0",
        subcommands: [Convert.self, Inspect.self, ImportChild.self]
    )

    static func main() {
        Tool(name: "nnconv", otherwise: .badModel, wording: wording).run(NNConv.self)
    }

    /// The architecture of a weights-only Keras file comes from `--config`.
    @Sendable static func wording(_ error: Error) -> String? {
        guard case .configRequired(let file, let layout) = error as? KerasImportError else { return nil }
        return "\(file): a \(layout) file holds weights only; pass the architecture with --config (the JSON of model.to_json())"
    }
}

func printNotes(_ model: ModelFile) {
    guard let notes = model.metadata.extra["import_notes"] else { return }
    for n in notes.components(separatedBy: "; ") {
        FileHandle.standardError.write(Data("nnconv: note: \(n)\n".utf8))
    }
}
