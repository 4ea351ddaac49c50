/// A Keras layer's `config` object, read with the rules every layer kind's parser shares
/// (``LayerKind/init(keras:config:)``): absent and `null` mean the default, numbers must be finite,
/// `axis` must be the feature axis, activations may be strings or serialized dicts.
public struct KerasLayerConfig: Sendable {
    /// The `config` object.
    public let json: JSONValue
    /// The Keras that wrote it, 2 or 3 (decides Keras 2 only semantics, e.g. `hard_sigmoid`).
    public let kerasMajor: Int

    public init(_ json: JSONValue, kerasMajor: Int) {
        self.json = json
        self.kerasMajor = kerasMajor
    }

    public subscript(key: String) -> JSONValue? { json[key] }

    /// Activations a configuration may name: nnkit's own names and Keras' aliases.
    public static let supportedActivations = ActivationName.kerasNames

    /// An option with a value the runtime does not implement.
    public func option(_ key: String, _ value: JSONValue?, _ supported: String) -> KerasConfigIssue {
        .unsupportedOption(option: key, value: value?.text ?? "(missing)", supported: supported)
    }

    /// `key` must be absent or null (or 0 with `allowZero`).
    public func requireNull(_ key: String, allowZero: Bool = false) throws(KerasConfigIssue) {
        guard let v = json[key], !v.isNull else { return }
        if allowZero, v.int == 0 { return }
        throw option(key, v, "null")
    }

    /// A finite number, or `d` when absent or null.
    public func number(_ key: String, default d: Double) throws(KerasConfigIssue) -> Double {
        guard let v = json[key], !v.isNull else { return d }
        guard let x = v.double, x.isFinite else { throw option(key, v, "a finite number") }
        return x
    }

    /// A boolean, or `d` when absent or null.
    public func bool(_ key: String, default d: Bool) throws(KerasConfigIssue) -> Bool {
        guard let v = json[key], !v.isNull else { return d }
        guard let b = v.bool else { throw option(key, v, "true or false") }
        return b
    }

    /// `axis` must name the feature axis of 2-D data: -1, 1, [-1] or [1] (or be absent).
    public func lastAxis(_ key: String) throws(KerasConfigIssue) {
        guard let v = json[key] else { return }
        let axes = v.array ?? [v]
        guard axes.count == 1, let a = axes[0].int, a == -1 || a == 1 else { throw option(key, v, "-1 (the last axis of [batch, features])") }
    }

    /// Parses an activation given as a string or a serialized dict; absent or null is `linear`.
    public func activation(_ key: String) throws(KerasConfigIssue) -> ActivationName {
        guard let v = json[key], !v.isNull else { return .linear }
        var spelled: String
        if let s = v.string {
            spelled = s
        } else if let s = v["config"]?.string {
            spelled = s  // {"module": "keras.activations", "class_name": "function", "config": "relu"}
        } else if let c = v["class_name"]?.string, v["config"]?.object?.keys.isEmpty ?? true {
            spelled = KerasNaming.snakeCase(c)
        } else {
            throw .unsupportedActivation(activation: v.text, supported: Self.supportedActivations)
        }
        if spelled.hasPrefix("keras.activations.") { spelled = String(spelled.dropFirst("keras.activations.".count)) }
        guard let a = ActivationName(keras: spelled) else {
            throw .unsupportedActivation(activation: spelled, supported: Self.supportedActivations)
        }
        if kerasMajor < 3, case .differs(let keras2, let keras3) = a.keras2 {
            throw .unsupportedActivation(activation: "\(spelled) as Keras 2 defines it (\(keras2), unlike Keras 3's \(keras3))",
                                         supported: Self.supportedActivations.filter { ActivationName(keras: $0) != a })
        }
        return a
    }
}

/// What is wrong with a Keras layer configuration; the importer adds the file, layer index and name.
public enum KerasConfigIssue: Error, Equatable, Sendable {
    /// `option` has a value the runtime does not implement.
    case unsupportedOption(option: String, value: String, supported: String)
    /// An activation the runtime does not implement (or implements with other semantics).
    case unsupportedActivation(activation: String, supported: [String])
}
