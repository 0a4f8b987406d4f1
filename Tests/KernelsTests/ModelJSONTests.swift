import Foundation
import Kernels
import Testing

@Suite("Model JSON")
struct ModelJSONTests {
    static let valid = """
        {"format": "pgscorer.one_class_svm", "version": 1, "kernel": "rbf", "gamma": 0.5, "coef0": 0, "degree": 3,
         "n_features": 2, "support_vectors": [[0.1, 0.2], [0.3, 0.4]], "dual_coef": [0.5, 0.5],
         "intercept": -0.25, "offset": 0.25, "scaler": {"type": "minmax", "scale": [1, 2], "min": [0, -1]},
         "metadata": {"nu": 0.1}}
        """

    func parse(_ text: String) throws(ModelError) -> OneClassSVM.JSONDocument {
        try OneClassSVM.fromJSON(Array(text.utf8))
    }

    /// `valid` with one field replaced (or removed when `value` is nil).
    func variant(_ key: String, _ value: String?) -> String {
        var object = try! JSONSerialization.jsonObject(with: Data(Self.valid.utf8)) as! [String: Any]
        object[key] = value.map { try! JSONSerialization.jsonObject(with: Data($0.utf8), options: .fragmentsAllowed) }
        return String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    @Test("a valid document parses, and writing it back round-trips exactly")
    func roundTrip() throws {
        let document = try parse(Self.valid)
        #expect(document.model.featureCount == 2 && document.model.supportVectorCount == 2)
        #expect(document.model.scaler == .minMax(scale: [1, 2], min: [0, -1]))
        #expect(document.metadataJSON == #"{"nu":0.1}"#)
        // 17-digit numbers keep every bit (Foundation's JSONSerialization loses some).
        let exact = try parse(variant("intercept", "-1.2345678901234567e-10"))
        #expect(exact.model.intercept == Double("-1.2345678901234567e-10"))
        let written = document.model.jsonDocument(metadataJSON: document.metadataJSON)
        #expect(try parse(written).model == document.model)
        for fixture in try SklearnFixture.names.map(SklearnFixture.load) {
            #expect(try parse(fixture.document.model.jsonDocument()).model == fixture.document.model)
        }
    }

    @Test("bad documents are refused with an error naming the field", arguments: [
        ("kernel", #""laplacian""#, "unknown kernel \"laplacian\""),
        ("gamma", "-1", "gamma must be a positive"),
        ("gamma", #""scale""#, "\"gamma\" must be a number"),
        ("support_vectors", "[[0.1], [0.3, 0.4]]", "support_vectors[0] has 1 values"),
        ("dual_coef", "[0.5]", "dual_coef has 1 values for 2 support vectors"),
        ("dual_coef", #"[0.5, "x"]"#, "\"dual_coef\"[1] must be a finite number"),
        ("n_features", "2.5", "\"n_features\" must be an integer"),
        ("intercept", nil, "missing field \"intercept\""),
        ("version", "2", "\"version\" 2 is not supported"),
        ("scaler", #"{"type": "robust"}"#, "unknown scaler type \"robust\""),
        ("scaler", #"{"type": "standard", "mean": [0], "scale": [1, 1]}"#, "standard scaler has 1 and 2 values"),
        ("scaler", #"{"type": "standard", "mean": [0, 0], "scale": [1, 0]}"#, "zero scale"),
        ("degree", "true", "\"degree\" must be an integer"),
    ] as [(String, String?, String)])
    func refused(field: String, value: String?, message: String) throws {
        let error = #expect(throws: ModelError.self) { try parse(variant(field, value)) }
        #expect(error.map { "\($0)" }?.contains(message) == true, "got: \(error.map { "\($0)" } ?? "no error")")
    }

    @Test("unknown fields and non-JSON are refused")
    func unknownFields() {
        let unknown = #expect(throws: ModelError.self) { try parse(variant("nu", "0.1")) }
        #expect(unknown.map { "\($0)" }?.contains("unknown field(s): nu") == true)
        #expect(throws: ModelError.self) { try parse("{not json") }
        #expect(throws: ModelError.self) { try parse("[1, 2]") }
        #expect(throws: ModelError.self) { try parse(Self.valid + "x") }
        #expect(throws: ModelError.self) { try parse(String(repeating: "[", count: 10_000)) }
        let duplicate = #expect(throws: ModelError.self) { try parse(#"{"gamma": 1, "gamma": 2}"#) }
        #expect(duplicate.map { "\($0)" }?.contains("duplicate key") == true)
    }
}

@Suite("Scorer input checks")
struct ScorerInputTests {
    @Test("samples with the wrong number of features are refused")
    func wrongFeatureCount() throws {
        let scorer = OneClassSVMScorer(try ModelEncodingTests.sampleModel())
        #expect(throws: ModelError.wrongFeatureCount(expected: 3, got: 2)) { try scorer.decisionFunction(sample: [1, 2]) }
        #expect(throws: ModelError.self) { try scorer.decisionFunction([1, 2, 3, 4]) }
        #expect(try scorer.decisionFunction([]).isEmpty)
    }
}
