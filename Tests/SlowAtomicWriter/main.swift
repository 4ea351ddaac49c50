// Test helper for AtomicSaveTests.writerKilledMidSaveLeavesTheOldFileLoadable: the process the test
// kills with SIGKILL in the middle of a save.
//
// Usage: slow-atomic-writer TARGET
// Saves a new 16 MiB model over TARGET through `AtomicFile.replace`, in 256 KiB pieces 40 ms apart;
// after the first piece it creates `started` beside TARGET. It then sleeps a minute before it would
// rename, so the kill always lands before the rename.
import Foundation
import Format

guard CommandLine.arguments.count == 2 else {
    FileHandle.standardError.write(Data("usage: slow-atomic-writer TARGET\n".utf8))
    exit(2)
}
let url = URL(fileURLWithPath: CommandLine.arguments[1])
let big = ModelFile(model: ModelDescription(inputWidth: 2048, layers: [LayerSpec(name: "d", kind: .dense(Dense(units: 2048, useBias: false)))]),
                    tensors: [NamedTensor(name: "layers.0.kernel", tensor: Tensor(shape: [2048, 2048], values: Array(repeating: 0.5, count: 2048 * 2048)))])
do {
    let bytes = try NNF.encode(big)
    try AtomicFile.replace(at: url) { temp in
        let handle = try FileHandle(forWritingTo: temp)
        defer { try? handle.close() }
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + (256 << 10), bytes.count)
            try handle.write(contentsOf: bytes[offset..<end])
            if offset == 0 {
                try Data().write(to: url.deletingLastPathComponent().appendingPathComponent("started"))
            }
            offset = end
            usleep(40_000)
        }
        sleep(60)
    }
} catch {
    FileHandle.standardError.write(Data("slow-atomic-writer: \(error)\n".utf8))
    exit(1)
}
