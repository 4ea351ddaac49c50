// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "nnkit",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "Format", targets: ["Format"]),
        .library(name: "Runtime", targets: ["Runtime"]),
        .library(name: "Interop", targets: ["Interop"]),
        .library(name: "Tabular", targets: ["Tabular"]),
        .executable(name: "nnconv", targets: ["nnconv"]),
        .executable(name: "nnrun", targets: ["nnrun"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
    ],
    targets: [
        // MARK: - Public API

        /// The `.nnf` container, the model description it carries, and the HDF5 container.
        .target(name: "Format", dependencies: ["_HDF5"]),
        /// Forward, backward and training of sequential models (BLAS-backed).
        .target(name: "Runtime", dependencies: ["Format", "CBLAS"]),
        /// Keras importers and exporters (legacy HDF5, weights-only HDF5, `.keras` archives).
        .target(name: "Interop", dependencies: ["Format", "_HDF5", "CLinux", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
        /// Streaming CSV reading and writing for data files.
        .target(name: "Tabular"),
        /// The logic of the `nnrun` commands (predict streaming, training runs, summaries, plots), testable in process.
        .target(name: "NNRunKit", dependencies: ["Format", "Interop", "Runtime", "Tabular", "_CLI"]),

        // MARK: - Internal wrappers

        /// What both command-line tools share: exit statuses, the top-level error handling, the
        /// isolated import child (`__import`) and the flags that read a model.
        .target(name: "_CLI", dependencies: [
            "Format", "Interop", "Tabular",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        /// Swift ownership of libhdf5 handles; only Format and Interop import it.
        .target(name: "_HDF5", dependencies: ["CHDF5"]),

        // MARK: - C shims

        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        /// prctl(2) for the import child (variadic, so not importable): PR_SET_PDEATHSIG.
        .systemLibrary(name: "CLinux"),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),

        // MARK: - Command-line tools

        .executableTarget(name: "nnconv", dependencies: [
            "Format", "Interop", "_CLI",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "nnrun", dependencies: [
            "Format", "Interop", "Runtime", "Tabular", "NNRunKit", "_CLI",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // MARK: - Tests

        .target(name: "TestSupport", dependencies: ["Format"], path: "Tests/TestSupport"),
        /// A writer that saves through `AtomicFile` slowly, for the test that kills a writer mid-save.
        .executableTarget(name: "slow-atomic-writer", dependencies: ["Format"], path: "Tests/SlowAtomicWriter"),
        .testTarget(name: "FormatTests", dependencies: ["Format", "_HDF5", "TestSupport"]),
        .testTarget(name: "HDF5Tests", dependencies: ["_HDF5", "TestSupport"]),
        .testTarget(name: "RuntimeTests", dependencies: ["Runtime", "Format", "TestSupport", "_HDF5"]),
        .testTarget(name: "InteropTests", dependencies: ["Interop", "Runtime", "Format", "_HDF5", "TestSupport"]),
        .testTarget(name: "TabularTests", dependencies: ["Tabular", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["Format", "Tabular", "TestSupport"]),
    ]
)
