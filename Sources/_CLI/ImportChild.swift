import ArgumentParser
import Foundation
import Format
import Interop

/// `TOOL __import SRC DST.nnf [--config F] [--no-training]`: the child process of an isolated load
/// (hidden; both tools register it). Loads SRC with `ModelLoader.load` (libhdf5 included), writes DST
/// with `NNF.write` (atomic) and prints what SRC was recognised as (`keras3-h5`, `nnf-hdf5`, …) on
/// stdout. A failure ends with the tool's one line on stderr and its exit status; a crash or hang inside
/// libhdf5 ends only this process, which the parent (``IsolatedImport``) reports as exit 4.
public struct ImportChild: ParsableCommand {
    /// The hidden subcommand's name.
    public static let commandName = "__import"

    public static let configuration = CommandConfiguration(
        commandName: commandName,
        abstract: "Internal: load a model file and write it as .nnf (the child process of an isolated load).",
        shouldDisplay: false)

    @Argument(help: "The model file to read.")
    var source: String

    @Argument(help: "The .nnf file to write.")
    var destination: String

    @OptionGroup var input: ModelInputOptions

    public init() {}

    public func run() throws {
        IsolatedImport.childStarted()  // dies with the parent, taking its temporary directory along
        let url = URL(fileURLWithPath: source)
        let kind = try ModelLoader.detect(contentsOf: url)
        let model = try input.request.load(url)  // copied: it is written out
        do {
            // A private scratch file the parent reads back and deletes: atomic, but not synced to disk
            // (two fsyncs cost 3-20 ms, more than the rest of a small import).
            try NNF.write(model, to: URL(fileURLWithPath: destination), durable: false)
        } catch NNFError.headerWouldBeTooLarge(_, let length, let limit) {
            // Name the user's file, not this child's private temporary output.
            throw ToolFailure(NNFError.headerWouldBeTooLarge(file: source, length: length, limit: limit).description, .badModel)
        } catch {
            throw ToolFailure(Tool.current.describe(error), .writing(error))
        }
        print(kind.description)
    }
}

/// Loads a model file for a command: `.nnf` in process, anything else (HDF5-based) in the tool's
/// ``ImportChild`` process (``IsolatedImport``), so that libhdf5 crashing or hanging on a crafted file
/// ends in exit 4 with one line naming the file.
public enum CommandModelLoader {
    /// - Returns: the model and what the file was recognised as (`nnf`, `keras3-h5`, …, as
    ///   `ModelLoader.Kind.description`).
    /// - Throws: the reader's error for an `.nnf` file; ``ToolFailure`` for anything the child refused
    ///   or did not survive (``IsolatedImportError/failure(tool:)``).
    /// - Parameter whileRunning: work to do while the child runs (``IsolatedImport/load(source:arguments:timeLimit:whileRunning:)``);
    ///   not called for an `.nnf` file, which is read in process.
    public static func load(_ path: String, _ request: ModelRequest = .init(),
                            whileRunning: ((_ childMayStillSucceed: () -> Bool) -> Void)? = nil) throws -> (model: ModelFile, kind: String) {
        let url = URL(fileURLWithPath: path)
        guard IsolatedImport.needsIsolation(url) else {
            return (try request.load(url), ModelLoader.Kind.nnf.description)
        }
        do {
            let result = try Tool.current.isolatedImport.load(source: path, arguments: request.arguments, whileRunning: whileRunning)
            return (result.model, result.report)
        } catch let e as IsolatedImportError {
            throw e.failure(tool: Tool.current.name)
        }
    }
}

extension IsolatedImportError {
    /// The failure as the tool reports it: a child that failed keeps its own message (without its
    /// `tool: ` prefix) and status (``ExitStatus/badModel`` if it is not one of ours); a child that
    /// crashed or hung means a malformed file (4); one that could not be run, an I/O failure (1).
    func failure(tool: String) -> ToolFailure {
        switch self {
        case .failed(_, let status, _): ToolFailure(message(strippingPrefix: tool + ": "), ExitStatus(rawValue: status) ?? .badModel)
        case .crashed, .timedOut: ToolFailure(description, .badModel)
        case .cannotRun: ToolFailure(description, .io)
        }
    }
}
