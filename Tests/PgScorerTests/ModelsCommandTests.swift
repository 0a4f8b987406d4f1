import Foundation
import Kernels
import Migrations
import PgClient
import PgScorer
import TestSupport
import Testing

@Suite("Models command")
struct ModelsCommandTests {
    @Test("models import, list, show, export and activate; bad JSON is refused by field")
    func models() async throws {
        try await ScorerFixture.with { fixture in
            let model = try ScorerFixture.model(featureCount: 2)
            let file = try temporaryFile("model.json", model.jsonDocument(metadataJSON: #"{"sklearn_version": "1.5.2"}"#))
            for _ in 0..<2 {
                let imported = try await PgScorerProcess.run(
                    ["models", "import", file, "--device", "pump-1", "--sensor", "temp"], database: fixture.database)
                #expect(imported.status == 0, "\(imported.output)")
            }
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.models WHERE active") == 1)
            #expect(try await fixture.count("SELECT max(version) FROM pgscorer.models") == 2)
            let list = try await PgScorerProcess.run(["models", "list"], database: fixture.database)
            #expect(list.output.contains("pump-1") && list.output.contains("sklearn"))
            let firstID = try await fixture.count("SELECT model_id FROM pgscorer.models WHERE version = 1")
            #expect(try await PgScorerProcess.run(["models", "activate", "\(firstID)"], database: fixture.database).status == 0)
            #expect(try await fixture.count("SELECT version FROM pgscorer.models WHERE active") == 1)
            let exported = try await PgScorerProcess.run(["models", "export", "\(firstID)"], database: fixture.database)
            let document = try OneClassSVM.fromJSON(Array(exported.output.utf8.drop { $0 != UInt8(ascii: "{") }))
            #expect(document.model == model)
            let show = try await PgScorerProcess.run(["models", "show", "\(firstID)"], database: fixture.database)
            #expect(show.output.contains("kernel rbf") && show.output.contains("24 support vectors"), "\(show.output)")

            let bad = try temporaryFile("bad.json", #"{"format": "pgscorer.one_class_svm", "version": 1, "kernel": "rbf", "gamma": -1}"#)
            let refused = try await PgScorerProcess.run(["models", "import", bad, "--device", "d", "--sensor", "s"], database: fixture.database)
            #expect(refused.status != 0 && refused.output.contains("missing field"), "\(refused.output)")
            let wrongWidth = try temporaryFile("wide.json", try ScorerFixture.model(featureCount: 5).jsonDocument())
            let mismatch = try await PgScorerProcess.run(
                ["models", "import", wrongWidth, "--device", "pump-1", "--sensor", "temp"], database: fixture.database)
            #expect(mismatch.status != 0 && mismatch.output.contains("has 2 features per reading, but the model expects 5"), "\(mismatch.output)")
        }
    }
}

@Suite("Model folder import")
struct ModelFolderImportTests {
    @Test("file-name patterns give device and sensor")
    func pattern() throws {
        let pattern = try ModelFileNamePattern("model_{device}_{sensor}")
        #expect(pattern.match("model_pump-7_temp")! == ("pump-7", "temp"))
        #expect(pattern.match("model_pump_7_temp_max")! == ("pump", "7_temp_max"))
        #expect(pattern.match("other_pump_temp") == nil)
        let reversed = try ModelFileNamePattern("{sensor}.{device}")
        #expect(reversed.match("temp.pump-1")! == ("pump-1", "temp"))
        #expect(throws: (any Error).self) { try ModelFileNamePattern("model_{device}") }
    }

    @Test("a folder import reports every file and imports the good ones when others fail")
    func folder() async throws {
        try await ScorerFixture.with { fixture in
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pgscorer-models-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let good = try ScorerFixture.model(featureCount: 2).jsonDocument()
            try good.write(to: folder.appendingPathComponent("model_pump-1_temp.json"), atomically: true, encoding: .utf8)
            try good.write(to: folder.appendingPathComponent("model_pump-2_temp.json"), atomically: true, encoding: .utf8)
            try "{\"format\": \"nope\"}".write(to: folder.appendingPathComponent("model_pump-3_temp.json"), atomically: true, encoding: .utf8)
            try good.write(to: folder.appendingPathComponent("unrelated.json"), atomically: true, encoding: .utf8)
            let result = try await PgScorerProcess.run(
                ["models", "import", folder.path, "--name-pattern", "model_{device}_{sensor}"], database: fixture.database)
            #expect(result.status == 1, "\(result.output)")
            #expect(result.output.contains("imported 2 of 4 model file(s)"), "\(result.output)")
            #expect(result.output.contains("failed  \(folder.path)/model_pump-3_temp.json: bad model JSON"))
            #expect(result.output.contains("unrelated.json: the name does not match"))
            let imported = try await fixture.connection.query(
                "SELECT device FROM pgscorer.series JOIN pgscorer.models USING (series_id) WHERE active ORDER BY device")
            #expect(try imported.map { try $0.decode(0) as String } == ["pump-1", "pump-2"])
        }
    }
}


@Suite("Pickle import")
struct PickleImportTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("the exporter embedded in pgscorer is exactly tools/export_sklearn.py")
    func embeddedCopy() throws {
        let source = try String(contentsOf: Self.root.appendingPathComponent("tools/export_sklearn.py"), encoding: .utf8)
        #expect(source == EmbeddedExporter.source, "run scripts/embed-exporter after editing tools/export_sklearn.py")
    }

    @Test("a folder of pickles: the scikit-learn 0.19.2 pipeline imports, a pickle that runs code is refused and runs nothing")
    func folderOfPickles() async throws {
        try await ScorerFixture.with { fixture in
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pgscorer-pickles-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            try FileManager.default.copyItem(
                at: Self.root.appendingPathComponent("tools/fixtures/legacy-sklearn/pipeline_scaler_ocsvm_sklearn-0.19.2.pkl"),
                to: folder.appendingPathComponent("model_pump-1_temp.pkl"))
            let marker = FileManager.default.temporaryDirectory.appendingPathComponent("pgscorer-ran-\(UUID().uuidString)")
            // Protocol-0 pickle of os.system("touch MARKER").
            try Data("cposix\nsystem\n(S'touch \(marker.path)'\ntR.".utf8).write(to: folder.appendingPathComponent("model_pump-2_temp.pkl"))
            let result = try await PgScorerProcess.run(
                ["models", "import", folder.path, "--name-pattern", "model_{device}_{sensor}"], database: fixture.database)
            #expect(result.status == 1, "\(result.output)")
            #expect(result.output.contains("imported 1 of 2 model file(s)"), "\(result.output)")
            #expect(result.output.contains("refusing to load posix.system"), "\(result.output)")
            #expect(!FileManager.default.fileExists(atPath: marker.path), "the pickle's code ran")
            let model = try await fixture.connection.query(
                "SELECT m.source, m.params ->> 'sklearn_version', m.n_support FROM pgscorer.models m JOIN pgscorer.series s USING (series_id) WHERE s.device = 'pump-1'"
            ).single()
            #expect(try model.decode(0) as String == "sklearn")
            #expect(try model.decode(1) as String == "0.19.2")
            #expect(try model.decode(2) as Int == 2)
        }
    }
}

@Suite("Model files told by content")
struct ModelFileContentTests {
    @Test("the reference project's folder: model_1_1 … without extension import; other files are counted; a folder without models is an error")
    func referenceLayout() async throws {
        try await ScorerFixture.with { fixture in
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pgscorer-reference-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let legacy = PickleImportTests.root.appendingPathComponent("tools/fixtures/legacy-sklearn/pipeline_scaler_ocsvm_sklearn-0.19.2.pkl")
            try FileManager.default.copyItem(at: legacy, to: folder.appendingPathComponent("model_1_1"))
            try FileManager.default.copyItem(at: legacy, to: folder.appendingPathComponent("model_1_2"))
            try "notes".write(to: folder.appendingPathComponent("README"), atomically: true, encoding: .utf8)
            let result = try await PgScorerProcess.run(
                ["models", "import", folder.path, "--name-pattern", "model_{device}_{sensor}"], database: fixture.database)
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.contains("imported 2 of 2 model file(s); 1 other file(s) left alone"), "\(result.output)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.series WHERE device = '1' AND sensor IN ('1', '2')") == 2)

            let empty = FileManager.default.temporaryDirectory.appendingPathComponent("pgscorer-empty-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: empty) }
            try "a,b\n".write(to: empty.appendingPathComponent("readings.csv"), atomically: true, encoding: .utf8)
            let nothing = try await PgScorerProcess.run(
                ["models", "import", empty.path, "--name-pattern", "model_{device}_{sensor}"], database: fixture.database)
            #expect(nothing.status == 1 && nothing.output.contains("no model files in \(empty.path)") && nothing.output.contains("found 1 other file(s)"), "\(nothing.output)")

            let text = try temporaryFile("model.pkl", "this is a text file\n")
            let notPickle = try await PgScorerProcess.run(["models", "import", text, "--device", "d", "--sensor", "s"], database: fixture.database)
            #expect(notPickle.status == 1 && notPickle.output.contains("not a pickle file"), "\(notPickle.output)")
            #expect(!notPickle.output.contains("int()"), "\(notPickle.output)")
        }
    }
}

@Suite("Model health at import, training and on demand")
struct ModelHealthCommandTests {
    /// Like four of the reference project's fifteen: one support vector whose dual coefficient is minus the intercept.
    static func flagsEverything() throws -> OneClassSVM {
        try OneClassSVM(
            kernel: .rbf, gamma: 0.01, featureCount: 1, supportVectors: [0.3], dualCoefficients: [1.0], intercept: -1.0,
            scaler: .standard(mean: [21.5], scale: [2.0]))
    }

