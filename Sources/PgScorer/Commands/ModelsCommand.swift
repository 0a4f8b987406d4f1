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
            abstract: "Import models as new versions: model JSON or scikit-learn pickles, one file or a whole folder.",
            discussion: """
                The series is created if new. Each import becomes the active version unless --no-activate; older versions
                are kept. For a folder, --name-pattern says how file names carry the series, e.g. 'model_{device}_{sensor}'
                matches model_pump-7_temp.json ({device} takes the shortest match). Every file is reported; good files are
                imported even when others fail (the exit status is then 1). Pickles (*.pkl, scikit-learn 0.19 on) are
                read with PgScorer's restricted unpickler (needs python3 with NumPy; nothing in the file is executed).
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Model JSON or .pkl file, or a folder of them.") var path: String
        @Option(help: "Device the model belongs to (single file).") var device: String?
        @Option(help: "Sensor the model belongs to (single file).") var sensor: String?
        @Option(name: .customLong("name-pattern"), help: "File name (without .json) carrying {device} and {sensor}.")
        var namePattern: String?
        @Flag(name: .customLong("no-activate"), help: "Store the versions without making them active.") var noActivate = false

        func validate() throws {
            if let namePattern {
                _ = try ModelFileNamePattern(namePattern)
            } else if device == nil || sensor == nil {
                throw ValidationError("give --device and --sensor, or --name-pattern to take them from file names")
            }
        }

        func run() async throws {
            let logger = global.bootstrapLogging()
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { throw ValidationError("no such file or folder: \(path)") }
            let files = isFolder.boolValue
                ? try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".json") || $0.hasSuffix(".pkl") }.sorted()
                    .map { URL(fileURLWithPath: path).appendingPathComponent($0).path }
                : [path]
            if isFolder.boolValue && namePattern == nil { throw ValidationError("importing a folder needs --name-pattern") }
            let pattern = try namePattern.map(ModelFileNamePattern.init)
            let connection = try await global.connectCurrent(logger: logger)
            let store = ModelStore(connection: connection)
            // One exporter run for every pickle (a Python start per file costs ~80 ms).
            let pickles = try PickleImport.modelJSONs(fromPickles: files.filter { $0.hasSuffix(".pkl") })
            var failures = 0
            for file in files {
                let name = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
                do {
                    // With a pattern the series comes from the file name, else from --device/--sensor.
                    let series: (String, String)? = if let pattern { pattern.match(name) } else { (device!, sensor!) }
                    guard let (seriesDevice, seriesSensor) = series else {
                        throw ValidationError("the name does not match --name-pattern \(namePattern ?? "")")
                    }
                    let data = file.hasSuffix(".pkl") ? try pickles[file]!.get() : FileManager.default.contents(atPath: file)
                    guard let data else { throw ValidationError("cannot read the file") }
                    let document = try OneClassSVM.fromJSON(Array(data))
                    let stored = try await store.add(
                        document.model, device: seriesDevice, sensor: seriesSensor,
                        source: document.metadataJSON?.contains("sklearn") == true ? "sklearn" : "json",
                        paramsJSON: document.metadataJSON ?? "{}", activate: !noActivate)
                    print(
                        "ok      \(file): model \(stored.modelID), version \(stored.version) of \(seriesDevice)/\(seriesSensor)"
                            + " (\(document.model.kernel.rawValue), \(document.model.supportVectorCount) support vectors)\(stored.active ? ", active" : "")")
                } catch {
                    failures += 1
                    print("failed  \(file): \(error)")
                }
            }
            await connection.close()
            if files.count > 1 { print("imported \(files.count - failures) of \(files.count) file(s)") }
            if failures > 0 { throw ExitCode(1) }
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

/// A file-name pattern such as `model_{device}_{sensor}`: the placeholders become
/// captures, everything else must match literally.
struct ModelFileNamePattern {
    let expression: NSRegularExpression
    let deviceFirst: Bool

    init(_ pattern: String) throws {
        guard let device = pattern.range(of: "{device}"), let sensor = pattern.range(of: "{sensor}") else {
            throw ValidationError("--name-pattern must contain {device} and {sensor}, e.g. model_{device}_{sensor}")
        }
        deviceFirst = device.lowerBound < sensor.lowerBound
        var regex = NSRegularExpression.escapedPattern(for: pattern)
        let escapedDevice = NSRegularExpression.escapedPattern(for: "{device}")
        let escapedSensor = NSRegularExpression.escapedPattern(for: "{sensor}")
        // The first placeholder takes the shortest match, the second the rest.
        regex = regex.replacingOccurrences(of: deviceFirst ? escapedDevice : escapedSensor, with: "(.+?)")
        regex = regex.replacingOccurrences(of: deviceFirst ? escapedSensor : escapedDevice, with: "(.+)")
        expression = try NSRegularExpression(pattern: "^" + regex + "$")
    }

    /// (device, sensor) from a file name without extension, or nil if it does not match.
    func match(_ name: String) -> (String, String)? {
        let range = NSRange(name.startIndex..., in: name)
        guard let result = expression.firstMatch(in: name, range: range), result.numberOfRanges == 3,
              let first = Range(result.range(at: 1), in: name), let second = Range(result.range(at: 2), in: name)
        else { return nil }
        return deviceFirst ? (String(name[first]), String(name[second])) : (String(name[second]), String(name[first]))
    }
}

/// Turns a scikit-learn pickle into model JSON with the embedded exporter (python3 +
/// NumPy; its restricted unpickler executes nothing from the file).
enum PickleImport {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Exports `paths` in one run of the exporter's folder mode (links to the files
    /// in a private folder); each path maps to its model JSON or to why it failed.
    static func modelJSONs(fromPickles paths: [String]) throws -> [String: Result<Data, Failure>] {
        guard !paths.isEmpty else { return [:] }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("pgscorer-pickle-\(UUID().uuidString)")
        let input = work.appendingPathComponent("in"), output = work.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        for (index, path) in paths.enumerated() {
            let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
            try FileManager.default.createSymbolicLink(
                atPath: input.appendingPathComponent("\(index).pkl").path, withDestinationPath: absolute)
        }
        let script = work.appendingPathComponent("export_sklearn.py")
        try EmbeddedExporter.source.write(to: script, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, input.path, output.path]
        let errors = work.appendingPathComponent("stderr.log")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: errors)
        process.standardOutput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw Failure(description: "reading pickles needs python3 with NumPy (\(error))")
        }
        process.waitUntilExit()
        // The exporter reports each failure as "failed  <index>.pkl: <reason>".
        let log = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
        var reasons: [String: String] = [:]
        for line in log.split(separator: "\n") where line.hasPrefix("failed  ") {
            let rest = line.dropFirst("failed  ".count)
            guard let colon = rest.firstIndex(of: ":") else { continue }
            reasons[String(rest[..<colon])] = rest[rest.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let unexplained = log.split(separator: "\n").last.map(String.init) ?? "the exporter failed"
        var results: [String: Result<Data, Failure>] = [:]
        for (index, path) in paths.enumerated() {
            if let data = FileManager.default.contents(atPath: output.appendingPathComponent("\(index).json").path) {
                results[path] = .success(data)
            } else {
                results[path] = .failure(Failure(description: reasons["\(index).pkl"] ?? unexplained))
            }
        }
        return results
    }
}
