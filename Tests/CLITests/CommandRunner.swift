import Foundation
import TestSupport

/// Runs the built command-line tools as child processes and captures what they print.
struct CommandRunner {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        /// Peak resident memory of the child (VmHWM), in kB, when measured.
        var peakKB: Int?
    }

    /// The folder with the built products (see ``Fixtures/productsDirectory``).
    static var binDirectory: URL { Fixtures.productsDirectory }

    static func tool(_ name: String) -> URL { binDirectory.appendingPathComponent(name) }

    /// Runs `nnrun` with `arguments`; `stdin` is written to its standard input (then closed).
    @discardableResult
    static func nnrun(_ arguments: [String], stdin: String? = nil, cwd: URL? = nil) throws -> Result {
        try run(tool("nnrun"), arguments, stdin: stdin.map { Data($0.utf8) }, cwd: cwd)
    }

    static func run(_ executable: URL, _ arguments: [String], stdin: Data? = nil, cwd: URL? = nil) throws -> Result {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        if let cwd { p.currentDirectoryURL = cwd }
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = stdin == nil ? FileHandle.nullDevice : inp
        try p.run()
        // Read both pipes concurrently so a full pipe never blocks the child.
        nonisolated(unsafe) var outData = Data(), errData = Data()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { outData = out.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: group) { errData = err.fileHandleForReading.readDataToEndOfFile() }
        if let stdin {
            try? inp.fileHandleForWriting.write(contentsOf: stdin)
            try? inp.fileHandleForWriting.close()
        }
        group.wait()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self), peakKB: nil)
    }

    /// Runs `nnrun` feeding `rows` generated lines to its standard input while counting (not
    /// keeping) the output lines, and samples the child's peak resident memory.
    static func nnrunStreaming(_ arguments: [String], header: String, rows: Int, row: (Int) -> String) throws -> (result: Result, outputLines: Int) {
        let p = Process()
        p.executableURL = tool("nnrun")
        p.arguments = arguments
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = inp
        try p.run()
        let pid = p.processIdentifier
        nonisolated(unsafe) var lines = 0
        nonisolated(unsafe) var errData = Data()
        nonisolated(unsafe) var peak = 0
        nonisolated(unsafe) var running = true
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            let h = out.fileHandleForReading
            while true {
                let d = h.availableData
                if d.isEmpty { break }
                for b in d where b == 0x0A { lines += 1 }
            }
        }
        DispatchQueue.global().async(group: group) { errData = err.fileHandleForReading.readDataToEndOfFile() }
        let sampler = Thread {
            while running {
                if let s = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                   let line = s.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
                   let kb = Int(line.split(separator: " ").dropFirst().first ?? "") {
                    peak = max(peak, kb)
                }
                usleep(20_000)
            }
        }
        sampler.start()
        let w = inp.fileHandleForWriting
        var chunk = header + "\n"
        for i in 0..<rows {
            chunk += row(i)
            chunk += "\n"
            if chunk.utf8.count > 1 << 16 {
                try w.write(contentsOf: Data(chunk.utf8))
                chunk = ""
            }
        }
        try w.write(contentsOf: Data(chunk.utf8))
        try w.close()
        group.wait()
        p.waitUntilExit()
        running = false
        return (Result(status: p.terminationStatus, stdout: "", stderr: String(decoding: errData, as: UTF8.self), peakKB: peak), lines)
    }
}
