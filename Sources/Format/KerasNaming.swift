/// Keras' naming rules, shared by the HDF5 container's writer (Format) and the Keras importer and
/// exporter (Interop).
public enum KerasNaming {
    /// Keras' `to_snake_case`: `BatchNormalization` → `batch_normalization`, `ReLU` → `re_lu`,
    /// `ELU` → `elu`, `LeakyReLU` → `leaky_re_lu`.
    public static func snakeCase(_ name: String) -> String {
        // Mirrors: re.sub(r"\W+", "", n); re.sub("(.)([A-Z][a-z]+)", r"\1_\2", n); re.sub("([a-z])([A-Z])", r"\1_\2", n).lower()
        let chars = Array(name.filter { $0.isLetter || $0.isNumber || $0 == "_" })
        func isUpper(_ c: Character) -> Bool { c.isASCII && c.isUppercase }
        func isLower(_ c: Character) -> Bool { c.isASCII && c.isLowercase }
        // Pass 1: an underscore before every uppercase letter that starts an "Xyy…" word (not at position 0).
        var pass1: [Character] = []
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if i > 0, isUpper(c), i + 1 < chars.count, isLower(chars[i + 1]) { pass1.append("_") }
            pass1.append(c)
            i += 1
        }
        // Pass 2: an underscore between a lowercase letter and an uppercase letter.
        var pass2: [Character] = []
        for (j, c) in pass1.enumerated() {
            if j > 0, isLower(pass1[j - 1]), isUpper(c) { pass2.append("_") }
            pass2.append(c)
        }
        return String(pass2).lowercased()
    }

    /// The name of the Keras `InputLayer` both exporters write: the first layer's name when it is an
    /// `input` layer, else `input_layer`, made unique among the Keras layers' names `used`
    /// (``UniqueNames``).
    public static func inputLayerName(of model: ModelDescription, avoiding used: [String]) -> String {
        var names = UniqueNames()
        for n in used { _ = names.claim(n, fallback: n) }
        if let first = model.layers.first, case .input = first.kind {
            return names.claim(first.name, fallback: "input_layer")
        }
        return names.claim("input_layer", fallback: "input_layer")
    }

    /// Keras 3's weight-file keys for layers of these classes, in model order: the snake_case class
    /// name, then `_1`, `_2`, … for later layers of the same class (`dense`, `dense_1`,
    /// `batch_normalization`), as `layers/<key>/vars` in `.weights.h5` and `.keras` archives.
    public static func keras3Keys(classNames: [String]) -> [String] {
        var used: [String: Int] = [:]
        return classNames.map { cls in
            let base = snakeCase(cls)
            guard let n = used[base] else { used[base] = 0; return base }
            used[base] = n + 1
            return "\(base)_\(n + 1)"
        }
    }
}

/// Makes layer names unique and safe as HDF5 group names and Keras layer names: `/` becomes `_`; an
/// empty name, `.` or `..` becomes the fallback (the layer kind); a name already taken gets `_1`,
/// `_2`, … appended to it.
public struct UniqueNames: Sendable {
    private var used: Set<String> = []

    public init() {}

    /// Reserves and returns the unique form of `raw`.
    public mutating func claim(_ raw: String, fallback: String) -> String {
        var base = raw.replacingOccurrences(of: "/", with: "_")
        if base.isEmpty || base == "." || base == ".." { base = fallback }
        var name = base
        var n = 1
        while used.contains(name) {
            name = "\(base)_\(n)"
            n += 1
        }
        used.insert(name)
        return name
    }
}
