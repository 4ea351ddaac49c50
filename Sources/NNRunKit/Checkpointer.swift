import Foundation
import Format
import Interop

/// When `nnrun train` writes its output during a run, and the writing itself (atomic, via
/// ``ModelIO/save(_:to:)``, so the file is always a complete model).
///
/// After each epoch a checkpoint is written when `interval` seconds have passed since the last
/// one, and always after the first epoch; `interval` 0 (`nnrun train`'s default) writes after every
/// epoch. A longer interval exists because each write ends with an fsync: 1000 XOR epochs (batch 4)
/// take 1.3–1.5 s with a write after every epoch and 0.01–0.03 s with an interval longer than the run
/// (release build, AMD EPYC, ext4, load 3.5; slower disks make the difference larger). Whoever ends
/// the run calls ``save(_:)`` for the final model (see ``isSaved(_:)``).
struct Checkpointer {
    /// The output file.
    let output: OutputFile
    /// The output path as the user gave it.
    var path: String { output.path }
    /// Its format (from the extension, ``ModelIO/outputFormat(for:)``).
    let format: ModelSaveFormat
    /// Least seconds between two epoch checkpoints; 0: every epoch.
    let interval: Double
    /// `TrainingState.epochs` of the model last written, nil before the first write.
    private(set) var savedEpochs: Int?
    private var lastSave: Date?

    init(output: OutputFile, format: ModelSaveFormat = .nnf, interval: Double) {
        self.output = output
        self.format = format
        self.interval = interval
    }

    /// After an epoch: writes `model()` when the interval has passed (or nothing was written yet).
    /// - Throws: ``NNRunError`` from ``ModelIO/save(_:to:)``.
    mutating func epochEnded(_ model: () -> ModelFile) throws {
        if let lastSave, interval > 0, Date().timeIntervalSince(lastSave) < interval { return }
        try save(model())
    }

    /// Writes `file` now.
    /// - Throws: ``NNRunError`` from ``ModelIO/save(_:to:)``.
    mutating func save(_ file: ModelFile) throws {
        try ModelIO.save(file, to: output, format: format)
        lastSave = Date()
        savedEpochs = file.training?.epochs
    }

    /// Whether the last write was the end of the epoch `file` records (so writing `file` again
    /// would change nothing, unless weights were replaced after that epoch).
    func isSaved(_ file: ModelFile) -> Bool {
        savedEpochs != nil && savedEpochs == file.training?.epochs
    }
}
