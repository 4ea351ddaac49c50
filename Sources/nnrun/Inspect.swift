import ArgumentParser
import NNRunKit

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a Keras-style summary of a model file.",
        discussion: "Layers with output shapes and parameter counts, totals, container format and version, metadata and training state. Reading the file verifies its checksums.")

    @Argument(help: "The model file.")
    var model: String

    func run() throws {
        print(try InspectCommand.render(modelPath: model), terminator: "")
    }
}
