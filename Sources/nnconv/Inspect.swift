import ArgumentParser
import Foundation
import Format
import Interop
import _CLI

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a model file's layout, layers, tensors, metadata and training state."
    )

    @Argument(help: "The model file to inspect.")
    var file: String

    @OptionGroup var input: ModelInputOptions

    func run() throws {
        let (model, kind) = try CommandModelLoader.load(file, input.request)
        print(ModelReport.text(model, kind: kind, file: file), terminator: "")
    }
}
