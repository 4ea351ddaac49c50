import ArgumentParser
import Foundation
import Format
import Interop
import _CLI

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a model file's format, layers, parameters, metadata, training state and tensors (as `nnrun inspect`)."
    )

    @Argument(help: "The model file to inspect.")
    var file: String

    @OptionGroup var input: ModelInputOptions

    func run() throws {
        let (model, kind) = try CommandModelLoader.load(file, input.request)
        let name = file.split(separator: "/").last.map(String.init) ?? file
        let format = ModelSummary.format(of: file, kind: kind)
        print(try ModelSummary.render(model, name: name, format: format, checksummed: kind == ModelLoader.Kind.nnf.description), terminator: "")
    }
}