    @Test("a model that fails its check is stored but not activated, the output says why; --force activates; models check records verdicts")
    func importGate() async throws {
        try await ScorerFixture.with { fixture in
            let bad = try temporaryFile("bad.json", try Self.flagsEverything().jsonDocument())
            let imported = try await PgScorerProcess.run(["models", "import", bad, "--device", "pump-1", "--sensor", "temp"], database: fixture.database)
            #expect(imported.status == 0, "\(imported.output)")
            #expect(imported.output.contains("health fail") && imported.output.contains("not activated") && imported.output.contains("cannot be positive"), "\(imported.output)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.models WHERE active") == 0)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.unhealthy_models WHERE health = 'fail'") == 1)
            let status = try await PgScorerProcess.run(["status"], database: fixture.database)
            #expect(status.output.contains("model health: 1 fail (0 active anyway), 0 warn"), "\(status.output)")
            let modelID = try await fixture.count("SELECT model_id FROM pgscorer.models")
            let refused = try await PgScorerProcess.run(["models", "activate", "\(modelID)"], database: fixture.database)
            #expect(refused.status == 1 && refused.output.contains("failed its health check") && refused.output.contains("--force"), "\(refused.output)")
            #expect(try await PgScorerProcess.run(["models", "activate", "\(modelID)", "--force"], database: fixture.database).status == 0)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.models WHERE active") == 1)
            let forced = try await PgScorerProcess.run(
                ["models", "import", bad, "--device", "pump-2", "--sensor", "temp", "--force"], database: fixture.database)
            #expect(forced.output.contains("active"), "\(forced.output)")

            // The legacy fixture (one of the healthy eleven) imports as ok and active.
            let legacy = PickleImportTests.root.appendingPathComponent("tools/fixtures/legacy-sklearn/pipeline_scaler_ocsvm_sklearn-0.19.2.pkl")
            let good = try await PgScorerProcess.run(["models", "import", legacy.path, "--device", "legacy", "--sensor", "temp"], database: fixture.database)
            #expect(good.status == 0 && good.output.contains("health ok") && good.output.contains("active"), "\(good.output)")

            try await fixture.connection.execute("UPDATE pgscorer.models SET health = NULL")
            let check = try await PgScorerProcess.run(["models", "check", "--all"], database: fixture.database)
            #expect(check.status == 1, "a failing model makes the check exit 1: \(check.output)")
            #expect(check.output.contains("checked 3 model(s): 1 ok, 0 warn, 2 fail"), "\(check.output)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.models WHERE health IS NULL") == 0)
            let one = try await PgScorerProcess.run(["models", "check", "--device", "legacy"], database: fixture.database)
            #expect(one.status == 0 && one.output.contains("checked 1 model(s): 1 ok"), "\(one.output)")
        }
    }

