import Foundation
import Testing
import TestSupport

/// What `--help` states that a run can check: the environment variables and the keys bench prints.
@Suite final class HelpTextCLITests {
    let dir: URL
    init() throws { dir = try Fixtures.temporaryDirectory() }
    deinit { try? FileManager.default.removeItem(at: dir) }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    /// `nnrun` with `variables` set in its environment.
    func nnrun(_ variables: [String: String], _ arguments: [String]) throws -> CommandRunner.Result {
        try CommandRunner.run(URL(fileURLWithPath: "/usr/bin/env"),
                              variables.map { "\($0)=\($1)" } + [CommandRunner.tool("nnrun").path] + arguments)
    }

    /// The environment variables as `--help` states them: a memory budget too small for a batch is a
    /// usage error naming the variable, a value that does not parse is ignored (the default applies),
    /// as are an NNKIT_THREADS, NNKIT_IMPORT_TIMEOUT or NNKIT_CSV_PATH that do not parse.
    @Test func environmentVariablesThatDoNotParseAreIgnored() throws {
        let model = try CommandRunner.initModel(in: dir, inputs: 2, layers: "1:sigmoid")
        let data = path("d.csv")
        try Data("0,1\n1,1\n".utf8).write(to: URL(fileURLWithPath: data))
        let plain = try CommandRunner.nnrun(["predict", model, data])
        #expect(plain.status == 0, "\(plain.stderr)")
        let tight = try nnrun(["NNKIT_MEMORY_BUDGET": "1K"], ["predict", model, data])
        #expect(tight.status == 2 && tight.stderr.contains("NNKIT_MEMORY_BUDGET"), "\(tight.stderr)")
        for (name, value) in [("NNKIT_MEMORY_BUDGET", "lots"), ("NNKIT_MEMORY_BUDGET", "-5"), ("NNKIT_MEMORY_BUDGET", "99999999999T"),
                              ("NNKIT_THREADS", "0"), ("NNKIT_THREADS", "many"), ("NNKIT_CSV_PATH", "avx1024")] {
            let r = try nnrun([name: value], ["predict", model, data])
            #expect(r.status == 0 && r.stdout == plain.stdout, "\(name)=\(value): \(r.stderr)")
        }
        let keras = try nnrun(["NNKIT_IMPORT_TIMEOUT": "soon"], ["predict", Fixtures.url("keras/xor/k3.keras").path, data])
        #expect(keras.status == 0, "\(keras.stderr)")
        let help = try CommandRunner.nnrun(["--help"])
        for name in ["NNKIT_THREADS", "NNKIT_MEMORY_BUDGET", "NNKIT_IMPORT_TIMEOUT", "NNKIT_CSV_PATH", "NNKIT_LIBHDF5", "NNKIT_MPI_LIBRARY"] {
            #expect(help.stdout.contains(name), "nnrun --help does not name \(name)")
        }
    }

    /// `nnrun bench --help` names every key of the JSON object bench prints, with and without --csv,
    /// and no key it does not print.
    @Test func benchHelpNamesExactlyTheKeysItPrints() throws {
        let model = try CommandRunner.initModel(in: dir, inputs: 2, layers: "3:relu,1")
        let data = path("d.csv")
        try Data("a,b\n0,1\n1,1\n".utf8).write(to: URL(fileURLWithPath: data))
        func keys(_ arguments: [String]) throws -> Set<String> {
            let r = try CommandRunner.nnrun(["bench", model] + arguments)
            #expect(r.status == 0, "\(r.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            return Set(object.keys)
        }
        let predicting = try keys(["--rows", "64"]), reading = try keys(["--csv", data])
        let help = try CommandRunner.nnrun(["bench", "--help"]).stdout.replacingOccurrences(of: "\n", with: " ")
        let overview = try #require(help.components(separatedBy: "USAGE:").first)
        let words = Set(overview.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }).map(String.init))
        let snakeCase = words.filter { $0.contains("_") && $0 == $0.lowercased() }
        let printed = predicting.union(reading)
        #expect(printed.subtracting(words).isEmpty, "printed but not in --help: \(printed.subtracting(words).sorted())")
        #expect(snakeCase.subtracting(printed).isEmpty, "in --help but not printed: \(snakeCase.subtracting(printed).sorted())")
    }
}
