import ArgumentParser
import Foundation
import Format
import Interop

/// `nnconv __import SRC DST.nnf [--config F] [--no-training]`: the child process of an isolated load
/// (hidden). Loads SRC with `ModelLoader.load` (libhdf5 included), writes DST with `NNF.write`
/// (atomic) and prints what SRC was recognised as (`keras3-h5`, `nnf-hdf5`, …) on stdout.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "__import",
        abstract: "Internal: load a model file and write it as .nnf (the child process of an isolated load).",
        shouldDisplay: false)

    @Argument(help: "The model file to read.")
    var source: String

    @Argument(help: "The .nnf file to write.")
    var destination: String

    @OptionGroup var input: InputOptions

    func run() throws {
        let url = URL(fileURLWithPath: source)
        let kind = try ModelLoader.detect(contentsOf: url)
        let model = try ModelLoader.load(contentsOf: url, config: input.configURL, options: input.importOptions)
        do {
            try NNF.write(model, to: URL(fileURLWithPath: destination))
        } catch {
            throw CLIError(message: ExitStatus.describe(error), status: ExitStatus.writeStatus(for: error))
        }
        print(kind.description)
    }
}

/// Loads a model for `convert` and `inspect`: `.nnf` in process, anything else (HDF5-based) in a child
/// `nnconv __import` (``IsolatedImport``), so that libhdf5 crashing or hanging on a crafted file ends in
/// exit 4 with one line naming the file.
/// - Returns: the model and what the file was recognised as (`nnf`, `keras3-h5`, …).
func loadModel(_ path: String, input: InputOptions) throws -> (model: ModelFile, kind: String) {
    let url = URL(fileURLWithPath: path)
    guard IsolatedImport.needsIsolation(url) else {
        let kind = try ModelLoader.detect(contentsOf: url)
        return (try ModelLoader.load(contentsOf: url, config: input.configURL, options: input.importOptions), kind.description)
    }
    var extra: [String] = []
    if let config = input.config { extra += ["--config", config] }
    if input.noTraining { extra.append("--no-training") }
    let child = IsolatedImport(executable: IsolatedImport.currentExecutable(), subcommand: Import.configuration.commandName ?? "__import")
    do {
        let r = try child.load(source: path, arguments: extra)
        return (r.model, r.report)
    } catch let e as IsolatedImportError {
        switch e {
        case .failed(_, let status, _): throw CLIError(message: e.message(strippingPrefix: "nnconv: "), status: status)
        case .cannotRun: throw CLIError(message: e.description, status: ExitStatus.io)
        case .crashed, .timedOut: throw CLIError(message: e.description, status: ExitStatus.badModel)
        }
    }
}
