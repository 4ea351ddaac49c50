import ArgumentParser
import Foundation
import Format
import Interop

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a model file's layout, layers, tensors, metadata and training state."
    )

    @Argument(help: "The model file to inspect.")
    var file: String

    @OptionGroup var input: InputOptions

    func run() throws {
        let (model, kind) = try loadModel(file, input: input)
        print(ModelReport.text(model, kind: kind, file: file), terminator: "")
    }
}
