import Foundation
import Testing
import TestSupport

/// The time limits of the process-spawning helpers themselves: a hang fails fast, with a message.
@Suite struct CommandRunnerTests {
    @Test func aChildThatOutlivesItsLimitIsKilledAndTheRunThrows() throws {
        let start = Date()
        #expect(throws: ChildTimeout.self) {
            try CommandRunner.run(URL(fileURLWithPath: "/bin/sleep"), ["30"], timeout: 0.5)
        }
        #expect(Date().timeIntervalSince(start) < 10)
    }

    @Test func waitingForTextThatNeverComesEndsAtTheLimit() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "echo started >&2; exec sleep 30"]
        let err = Pipe()
        p.standardError = err
        try p.run()
        let collector = ChildProcess.PipeCollector(err)
        // The child's first line first: on a loaded machine starting sh can take longer than the
        // 0.5 s limit below, which would then end with no text at all.
        #expect(collector.wait(until: { $0.contains("started") }, timeout: 60) == "started\n")
        let start = Date()
        let text = collector.wait(until: { $0.contains("Epoch 20/") }, timeout: 0.5)
        #expect(Date().timeIntervalSince(start) < 10)
        #expect(text == "started\n")
        #expect(!ChildProcess.waitForExit(p, timeout: 0.2))  // still running: killed
        #expect(p.terminationReason == .uncaughtSignal && p.terminationStatus == SIGKILL)
    }
}
