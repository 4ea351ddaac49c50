import ArgumentParser
import Foundation
import Format
import Interop

/// What a command-line tool (`nnrun`, `nnconv`) tells the shared plumbing about itself: its name (the
/// prefix of every error line), the status of errors nothing else classifies, and its own wording for
/// errors whose remedy is one of its flags (the libraries do not know the flags).
public struct Tool: Sendable {
    /// The program name, printed before every error line (`nnrun: …`).
    public var name: String
    /// The exit status of an error that carries none and that ``ExitStatus/reading(_:otherwise:)`` does not know.
    public var otherwise: ExitStatus
    /// The tool's sentence for an error, when it words it differently from the error's description
    /// (for example the flag that supplies a missing Keras architecture); nil keeps the description.
    public var wording: @Sendable (Error) -> String?

    public init(name: String, otherwise: ExitStatus, wording: @escaping @Sendable (Error) -> String? = { _ in nil }) {
        self.name = name
        self.otherwise = otherwise
        self.wording = wording
    }

    /// The running tool, set by ``run(_:)`` before any command runs.
    nonisolated(unsafe) public internal(set) static var current = Tool(name: "nnkit", otherwise: .io)

    /// The one sentence printed for `error` (after `name: `).
    public func describe(_ error: Error) -> String {
        wording(error) ?? String(describing: error)
    }

    /// The child process that loads HDF5-based model files for this tool: this executable's hidden
    /// ``ImportChild`` command.
    public var isolatedImport: IsolatedImport {
        IsolatedImport(executable: IsolatedImport.currentExecutable(), subcommand: ImportChild.commandName)
    }

    /// Parses the command line for `root`, runs the command and exits: 0 on success (help and
    /// `--version` print on standard output), else one line `name: message` on standard error and the
    /// status the error carries (``ExitStatusError``), ``ExitStatus/usage`` for argument errors, or
    /// ``ExitStatus/reading(_:otherwise:)`` for library errors.
    public func run<Root: ParsableCommand>(_ root: Root.Type) -> Never {
        Tool.current = self
        // Start with no blocked signals: a tool spawned from a thread that blocks them (a Dispatch worker,
        // as in a test runner) would otherwise inherit a mask under which SIGTERM cannot end it.
        var none = sigset_t()
        sigemptyset(&none)
        sigprocmask(SIG_SETMASK, &none, nil)
        var command: ParsableCommand
        do {
            command = try root.parseAsRoot()
        } catch {
            root.exitForArgumentError(error)
        }
        do {
            try command.run()
        } catch let e as ExitStatusError {
            fail(describe(e), e.exitStatus)
        } catch where [.success, .validationFailure].contains(root.exitCode(for: error)) {
            // Argument errors thrown while running: `validate()`'s, and `nnrun SUBCOMMAND --help`
            // (parsed as ArgumentParser's own help command, which throws to print its text).
            root.exitForArgumentError(error)
        } catch {
            fail(describe(error), ExitStatus.reading(error, otherwise: otherwise))
        }
        Foundation.exit(ExitStatus.success.rawValue)
    }

    private func fail(_ message: String, _ status: ExitStatus) -> Never {
        // One line, whatever the message quotes from a file: control characters and line breaks escaped.
        FileHandle.standardError.write(Data("\(name): \(TerminalText.escaped(message))\n".utf8))
        Foundation.exit(status.rawValue)
    }
}

extension ParsableCommand {
    /// Help, `--version` and completion scripts ("errors" with status 0) go to standard output with
    /// exit 0; every other argument error to standard error with ``ExitStatus/usage``.
    static func exitForArgumentError(_ error: Error) -> Never {
        if exitCode(for: error) == .success {
            let text = fullMessage(for: error)
            if !text.isEmpty { print(text) }
            Foundation.exit(ExitStatus.success.rawValue)
        }
        FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
        Foundation.exit(ExitStatus.usage.rawValue)
    }
}
