import Foundation
import TestSupport
import Testing

import PgScorer

/// One rule for every command, as the README states it: 0 done, 1 a runtime fact (one
/// line, no usage), 64 a usage mistake (a mistyped command or flag, a bad value or
/// range), 130 interrupted (tested with the worker's signals in WorkerTests).
@Suite("Exit codes", .serialized)  // one process at a time: forty at once would load the machine the timing tests share
struct ExitCodeTests {
    /// A usage mistake for each command (and a mistyped subcommand, answered with the nearest one).
    static let usageMistakes: [[String]] = [
        ["reprot"], ["models", "promte"], ["report", "--since", "tomorrow"], ["report", "--since", "1d", "--until", "2d"],
        ["export", "predictions", "--since", "banana"], ["enqueue", "--since", "x"], ["train", "--since", "2026-11-25", "--until", "2026-11-24"],
        ["ingest"], ["worker", "--concurrency", "0"], ["serve", "--connections", "0"], ["schedule", "add", "x", "--every", "banana", "--window", "5m"],
        ["models", "promote", "--min-agreement", "2"], ["prune", "--jobs", "1s"], ["prune", "--readings", "2h"],
        ["alerts", "rule", "add", "r", "--kind", "nosuch"], ["status", "--format", "xml"], ["db", "nosuch"], ["health", "--format", "pdf"],
        ["jobs", "retry", "one"], ["series", "resume"], ["migrate", "--nosuch"], ["demo", "--device-count", "0"],
    ]

    /// A runtime fact for each command: a row, series or file that is not there.
    static let runtimeFacts: [[String]] = [
        ["models", "rollback", "--device", "nosuch"], ["models", "promote", "--device", "nosuch"], ["train", "--device", "nosuch"],
        ["enqueue", "--since", "6h", "--device", "nosuch"], ["export", "predictions", "--since", "1d", "--device", "nosuch"],
        ["ingest", "/nonexistent/readings.csv"], ["models", "show", "999999"], ["models", "activate", "999999"], ["jobs", "retry", "999999"],
        ["jobs", "cancel", "999999"], ["schedule", "remove", "nosuch"], ["schedule", "enable", "nosuch"], ["alerts", "ack", "999999"],
        ["alerts", "rule", "remove", "nosuch"],
    ]

    @Test("a usage mistake exits 64 and says what, for every command", arguments: usageMistakes)
    func usage(_ arguments: [String]) async throws {
        try await ScorerFixture.with { fixture in
            let result = try await PgScorerProcess.run(arguments, database: fixture.database)
            #expect(result.status == 64, "pgscorer \(arguments.joined(separator: " ")): \(result.output)")
            #expect(result.output.contains("Error: "), "\(result.output)")
            #expect(!result.output.contains("SQLSTATE") && !result.output.contains("PL/pgSQL"), "\(result.output)")
        }
    }

    @Test("a runtime fact exits 1 with one line saying what, for every command", arguments: runtimeFacts)
    func runtime(_ arguments: [String]) async throws {
        try await ScorerFixture.with { fixture in
            let result = try await PgScorerProcess.run(arguments, database: fixture.database)
            #expect(result.status == 1, "pgscorer \(arguments.joined(separator: " ")): \(result.output)")
            let errors = result.output.split(separator: "\n").filter { $0.hasPrefix("Error: ") }
            #expect(errors.count == 1 && !result.output.contains("USAGE:"), "\(result.output)")
            #expect(!result.output.contains("SQLSTATE") && !result.output.contains("PL/pgSQL"), "\(result.output)")
        }
    }

    @Test("what the database refuses reaches the user as its message alone: no SQLSTATE, statement name or PL/pgSQL context")
    func databaseRefusals() async throws {
        try await ScorerFixture.with { fixture in
            let reader = try await SecurityTests.login(fixture, role: "pgscorer_reader")
            try await fixture.connection.execute("INSERT INTO pgscorer.schedules (name, every, \"window\") VALUES ('s1', '5 minutes', '5 minutes')")
            for arguments in [["jobs", "cancel", "1"], ["schedule", "disable", "s1"], ["prune", "--jobs", "7d"]] {
                let result = try await PgScorerProcess.run(arguments, database: reader)
                #expect(result.status == 1, "\(arguments): \(result.output)")
                let errors = result.output.split(separator: "\n").filter { $0.hasPrefix("Error: ") }
                #expect(errors.count == 1 && errors[0].contains("permission denied") && errors[0].contains("this login lacks the right"), "\(result.output)")
                #expect(!result.output.contains("[42501]") && !result.output.contains("PostgreSQL server"), "\(result.output)")
            }
        }
    }

    @Test("a mistyped subcommand is answered with the nearest one")
    func suggestion() async throws {
        try await ScorerFixture.with { fixture in
            let result = try await PgScorerProcess.run(["reprot", "--since", "1d"], database: fixture.database)
            #expect(result.status == 64 && result.output.contains("Did you mean 'report'?"), "\(result.output)")
            let nested = try await PgScorerProcess.run(["models", "rolback", "--device", "x"], database: fixture.database)
            #expect(nested.status == 64 && nested.output.contains("Did you mean 'rollback'?"), "\(nested.output)")
        }
    }

    @Test("a missing row is a runtime failure: exit 1, one line naming it, no usage text", arguments: [
        (["models", "show", "999999"], "no model 999999"), (["models", "activate", "999999"], "no model 999999"),
        (["schedule", "remove", "nope"], "no schedule named nope"), (["schedule", "enable", "nope"], "no schedule named nope"),
    ])
    func runtimeFailure(arguments: [String], message: String) async throws {
        try await ScorerFixture.with { fixture in
            let result = try await PgScorerProcess.run(arguments, database: fixture.database)
            #expect(result.status == 1, "\(result.output)")
            let lines = result.output.split(separator: "\n")
            #expect(lines == ["Error: \(message)"], "\(result.output)")
        }
    }

    @Test("a mistyped flag is a usage error: exit 64 with usage")
    func usageError() async throws {
        try await ScorerFixture.with { fixture in
            let result = try await PgScorerProcess.run(["models", "show", "--bogus", "3"], database: fixture.database)
            #expect(result.status == 64, "\(result.output)")
            #expect(result.output.contains("Usage: pgscorer models show"), "\(result.output)")
        }
    }
}
