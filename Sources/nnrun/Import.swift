import ArgumentParser
import Foundation
import Format
import NNRunKit

/// `nnrun __import SRC DST.nnf`: the child process of an isolated load (hidden). Loads SRC in process
/// (`ModelIO.loadInProcess`, libhdf5 included), writes DST with `NNF.write` (atomic) and prints what
/// SRC was recognised as on stdout. Failures end
/// with the usual one line on stderr and exit status; a crash or hang inside libhdf5 ends only this
/// process, which the parent (`ModelIO.load`) reports as exit 4.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "__import",
        abstract: "Internal: load a model file and write it as .nnf (the child process of an isolated load).",
        shouldDisplay: false)

    @Argument(help: "The model file to read.")
    var source: String

    @Argument(help: "The .nnf file to write.")
    var destination: String

    func run() throws {
        let file = try ModelIO.loadInProcess(source)
        try ModelIO.save(file, to: destination)
        // What the file was recognised as, for `nnrun inspect` in the parent (which then never opens
        // the file with libhdf5 itself).
        if let kind = ModelIO.containerDescription(source) { print(kind) }
    }
}
