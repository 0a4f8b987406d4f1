import ArgumentParser
import Foundation
import Kernels
import PgClient

/// `pgscorer models`: the per-series model versions.
struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Import, list, show, export and activate per-series models.",
        subcommands: [Import.self, List.self, Show.self, Export.self, Activate.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a model JSON file (from tools/export_sklearn.py) as a new version for a series.",
            discussion: "The series is created if new. The new version becomes the active one unless --no-activate; older versions are kept.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Model JSON file.") var file: String
        @Option(help: "Device the model belongs to.") var device: String
        @Option(help: "Sensor the model belongs to.") var sensor: String
        @Flag(name: .customLong("no-activate"), help: "Store the version without making it active.") var noActivate = false

        func run() async throws {
            let logger = global.bootstrapLogging()
            guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
            let document: OneClassSVM.JSONDocument
            do {
                document = try OneClassSVM.fromJSON(Array(data))
            } catch {
                throw ValidationError("\(file): \(error)")
            }
            let connection = try await global.connectCurrent(logger: logger)
            let stored = try await ModelStore(connection: connection).add(
                document.model, device: device, sensor: sensor, source: document.metadataJSON?.contains("sklearn") == true ? "sklearn" : "json",
                paramsJSON: document.metadataJSON ?? "{}", activate: !noActivate)
            print(
                "imported \(file) as model \(stored.modelID), version \(stored.version) of \(device)/\(sensor)"
                    + " (\(document.model.kernel.rawValue), \(document.model.supportVectorCount) support vectors)\(stored.active ? ", active" : "")")
            await connection.close()
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List model versions (newest first).")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Device name or SQL LIKE pattern.") var device = "%"
        @Option(help: "Sensor name or SQL LIKE pattern.") var sensor = "%"
        @Flag(help: "Only the active versions.") var active = false

        func run() async throws {
            let logger = global.bootstrapLogging()
            let connection = try await global.connectCurrent(logger: logger)
            let rows = try await connection.query(
                """
                SELECT m.model_id, s.device, s.sensor, m.version, m.active, m.kernel, m.n_features, m.n_support, m.source,
                       to_char(m.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')
                FROM pgscorer.models m JOIN pgscorer.series s USING (series_id)
                WHERE s.device LIKE $1 AND s.sensor LIKE $2 AND (m.active OR NOT $3)
                ORDER BY s.device, s.sensor, m.version DESC
                """, device, sensor, active)
            var table = TextTable(["model", "device", "sensor", "version", "active", "kernel", "features", "SVs", "source", "created (UTC)"])
            for row in rows {
                table.add([
                    "\(try row.decode(0) as Int)", try row.decode(1), try row.decode(2), "\(try row.decode(3) as Int)",
                    try row.decode(4) as Bool ? "yes" : "", try row.decode(5), "\(try row.decode(6) as Int)", "\(try row.decode(7) as Int)",
                    try row.decode(8), try row.decode(9),
                ])
            }
            print(table.rendered, terminator: "")
            await connection.close()
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one model version's details.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Model id.") var modelID: Int64

        func run() async throws {
            let logger = global.bootstrapLogging()
            let connection = try await global.connectCurrent(logger: logger)
            let rows = try await connection.query(
                """
                SELECT s.device, s.sensor, m.version, m.active, m.source, m.params::text, m.checksum, length(m.payload),
                       m.training_rows, m.fit_seconds, m.payload
                FROM pgscorer.models m JOIN pgscorer.series s USING (series_id) WHERE m.model_id = $1
                """, modelID)
            guard let row = rows.first else { throw ValidationError("no model \(modelID)") }
            let payload: PostgresBytes = try row.decode(10)
            print("model \(modelID): \(try row.decode(0) as String)/\(try row.decode(1) as String) version \(try row.decode(2) as Int)\(try row.decode(3) as Bool ? " (active)" : "")")
            print("source: \(try row.decode(4) as String), payload \(try row.decode(7) as Int) bytes, sha256 \(try row.decode(6) as String)")
            if let rowsUsed: Int = try row.decode(8) { print("trained on \(rowsUsed) readings in \(String(format: "%.3f", try row.decode(9) as Double? ?? 0)) s") }
            print("params: \(try row.decode(5) as String)")
            do {
                let model = try OneClassSVM(encoded: payload.bytes)
                var scaler = "none"
                if case .standard? = model.scaler { scaler = "standard" } else if case .minMax? = model.scaler { scaler = "minmax" }
                print("kernel \(model.kernel.rawValue), gamma \(model.gamma), coef0 \(model.coef0), degree \(model.degree), \(model.featureCount) features, \(model.supportVectorCount) support vectors, intercept \(model.intercept), scaler \(scaler)")
            } catch {
                print("payload does not decode: \(error)")
            }
            await connection.close()
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a model version as model JSON.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Model id.") var modelID: Int64
        @Option(name: .shortAndLong, help: "Output file (default: standard output).") var output: String?

        func run() async throws {
            let logger = global.bootstrapLogging()
            let connection = try await global.connectCurrent(logger: logger)
            let rows = try await connection.query("SELECT payload, params::text FROM pgscorer.models WHERE model_id = $1", modelID)
            guard let row = rows.first else { throw ValidationError("no model \(modelID)") }
            let model = try OneClassSVM(encoded: (try row.decode(0) as PostgresBytes).bytes)
            let text = model.jsonDocument(metadataJSON: try row.decode(1))
            if let output {
                guard FileManager.default.createFile(atPath: output, contents: Data(text.utf8)) else {
                    throw ValidationError("cannot write \(output)")
                }
            } else {
                print(text, terminator: "")
            }
            await connection.close()
        }
    }

    struct Activate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a model version the active one for its series.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Model id.") var modelID: Int64

        func run() async throws {
            let logger = global.bootstrapLogging()
            let connection = try await global.connectCurrent(logger: logger)
            let changed = try await connection.transaction { tx in
                try await tx.execute(
                    """
                    UPDATE pgscorer.models SET active = false
                    WHERE active AND series_id = (SELECT series_id FROM pgscorer.models WHERE model_id = $1) AND model_id <> $1
                    """, modelID)
                return try await tx.execute("UPDATE pgscorer.models SET active = true WHERE model_id = $1", modelID)
            }
            guard changed == 1 else { throw ValidationError("no model \(modelID)") }
            print("model \(modelID) is active")
            await connection.close()
        }
    }
}
