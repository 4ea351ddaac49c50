import ArgumentParser
import Foundation
import Format
import Interop
import Tabular

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

    /// The lines printed for `error`: ``describe(_:)``'s sentence, or for a ``MultiLineError`` (the
    /// list of a CSV file's bad values) its head line and one line per item.
    public func describeLines(_ error: Error) -> [String] {
        if let w = wording(error) { return [w] }
        if let m = error as? MultiLineError { return m.messageLines }
        return [String(describing: error)]
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
            root.exitForArgumentError(error, hint: Self.didYouMean(error, root))
        }
        do {
            try command.run()
        } catch let e as ExitStatusError {
            fail(describeLines(e), e.exitStatus)
        } catch where [.success, .validationFailure].contains(root.exitCode(for: error)) {
            // Argument errors thrown while running: `validate()`'s, and `nnrun SUBCOMMAND --help`
            // (parsed as ArgumentParser's own help command, which throws to print its text).
            root.exitForArgumentError(error, hint: Self.didYouMean(error, root))
        } catch {
            fail(describeLines(error), ExitStatus.reading(error, otherwise: otherwise))
        }
        Foundation.exit(ExitStatus.success.rawValue)
    }

    /// "Did you mean …?" for a mistyped subcommand (`nnrun tran`) or option (`--epoch`): the nearest
    /// visible subcommand or option name of the command, when one is close. For a failed check
    /// (`validate()`), which ArgumentParser reports before unknown options, the first unknown
    /// option of the command line with its nearest name.
    static func didYouMean<Root: ParsableCommand>(_ error: Error, _ root: Root.Type) -> String? {
        let message = root.message(for: error)
        let args = Array(CommandLine.arguments.dropFirst())
        let subcommands = root.configuration.subcommands.filter { $0.configuration.shouldDisplay }
        func name(_ c: ParsableCommand.Type) -> String { c.configuration.commandName ?? String(describing: c).lowercased() }
        if message.contains("nexpected argument"), let first = args.first, !first.hasPrefix("-"),
           !subcommands.map(name).contains(first), let near = nearest(first, in: subcommands.map(name)) {
            return "Did you mean '\(near)'?"
        }
        let command: ParsableCommand.Type = args.first.flatMap { a in subcommands.first { name($0) == a } } ?? root
        // The command's long options, from its help text.
        let help = command.helpMessage(columns: 10_000)
        var options: [String] = []
        var rest = Substring(help)
        while let r = rest.range(of: "--") {
            let word = rest[r.lowerBound...].prefix { $0 == "-" || $0.isLetter || $0.isNumber }
            if word.count > 2, !options.contains(String(word)) { options.append(String(word)) }
            rest = rest[r.upperBound...]
        }
        guard let range = message.range(of: "Unknown option '") else {
            // ArgumentParser reports a failed check (`--target is required`) before an unknown option,
            // which may be the mistyped flag that check misses (`--taget y`): name it too.
            guard root.exitCode(for: error) == .validationFailure else { return nil }
            let words = args.prefix { $0 != "--" }.map { String($0.prefix { $0 != "=" }) }
            guard let unknown = words.first(where: { $0.hasPrefix("--") && $0.count > 2 && !options.contains($0) }) else { return nil }
            return "Unknown option '\(unknown)'." + (nearest(unknown, in: options).map { " Did you mean '\($0)'?" } ?? "")
        }
        guard !message.contains("Did you mean") else { return nil }
        let option = String(message[range.upperBound...].prefix { $0 != "'" })
        return nearest(option, in: options).map { "Did you mean '\($0)'?" }
    }

    /// The candidate nearest to `word` (edit distance with transpositions, at most a third of its length).
    static func nearest(_ word: String, in candidates: [String]) -> String? {
        func distance(_ a: [Character], _ b: [Character]) -> Int {
            if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
            var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
            for i in 0...a.count { d[i][0] = i }
            for j in 0...b.count { d[0][j] = j }
            for i in 1...a.count {
                for j in 1...b.count {
                    d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                    if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
                }
            }
            return d[a.count][b.count]
        }
        let w = Array(word.lowercased()), limit = min(3, max(1, w.count / 3))
        return candidates.map { ($0, distance(w, Array($0.lowercased()))) }.filter { $0.1 <= limit }.min { $0.1 < $1.1 }?.0
    }

    private func fail(_ lines: [String], _ status: ExitStatus) -> Never {
        writeErrorLines(lines)
        Foundation.exit(status.rawValue)
    }

    /// Writes `name: message` to standard error as one line in one `write` (control characters
    /// and line breaks the message quotes from a file escaped), the form of every error line.
    public func writeErrorLine(_ message: String) {
        writeErrorLines([message])
    }

    /// Writes `name: first` and then each further line as it is, in one `write`; every line is escaped
    /// on its own (``TerminalText``), so only the breaks between `lines` reach the terminal.
    public func writeErrorLines(_ lines: [String]) {
        guard let first = lines.first else { return }
        let text = (["\(name): \(TerminalText.escaped(first))"] + lines.dropFirst().map(TerminalText.escaped)).joined(separator: "\n")
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

/// An error whose message is several lines by design (a head line and a list), each printed as
/// its own line by ``Tool/writeErrorLines(_:)``; any other error is one line.
public protocol MultiLineError: Error {
    /// The message's lines, without line breaks of their own.
    var messageLines: [String] { get }
}

extension CSVError: MultiLineError {
    public var messageLines: [String] { lines }
}

extension ParsableCommand {
    /// Help, `--version` and completion scripts ("errors" with status 0) go to standard output with
    /// exit 0; every other argument error to standard error with ``ExitStatus/usage``.
    static func exitForArgumentError(_ error: Error, hint: String? = nil) -> Never {
        if exitCode(for: error) == .success {
            let text = fullMessage(for: error)
            if !text.isEmpty { print(text) }
            Foundation.exit(ExitStatus.success.rawValue)
        }
        var text = fullMessage(for: error)
        if let hint {
            // After the "Error: …" line, before the usage lines.
            var lines = text.components(separatedBy: "\n")
            lines.insert(hint, at: min(1, lines.count))
            text = lines.joined(separator: "\n")
        }
        FileHandle.standardError.write(Data((text + "\n").utf8))
        Foundation.exit(ExitStatus.usage.rawValue)
    }
}
