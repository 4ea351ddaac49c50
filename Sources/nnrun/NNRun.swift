import ArgumentParser
import Foundation
import Interop
import NNRunKit

/// `nnrun`: predict, train, evaluate, create, inspect and benchmark models from the command line.
@main
struct NNRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nnrun",
        abstract: "Run, train and inspect small sequential neural networks stored as .nnf or Keras files.",
        discussion: """
        MODEL arguments may be .nnf files, nnkit HDF5 containers, or Keras .h5/.keras files (detected \
        from their content). Data files are CSV with an optional header row; comma, semicolon or tab \
        delimited (detected). `-` means standard input or standard output. Progress and errors go to \
        standard error; data goes to standard output or the -o file.

        Exit status: 0 success; 1 other I/O failure; 2 usage error; 3 bad input data (CSV); \
        4 bad or unsupported model file; 5 training diverged; 130 interrupted (Ctrl-C).
        """,
        version: "0.1.0",
        subcommands: [Predict.self, Train.self, Evaluate.self, Init.self, Inspect.self, Bench.self, Import.self]
    )

    /// Parses, runs, and maps every failure to its documented exit status with a one-line message on stderr.
    static func main() {
        // HDF5-based model files are parsed in a child (`nnrun __import`), so libhdf5 crashing or
        // hanging on a crafted file ends in exit 4, not in a crash of this process.
        ModelIO.isolation = IsolatedImport(executable: IsolatedImport.currentExecutable(), subcommand: Import.configuration.commandName ?? "__import")
        var command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            // Help, version and completion scripts are "errors" with exit status 0.
            if exitCode(for: error) == .success { exit(withError: error) }
            let message = fullMessage(for: error)
            FileHandle.standardError.write(Data((message + "\n").utf8))
            Foundation.exit(2)
        }
        do {
            try command.run()
        } catch let e as ExitCode {
            Foundation.exit(e.rawValue)
        } catch where String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") {
            // `nnrun SUBCOMMAND --help` arrives here: help exits 0 on stdout, parse errors exit 2.
            if exitCode(for: error) == .success { exit(withError: error) }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(2)
        } catch {
            let e = NNRunError.classify(error)
            FileHandle.standardError.write(Data("nnrun: \(e)\n".utf8))
            Foundation.exit(e.exitCode)
        }
    }
}
