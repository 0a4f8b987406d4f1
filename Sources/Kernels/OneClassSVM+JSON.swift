/// The JSON interchange format written by `tools/export_sklearn.py` and read by
/// `pgscorer models import` (documented field by field in docs/models.md):
///
/// ```json
/// {"format": "pgscorer.one_class_svm", "version": 1, "kernel": "rbf", "gamma": 0.2,
///  "coef0": 0.0, "degree": 3, "n_features": 2, "support_vectors": [[0.1, 0.2]],
///  "dual_coef": [1.0], "intercept": -0.5, "offset": 0.5,
///  "scaler": {"type": "standard", "mean": [0, 0], "scale": [1, 1]},
///  "metadata": {"sklearn_version": "1.5.2", "nu": 0.1}}
/// ```
extension OneClassSVM {
    public static let jsonFormatName = "pgscorer.one_class_svm"
    public static let jsonFormatVersion = 1

    static let requiredJSONKeys: Set<String> = [
        "format", "version", "kernel", "gamma", "n_features", "support_vectors", "dual_coef", "intercept",
    ]
    static let optionalJSONKeys: Set<String> = ["coef0", "degree", "offset", "scaler", "metadata"]

    /// A parsed model document: the model and its free-form `metadata` object (as JSON text).
    public struct JSONDocument: Sendable {
        public var model: OneClassSVM
        public var metadataJSON: String?
    }

    /// Parses a model document, rejecting unknown fields, wrong shapes and bad numbers
    /// with an error that names the field.
    public static func fromJSON(_ bytes: [UInt8]) throws(ModelError) -> JSONDocument {
        let root = try JSONValue.parse(bytes)
        guard case .object(let members) = root else { throw .badJSON("the top level must be an object") }
        let keys = Set(members.map(\.key))
        let unknown = keys.subtracting(requiredJSONKeys).subtracting(optionalJSONKeys)
        guard unknown.isEmpty else { throw .badJSON("unknown field(s): \(unknown.sorted().joined(separator: ", "))") }
        let missing = requiredJSONKeys.subtracting(keys).sorted()
        if !missing.isEmpty {
            throw .badJSON("missing field\(missing.count == 1 ? "" : "s") \(missing.map { "\"\($0)\"" }.joined(separator: ", "))")
        }
        let fields = JSONFields(root)
        guard try fields.string("format") == jsonFormatName else {
            throw .badJSON("\"format\" must be \"\(jsonFormatName)\"")
        }
        let version = try fields.integer("version")
        guard version == jsonFormatVersion else {
            throw .badJSON("\"version\" \(version) is not supported (this build reads \(jsonFormatVersion))")
        }
        let kernelName = try fields.string("kernel")
        guard let kernel = Kernel(rawValue: kernelName) else {
            throw .badJSON("unknown kernel \"\(kernelName)\" (expected rbf, linear, poly or sigmoid)")
        }
        let featureCount = try fields.integer("n_features")
        let rows = try fields.matrix("support_vectors")
        for (index, row) in rows.enumerated() where row.count != featureCount {
            throw .badJSON("support_vectors[\(index)] has \(row.count) values, expected n_features = \(featureCount)")
        }
        let duals = try fields.numbers("dual_coef")
        guard duals.count == rows.count else {
            throw .badJSON("dual_coef has \(duals.count) values for \(rows.count) support vectors")
        }
        let scaler = try fields.scaler("scaler")
        let model: OneClassSVM
        do {
            model = try OneClassSVM(
                kernel: kernel, gamma: try fields.number("gamma"), coef0: try fields.number("coef0", default: 0),
                degree: try fields.integer("degree", default: 3), featureCount: featureCount,
                supportVectors: rows.flatMap { $0 }, dualCoefficients: duals, intercept: try fields.number("intercept"),
                offset: try fields.optionalNumber("offset"), scaler: scaler)
        } catch {
            throw .badJSON("\(error)")
        }
        var metadataJSON: String?
        switch root["metadata"] {
        case nil, .null?: break
        case .object(let metadata)?: metadataJSON = JSONValue.object(metadata).serialized
        default: throw .badJSON("\"metadata\" must be an object")
        }
        return JSONDocument(model: model, metadataJSON: metadataJSON)
    }

    /// The model as a JSON document (numbers printed to round-trip exactly).
    public func jsonDocument(metadataJSON: String? = nil) -> String {
        func list(_ values: some Sequence<Double>) -> String { "[" + values.map { "\($0)" }.joined(separator: ", ") + "]" }
        let rows = (0..<supportVectorCount).map { i in list(supportVectors[(i * featureCount)..<((i + 1) * featureCount)]) }
        var fields = [
            "\"format\": \"\(Self.jsonFormatName)\"", "\"version\": \(Self.jsonFormatVersion)",
            "\"kernel\": \"\(kernel.rawValue)\"", "\"gamma\": \(gamma)", "\"coef0\": \(coef0)", "\"degree\": \(degree)",
            "\"n_features\": \(featureCount)", "\"intercept\": \(intercept)", "\"offset\": \(offset)",
        ]
        switch scaler {
        case nil: fields.append("\"scaler\": null")
        case .standard(let mean, let scale):
            fields.append("\"scaler\": {\"type\": \"standard\", \"mean\": \(list(mean)), \"scale\": \(list(scale))}")
        case .minMax(let scale, let min):
            fields.append("\"scaler\": {\"type\": \"minmax\", \"scale\": \(list(scale)), \"min\": \(list(min))}")
        }
        if let metadataJSON { fields.append("\"metadata\": \(metadataJSON)") }
        fields.append("\"dual_coef\": \(list(dualCoefficients))")
        fields.append("\"support_vectors\": [\n    " + rows.joined(separator: ",\n    ") + "\n  ]")
        return "{\n  " + fields.joined(separator: ",\n  ") + "\n}\n"
    }
}

