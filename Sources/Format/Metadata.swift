/// Descriptive strings carried with a model. All fields are optional.
public struct Metadata: Codable, Sendable, Equatable {
    /// The program that created the model, kept by conversion and training: `nnrun 0.1.0` after
    /// `nnrun init`, `Keras 3.15.1` for a model imported from Keras.
    public var producer: String?
    /// Format the model was converted from, e.g. `keras3-h5`, `keras2-h5`, `keras`, `nnf`.
    public var sourceFormat: String?
    /// Base name of the file the model was converted from.
    public var sourceFile: String?
    /// Creation time, ISO 8601 UTC (`2026-11-29T12:00:00Z`).
    public var createdAt: String?
    /// Names of the input columns, in order; when present, `count` equals the input width and no
    /// name appears twice (``ModelFile/validate()``).
    public var inputNames: [String]?
    /// Names of the outputs, in order; `count` equals the output width when present.
    public var outputNames: [String]?
    /// Class names in class-id order (classification models): one per output unit, or two (class 0,
    /// then class 1) for a single sigmoid or logit output. Not checked against the output width.
    public var classLabels: [String]?
    /// Any other key/value strings, kept verbatim.
    public var extra: [String: String]

    public init(producer: String? = nil, sourceFormat: String? = nil, sourceFile: String? = nil, createdAt: String? = nil,
                inputNames: [String]? = nil, outputNames: [String]? = nil, classLabels: [String]? = nil, extra: [String: String] = [:]) {
        self.producer = producer
        self.sourceFormat = sourceFormat
        self.sourceFile = sourceFile
        self.createdAt = createdAt
        self.inputNames = inputNames
        self.outputNames = outputNames
        self.classLabels = classLabels
        self.extra = extra
    }

    enum CodingKeys: String, CodingKey {
        case producer
        case sourceFormat = "source_format"
        case sourceFile = "source_file"
        case createdAt = "created_at"
        case inputNames = "input_names"
        case outputNames = "output_names"
        case classLabels = "class_labels"
        case extra
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        producer = try c.decodeIfPresent(String.self, forKey: .producer)
        sourceFormat = try c.decodeIfPresent(String.self, forKey: .sourceFormat)
        sourceFile = try c.decodeIfPresent(String.self, forKey: .sourceFile)
        createdAt = try c.decodeIfPresent(String.self, forKey: .createdAt)
        inputNames = try c.decodeIfPresent([String].self, forKey: .inputNames)
        outputNames = try c.decodeIfPresent([String].self, forKey: .outputNames)
        classLabels = try c.decodeIfPresent([String].self, forKey: .classLabels)
        extra = try c.decodeIfPresent([String: String].self, forKey: .extra) ?? [:]
    }
}
