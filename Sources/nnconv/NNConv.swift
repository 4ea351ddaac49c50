import ArgumentParser
import Foundation
import Format
import Interop

/// `nnconv`: converts model files between `.nnf`, the nnkit HDF5 container and Keras' layouts,
/// and shows what a model file holds. All logic lives in `Interop` and `Format`.
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
              1  an input or output file could not be read or written (missing file, permissions, disk full)
              2  usage error (bad arguments, unknown output extension, output exists without --force)
              4  the model file is malformed or uses something nnkit does not support
            """,
        subcommands: [Convert.self, Inspect.self, Import.self]
    )

    /// Parses, runs and maps every failure to the documented exit status, printing one sentence to stderr.
    static func main() {
        let command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(ExitStatus.usage)
        }
        do {
            var c = command
            try c.run()
        } catch let e as CLIError {
            fail(e.message, e.status)
        } catch {
            if exitCode(for: error) == .success {  // help requested (CleanExit)
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            fail(ExitStatus.describe(error), ExitStatus.status(for: error))
        }
        Foundation.exit(0)
    }

    static func fail(_ message: String, _ status: Int32) -> Never {
        FileHandle.standardError.write(Data("nnconv: \(message)\n".utf8))
        Foundation.exit(status)
    }
}

/// A failure the commands detect themselves (usage problems found after parsing).
struct CLIError: Error {
    var message: String
    var status: Int32
}

/// Options shared by the commands that read a model.
struct InputOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Keras architecture JSON (model.to_json()) for weights-only Keras files.", valueName: "config.json"))
    var config: String?

    @Flag(name: .long, help: "Import only the model, not the loss, optimizer and optimizer state.")
    var noTraining = false

    var configURL: URL? { config.map { URL(fileURLWithPath: $0) } }
    var importOptions: KerasImporter.Options { .init(includeTraining: !noTraining) }
}

func printNotes(_ model: ModelFile) {
    guard let notes = model.metadata.extra["import_notes"] else { return }
    for n in notes.components(separatedBy: "; ") {
        FileHandle.standardError.write(Data("nnconv: note: \(n)\n".utf8))
    }
}
