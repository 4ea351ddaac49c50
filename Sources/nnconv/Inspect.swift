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
        let url = URL(fileURLWithPath: file)
        let kind = try ModelLoader.detect(contentsOf: url)
        let model = try ModelLoader.load(contentsOf: url, config: input.configURL, options: input.importOptions)
        print(ModelReport.text(model, kind: kind, file: file), terminator: "")
    }
}
