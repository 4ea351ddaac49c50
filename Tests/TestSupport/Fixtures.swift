import Foundation

/// Locations shared by the test targets.
public enum Fixtures {
    /// The repository root (the folder holding `Package.swift`).
    public static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    /// `fixtures/<relative>` in the repository.
    public static func url(_ relative: String) -> URL { root.appendingPathComponent("fixtures").appendingPathComponent(relative) }

    /// The one folder of this test process under the system temporary directory
    /// (`nnkit-tests-<pid>-<uuid>`), created on first use and removed with everything in it when
    /// the process exits normally (`atexit`), so a test run leaves nothing behind even where a
    /// test does not clean up after itself. A crashed test process leaves it (the name says which).
    private static let processDirectory: URL = {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("nnkit-tests-\(getpid())-\(UUID().uuidString)", isDirectory: true)
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: Fixtures.processDirectory) }
        return url
    }()

    /// A fresh empty directory inside this process's temporary folder (removed at exit).
    public static func temporaryDirectory() throws -> URL {
        let url = processDirectory.appendingPathComponent(UUID().uuidString, isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The folder with the built executables (`nnrun`, `nnconv`, `slow-atomic-writer`): the one
    /// holding the running test bundle, else `.build/debug`. `make test` builds them before testing.
    public static let productsDirectory: URL = {
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<4 {
            if FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent("nnrun").path) { return dir }
            dir.deleteLastPathComponent()
        }
        return root.appendingPathComponent(".build/debug")
    }()
}