/// Typed access to a JSON object's fields, with errors that name the field.
private struct JSONFields {
    let object: JSONValue
    init(_ object: JSONValue) { self.object = object }

    func string(_ key: String) throws(ModelError) -> String {
        guard case .string(let value)? = object[key] else { throw .badJSON("\"\(key)\" must be a string") }
        return value
    }

    func number(_ key: String, default defaultValue: Double? = nil) throws(ModelError) -> Double {
        guard let value = try optionalNumber(key) ?? defaultValue else { throw .badJSON("\"\(key)\" must be a number") }
        return value
    }

    func optionalNumber(_ key: String) throws(ModelError) -> Double? {
        switch object[key] {
        case nil, .null?: return nil
        case .number(let value, _)?:
            guard value.isFinite else { throw .badJSON("\"\(key)\" must be finite") }
            return value
        default: throw .badJSON("\"\(key)\" must be a number")
        }
    }

    func integer(_ key: String, default defaultValue: Int? = nil) throws(ModelError) -> Int {
        switch object[key] {
        case nil, .null?:
            guard let defaultValue else { throw .badJSON("\"\(key)\" must be an integer") }
            return defaultValue
        case .number(let value, _)? where value.rounded() == value && abs(value) < 1e15:
            return Int(value)
        default: throw .badJSON("\"\(key)\" must be an integer")
        }
    }

    func numbers(_ key: String) throws(ModelError) -> [Double] {
        try Self.numbers(object[key], name: "\"\(key)\"")
    }

    static func numbers(_ value: JSONValue?, name: String) throws(ModelError) -> [Double] {
        guard case .array(let elements)? = value else { throw .badJSON("\(name) must be an array of numbers") }
        var values: [Double] = []
        values.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            guard case .number(let number, _) = element, number.isFinite else {
                throw .badJSON("\(name)[\(index)] must be a finite number")
            }
            values.append(number)
        }
        return values
    }

    func matrix(_ key: String) throws(ModelError) -> [[Double]] {
        guard case .array(let rows)? = object[key] else { throw .badJSON("\"\(key)\" must be an array of arrays") }
        var result: [[Double]] = []
        result.reserveCapacity(rows.count)
        for (index, row) in rows.enumerated() {
            result.append(try Self.numbers(row, name: "\(key)[\(index)]"))
        }
        return result
    }

    func scaler(_ key: String) throws(ModelError) -> InputScaler? {
        guard let raw = object[key], raw != .null else { return nil }
        guard case .object(let members) = raw, case .string(let type)? = raw["type"] else {
            throw .badJSON("\"scaler\" must be null or an object with a \"type\"")
        }
        let allowed: Set<String> = type == "standard" ? ["type", "mean", "scale"] : ["type", "scale", "min"]
        let unknown = Set(members.map(\.key)).subtracting(allowed)
        let nested = JSONFields(raw)
        switch type {
        case "standard" where unknown.isEmpty:
            return .standard(mean: try nested.numbers("mean"), scale: try nested.numbers("scale"))
        case "minmax" where unknown.isEmpty:
            return .minMax(scale: try nested.numbers("scale"), min: try nested.numbers("min"))
        case "standard", "minmax":
            throw .badJSON("unknown field(s) in \"scaler\": \(unknown.sorted().joined(separator: ", "))")
        default:
            throw .badJSON("unknown scaler type \"\(type)\" (expected standard or minmax)")
        }
    }
}