    @Test("trained models are checked on their training readings")
    func trainingEvidence() async throws {
        try await ScorerFixture.with { fixture in
            try await fixture.loadReadings(device: "pump-1", sensor: "temp", start: .utc("2026-11-20T00:00:00Z"), count: 300, featureCount: 3)
            let trained = try await PgScorerProcess.run(["train", "--nu", "0.1", "--scaler", "standard"], database: fixture.database)
            #expect(trained.status == 0 && trained.output.contains("trained 1 model(s)"), "\(trained.output)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.models WHERE active AND health = 'ok'") == 1)
            #expect(try await fixture.count(
                "SELECT count(*) FROM pgscorer.models WHERE jsonb_array_length(training_stats -> 'mean') = 3 AND jsonb_array_length(training_stats -> 'std') = 3") == 1,
                "training statistics are kept for drift")
            let check = try await PgScorerProcess.run(["models", "check", "--all", "--format", "csv"], database: fixture.database)
            #expect(check.output.contains(",ok,300 readings,"), "\(check.output)")
            // JSON that programs can read: params and health_reasons are JSON, not escaped strings.
            let listed = try await PgScorerProcess.run(["models", "list", "--format", "json"], database: fixture.database)
            let start = try #require(listed.output.range(of: "\n[") ?? listed.output.range(of: "["), "\(listed.output)")
            let versions = try #require(try JSONSerialization.jsonObject(with: Data(listed.output[start.lowerBound...].utf8)) as? [[String: Any]])
            let params = try #require(versions.first?["params"] as? [String: Any], "params is an object: \(listed.output)")
            #expect(params["nu"] as? Double == 0.1, "\(params)")
            #expect(versions.first?["health_reasons"] is [Any], "\(listed.output)")
            #expect((versions.first?["created_at"] as? String)?.hasSuffix("Z") == true)
        }
    }
}
