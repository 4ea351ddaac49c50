import ArgumentParser
import NNRunKit

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a Keras-style summary of a model file.",
        discussion: "Layers with output shapes and parameter counts, totals, container format and version, metadata, training state and every stored tensor with its dtype and shape (as nnconv inspect). Reading an .nnf file verifies its CRC-32C checksums.")

    @Argument(help: "The model file.")
    var model: String

    func run() throws {
        print(try InspectCommand.render(modelPath: model), terminator: "")
    }
}
