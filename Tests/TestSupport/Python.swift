import Foundation

/// The pinned Python environment of `fixtures/venv.sh` (Keras 3, tf_keras, TensorFlow), for tests
/// that check files nnkit writes with real Keras.
///
/// These tests must not be skipped when Python is missing: ``venvInterpreter()`` throws a
/// ``PythonError`` that says what failed and how to fix it, and the test fails with it.
public enum Python {
    nonisolated(unsafe) private static var cached: Result<URL, PythonError>?
    private static let lock = NSLock()

    /// The venv's `bin/python`. Runs `bash fixtures/venv.sh` once per test process (creating the
    /// venv on first use, which needs network access to PyPI) and caches the answer, success or failure.
    /// - Throws: ``PythonError`` when bash or Python is missing or the venv cannot be created.
    public static func venvInterpreter() throws -> URL {
        lock.lock()
        defer { lock.unlock() }
        if let cached { return try cached.get() }
        let result: Result<URL, PythonError>
        do {
            let r = try run(URL(fileURLWithPath: "/usr/bin/env"), ["bash", Fixtures.url("venv.sh").path], timeout: 3600)
            let path = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let python = URL(fileURLWithPath: path).appendingPathComponent("bin/python")
            if r.status == 0, !path.isEmpty, FileManager.default.isExecutableFile(atPath: python.path) {
                result = .success(python)
            } else {
                result = .failure(PythonError("fixtures/venv.sh failed (exit status \(r.status)); the interop tests need python3 with the venv module "
                    + "and access to PyPI to create the pinned venv. Last output: \(String(r.stderr.suffix(1500)))"))
            }
        } catch let e as PythonError {
            result = .failure(e)
        } catch {
            result = .failure(PythonError("cannot run bash fixtures/venv.sh: \(error)"))
        }
        cached = result
        return try result.get()
    }

    /// The output of a finished process.
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs the venv's Python with `arguments` (script path first) and waits for it.
    public static func runVenv(_ arguments: [String], timeout: TimeInterval = 600) throws -> Output {
        try run(try venvInterpreter(), arguments, timeout: timeout)
    }

    /// Runs `executable` with `arguments`, collecting stdout and stderr (through temporary files, so
    /// a chatty process cannot block on a full pipe).
    /// - Throws: ``PythonError`` when the process cannot start or exceeds `timeout` seconds (it is then terminated).
    public static func run(_ executable: URL, _ arguments: [String], timeout: TimeInterval) throws -> Output {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let outURL = dir.appendingPathComponent("stdout"), errURL = dir.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        defer { try? out.close(); try? err.close() }
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        var env = ProcessInfo.processInfo.environment
        env["TF_CPP_MIN_LOG_LEVEL"] = "3"
        p.environment = env
        do { try p.run() } catch {
            throw PythonError("cannot start \(executable.path) \(arguments.joined(separator: " ")): \(error)")
        }
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning {
            if Date() > deadline {
                p.terminate()
                p.waitUntilExit()
                throw PythonError("\(executable.lastPathComponent) \(arguments.first ?? "") did not finish within \(Int(timeout)) s")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        p.waitUntilExit()
        let stdout = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        return Output(status: p.terminationStatus, stdout: stdout, stderr: stderr)
    }
}

/// Why the Python environment could not be used.
public struct PythonError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
