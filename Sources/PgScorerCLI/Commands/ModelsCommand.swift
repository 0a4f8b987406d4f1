import ArgumentParser
import Foundation
import Kernels
import PgScorer

/// `pgscorer models`: the per-series model versions.
struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Import, list, show, check, export, activate, compare, promote and roll back per-series models.",
        subcommands: [
            Import.self, List.self, Show.self, Check.self, Export.self, Activate.self, Compare.self, Promote.self, Rollback.self,
            History.self,
        ])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import models as new versions: model JSON or scikit-learn pickles, one file or a whole folder.",
            discussion: """
                The series is created if new. Each import becomes the active version unless --no-activate; older versions \
                are kept. Model files are told by their content, whatever their name: model JSON, or scikit-learn pickles \
                (0.19 on), read with PgScorer's restricted unpickler (needs python3 with NumPy; nothing in the file is \
                executed). For a folder, --name-pattern says how file names (without extension) carry the series, e.g. \
                'model_{device}_{sensor}' matches model_pump-7_temp.json and model_1_1 ({device} takes the shortest match). \
                Every file is reported, other files are counted; good files are imported even when others fail (the exit \
                status is then 1). A folder with no model file is an error.
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "A model JSON or pickle file, or a folder of them.") var path: String
        @Option(help: "Device the model belongs to (single file).") var device: String?
        @Option(help: "Sensor the model belongs to (single file).") var sensor: String?
        @Option(name: .customLong("name-pattern"), help: "File name (without .json) carrying {device} and {sensor}.")
        var namePattern: String?
        @Flag(name: .customLong("no-activate"), help: "Store the versions without making them active.") var noActivate = false
        @Flag(help: "Activate even a model whose health check fails.") var force = false

        func validate() throws {
            if let namePattern {
                do { _ = try ModelFileNamePattern(namePattern) } catch { throw ValidationError("\(error)") }
            } else if device == nil || sensor == nil {
                throw ValidationError("give --device and --sensor, or --name-pattern to take them from file names")
            }
        }

        func run() async throws {
            let (files, isFolder, others) = try ModelImport.files(at: path)
            let series: ModelImport.Series
            if let namePattern {
                series = .fileName(try ModelFileNamePattern(namePattern))
            } else if isFolder {
                throw PgScorerError(.usage, "importing a folder needs --name-pattern")
            } else {
                series = .named(device: device!, sensor: sensor!)
            }
            var failures = 0
            try await global.withDatabase { session in
                let modelImport = ModelImport(
                    store: ModelStore(connection: session.connection), series: series, activate: !noActivate, force: force)
                try await modelImport.run(files) { file, outcome in
                    switch outcome {
                    case .success(let imported):
                        print(
                            "ok      \(file): model \(imported.stored.modelID), version \(imported.stored.version) of \(imported.device)/\(imported.sensor)"
                                + " (\(imported.kernel), \(imported.supportVectors) support vectors, health \(imported.stored.health.verdict.rawValue))"
                            + (imported.stored.active ? ", active" : ""))
                        if !imported.stored.active && !noActivate {
                            print("        not activated: its health check failed (\(imported.stored.health.reasons.joined(separator: "; "))); --force activates it")
                        } else if imported.stored.health.verdict == .warn {
                            print("        health warning: \(imported.stored.health.reasons.joined(separator: "; "))")
                        }
                    case .failure(let error):
                        failures += 1
                        print("failed  \(file): \(error)")
                    }
                }
            }
            if isFolder {
                print("imported \(files.count - failures) of \(files.count) model file(s)" + (others > 0 ? "; \(others) other file(s) left alone" : ""))
            }
            if failures > 0 { throw ExitCode(1) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List model versions (newest first).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var selection: SelectionOptions
        @Flag(help: "Only the active versions.") var active = false
        @Option(help: "table, csv or json.") var format: OutputFormat = .table

        func run() async throws {
            let versions = try await global.withDatabase {
                try await ModelStore(connection: $0.connection).versions(selection.selector, activeOnly: active)
            }
            if versions.isEmpty && format == .table {
                return print("no model version matches \(selection.selector)\(active ? " (active only)" : "")")
            }
            let header = ["model", "device", "sensor", "version", "active", "health", "kernel", "features", "SVs", "source", "created (UTC)"]
            let rows = versions.map { model in
                ["\(model.modelID)", model.device, model.sensor, "\(model.version)", model.active ? "yes" : model.challenger ? "challenger" : "",
                 model.health ?? "-",
                 model.kernel, "\(model.features)", "\(model.supportVectors)", model.source, String(model.createdAt.description.prefix(19))]
            }
            try printTable(format, header: header, rows: rows, json: versions)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one model version's details.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Model id.") var modelID: Int64
        @Option(help: "table or json.") var format: SummaryFormat = .table

        /// `models show --format json`: the version and what its payload holds.
        struct Shown: Encodable {
            let version: ModelVersion
            let gamma: Double?
            let coef0: Double?
            let degree: Int?
            let intercept: Double?
            let scaler: String?
            let payloadError: String?
        }

        func run() async throws {
            let (version, model) = try await global.withDatabase { try await ModelStore(connection: $0.connection).version(modelID) }
            if format == .json {
                let decoded = try? model.get()
                return try JSONOutput.print(Shown(
                    version: version, gamma: decoded?.gamma, coef0: decoded?.coef0, degree: decoded?.degree, intercept: decoded?.intercept,
                    scaler: decoded.map { Self.scalerName($0) }, payloadError: (try? model.get()) == nil ? "\(model)" : nil))
            }
            print("model \(modelID): \(version.device)/\(version.sensor) version \(version.version)\(version.active ? " (active)" : "")")
            print("source: \(version.source), payload \(version.payloadBytes) bytes, sha256 \(version.checksum)")
            if let rows = version.trainingRows { print("trained on \(rows) readings in \(String(format: "%.3f", version.fitSeconds ?? 0)) s") }
            print("params: \(version.params)")
            print("health: \(version.health ?? "not checked")\(version.healthReasons == "[]" ? "" : " \(version.healthReasons)")")
            switch model {
            case .success(let model):
                print("kernel \(model.kernel.rawValue), gamma \(model.gamma), coef0 \(model.coef0), degree \(model.degree), \(model.featureCount) features, \(model.supportVectorCount) support vectors, intercept \(model.intercept), scaler \(Self.scalerName(model))")
            case .failure(let error):
                print("payload does not decode: \(error)")
            }
        }

        static func scalerName(_ model: OneClassSVM) -> String {
            switch model.scaler {
            case .standard?: "standard"
            case .minMax?: "minmax"
            case nil: "none"
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a model version as model JSON.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Model id.") var modelID: Int64
        @Option(name: .shortAndLong, help: "Output file (default: standard output).") var output: String?

        func run() async throws {
            let (version, model) = try await global.withDatabase { try await ModelStore(connection: $0.connection).version(modelID) }
            let text = try model.get().jsonDocument(metadataJSON: version.params)
            if let output {
                guard FileManager.default.createFile(atPath: output, contents: Data(text.utf8)) else {
                    throw PgScorerError(.file, "cannot write \(output)")
                }
            } else {
                print(text, terminator: "")
            }
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check models' health (ok, warn or fail, with reasons) and record it on their rows.",
            discussion: """
                Evidence: the series' newest readings for models PgScorer trained, else probes derived from the model (its \
                support vectors, points between them, the centre of its data and points far outside). fail: flags (almost) \
                everything, a constant decision function, or one that cannot be positive; warn: flags nothing, a gamma that \
                makes every point an island or all points alike, a training anomaly rate far from nu. Exit 1 when a checked \
                model fails. SQL: SELECT * FROM pgscorer.unhealthy_models;
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Model ids (default: the selected series' models).") var modelIDs: [Int64] = []
        @OptionGroup var selection: SelectionOptions
        @Flag(help: "Every model of every series.") var all = false
        @Option(help: "table, csv or json.") var format: OutputFormat = .table

        func validate() throws {
            guard all || !modelIDs.isEmpty || selection.device != nil || selection.sensor != nil else {
                throw ValidationError("name models by id, or select them with --device/--sensor, or give --all")
            }
        }

        func run() async throws {
            let checked = try await global.withDatabase {
                try await ModelCheck(connection: $0.connection).run(ids: modelIDs.isEmpty ? nil : modelIDs, selector: selection.selector)
            }
            let rows = checked.map { ["\($0.modelID)", $0.verdict, $0.evidence, $0.reasons.joined(separator: "; ")] }
            try printTable(format, header: ["model", "health", "evidence", "reasons"], rows: rows, json: checked)
            if format == .table {
                let counts = Dictionary(grouping: checked, by: \.verdict).mapValues(\.count)
                print("checked \(checked.count) model(s): \(counts["ok"] ?? 0) ok, \(counts["warn"] ?? 0) warn, \(counts["fail"] ?? 0) fail")
            }
            if checked.contains(where: { $0.verdict == "fail" }) { throw ExitCode(1) }
        }
    }

    struct Activate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a model version the active one for its series.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Model id.") var modelID: Int64
        @Flag(help: "Activate even a model whose health check failed.") var force = false

        func run() async throws {
            try await global.withDatabase { try await ModelStore(connection: $0.connection).activate(modelID, force: force) }
            print("model \(modelID) is active")
        }
    }

    struct Compare: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare each challenger with its champion over the readings both scored (shadow scoring).",
            discussion: "The same figures by SQL: SELECT * FROM pgscorer.model_comparison;")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var selection: SelectionOptions
        @Option(help: "table, csv or json.") var format: OutputFormat = .table

        func run() async throws {
            let comparisons = try await global.withDatabase { try await ModelLifecycle(connection: $0.connection).compare(selection.selector) }
            if comparisons.isEmpty && format == .table { return print("no challenger among \(selection.selector)") }
            // Tables are for people (shares in percent); CSV is data (fractions, snake_case headers).
            let forPeople = format == .table
            func share(_ value: Double?) -> String {
                value.map { forPeople ? String(format: "%.2f%%", 100 * $0) : "\($0)" } ?? (forPeople ? "-" : "")
            }
            func number(_ value: Double?) -> String { value.map { forPeople ? String(format: "%.4f", $0) : "\($0)" } ?? (forPeople ? "-" : "") }
            let header = forPeople
                ? ["device", "sensor", "champion", "challenger", "health", "readings", "agreement", "champion rate", "challenger rate", "score corr."]
                : ["device", "sensor", "champion_version", "challenger_version", "challenger_health", "readings", "agreement", "champion_rate",
                   "challenger_rate", "score_correlation"]
            let rows = comparisons.map { c in
                [c.device, c.sensor, c.championVersion.map { forPeople ? "v\($0)" : "\($0)" } ?? (forPeople ? "-" : ""),
                 forPeople ? "v\(c.challengerVersion)" : "\(c.challengerVersion)", c.challengerHealth ?? (forPeople ? "-" : ""), "\(c.readings)",
                 share(c.agreement), share(c.championRate), share(c.challengerRate), number(c.scoreCorrelation)]
            }
            try printTable(format, header: header, rows: rows, json: comparisons)
        }
    }

    struct Promote: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make challengers that meet the conditions their series' champions.",
            discussion: """
                Each promotion is one transaction through pgscorer.promote_challenger (by SQL: SELECT \
                pgscorer.promote_challenger(series_id, 'reason');) and a row of pgscorer.deployments. A challenger whose \
                health check failed is refused unless --force, and so is a challenger replaced since it was compared. Jobs \
                already running finish with the model they claimed (the challenger shadow-scored them); jobs still queued \
                move to the new champion, and the next ticks score with it. Without --device or --sensor it acts on the \
                whole fleet: it shows what it would do and asks, or needs --yes. A user who gives no threshold is held to \
                --min-agreement 0.95 and --min-readings 100. --dry-run says what would happen and changes nothing.
                """)
        @OptionGroup var global: GlobalOptions
        @OptionGroup var selection: SelectionOptions
        @Option(name: .customLong("min-agreement"), help: "Least share of readings both label alike (0 turns the check off).")
        var minAgreement = 0.95
        @Option(name: .customLong("max-rate-change"), help: "Largest change of anomaly rate allowed, e.g. 0.01 (one point).") var maxRateChange: Double?
        @Option(name: .customLong("min-readings"), help: "Least readings scored by both.") var minReadings = 100
        @Option(help: "Why, recorded with each promotion.") var reason: String?
        @Flag(help: "Promote a challenger whose health check failed.") var force = false
        @Flag(name: .customLong("dry-run"), help: "Say what would be promoted, and what not and why; change nothing.") var dryRun = false
        @Flag(help: "Promote across the whole fleet without asking.") var yes = false
        @Option(help: "table or json.") var format: SummaryFormat = .table

        func validate() throws {
            if !(0...1).contains(minAgreement) { throw ValidationError("--min-agreement must be between 0 and 1") }
            if let maxRateChange, !(0...1).contains(maxRateChange) { throw ValidationError("--max-rate-change must be between 0 and 1") }
            if minReadings < 0 { throw ValidationError("--min-readings must be 0 or more") }
        }

        func run() async throws {
            var conditions = ModelLifecycle.Conditions()
            conditions.minAgreement = minAgreement > 0 ? minAgreement : nil
            conditions.maxRateChange = maxRateChange
            conditions.minReadings = minReadings
            conditions.force = force
            let nothing = "no challenger among \(selection.selector)"
            let fleetWide = selection.device == nil && selection.sensor == nil
            try await global.withDatabase { session in
                let lifecycle = ModelLifecycle(connection: session.connection)
                func promote(dryRun: Bool) async throws -> [ModelLifecycle.Change] {
                    try await lifecycle.promote(selection.selector, conditions: conditions, reason: reason, dryRun: dryRun)
                }
                if dryRun || (fleetWide && !yes) {
                    let preview = try await promote(dryRun: true)
                    try ModelsCommand.report(preview, done: "would promote", format: format, nothing: nothing, failOnRefusal: false)
                    let qualifying = preview.filter { $0.refused == nil }.count
                    guard !dryRun, qualifying > 0 else { return }
                    guard Confirmation.ask("Promote the challengers of these \(qualifying) series, across the fleet?") else {
                        print("nothing was promoted: a fleet-wide promotion needs --yes at no terminal (or choose series with --device/--sensor)")
                        return
                    }
                }
                try ModelsCommand.report(try await promote(dryRun: false), done: "promoted", format: format, nothing: nothing)
            }
        }
    }

    struct Rollback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Return each selected series to the champion before its current one.",
            discussion: "Through pgscorer.rollback_champion (by SQL: SELECT pgscorer.rollback_champion(series_id, 'reason');), recorded in pgscorer.deployments.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var selection: SelectionOptions
        @Option(help: "Why, recorded with each rollback.") var reason: String?
        @Flag(name: .customLong("dry-run"), help: "Say what would be rolled back, and what not and why; change nothing.") var dryRun = false
        @Option(help: "table or json.") var format: SummaryFormat = .table

        func validate() throws {
            guard selection.device != nil || selection.sensor != nil else {
                throw ValidationError("select series with --device/--sensor (use --device '*' for the whole fleet)")
            }
        }

        func run() async throws {
            let changes = try await global.withDatabase { session in
                try await ModelLifecycle(connection: session.connection).rollback(
                    selection.selector, reason: reason, dryRun: dryRun)
            }
            try ModelsCommand.report(
                changes, done: dryRun ? "would roll back" : "rolled back", format: format,
                nothing: "no series with a champion among \(selection.selector)", failOnRefusal: !dryRun)
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the changes of champion (newest first): activations, promotions and rollbacks.",
            discussion: "By SQL: SELECT * FROM pgscorer.deployments ORDER BY deployment_id DESC;")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var selection: SelectionOptions
        @Option(help: "At most this many.") var limit = 100
        @Option(help: "table, csv or json.") var format: OutputFormat = .table

        func run() async throws {
            let history = try await global.withDatabase { try await ModelLifecycle(connection: $0.connection).history(selection.selector, limit: limit) }
            let header = ["when (UTC)", "device", "sensor", "action", "model", "previous", "by", "reason"]
            let rows = history.map { d in
                [String(d.deployedAt.description.prefix(19)), d.device, d.sensor, d.action, d.version.map { "v\($0)" } ?? "-",
                 d.previousVersion.map { "v\($0)" } ?? "-", d.deployedBy, d.reason ?? ""]
            }
            try printTable(format, header: header, rows: rows, json: history)
            if history.count == limit {
                // On stderr, so that CSV and JSON stay data.
                FileHandle.standardError.write(Data("the newest \(limit) changes shown; --limit N shows more\n".utf8))
            }
        }
    }

    /// Prints what a promote or rollback did (`done`: "promoted", "would promote", …); exit 1
    /// when a series was left alone, unless `failOnRefusal` is false (a preview).
    static func report(_ changes: [ModelLifecycle.Change], done: String, format: SummaryFormat, nothing: String, failOnRefusal: Bool = true) throws {
        if changes.isEmpty { throw PgScorerError(.notFound, nothing) }  // a selector that matches nothing, as train and export say
        if format == .json {
            try JSONOutput.print(changes)
        } else {
            let made = changes.filter { $0.refused == nil }
            print("\(done) \(made.count) series" + (made.isEmpty ? "" : ": " + made.prefix(20).map(\.series).joined(separator: ", ")))
            for refused in changes.filter({ $0.refused != nil }).prefix(50) { print("  left \(refused.series): \(refused.refused!)") }
        }
        if failOnRefusal, changes.contains(where: { $0.refused != nil }) { throw ExitCode(1) }
    }
}
