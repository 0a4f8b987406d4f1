import ArgumentParser
import Foundation
import PgScorer

/// `pgscorer devices`: the credentials devices write to the gateway with.
struct DevicesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices", abstract: "Manage the tokens devices post telemetry to pgscorer stream with.", subcommands: [Token.self])

    struct Token: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add, list and revoke device tokens.",
            discussion: """
                A token writes only its own device (and, with --sensor, only the sensors matching it) through \
                pgscorer stream's HTTP input, sent as Authorization: Bearer TOKEN (or Influx's Token TOKEN). \
                It is printed once; the database keeps only its SHA-256. A revocation holds within a second.
                """,
            subcommands: [Add.self, List.self, Revoke.self])
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a token for DEVICE and print it (once).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The device it writes as.") var device: String
        @Option(help: ArgumentHelp("The sensors it may write: a name, or a pattern with * (default: all).", valueName: "pattern"))
        var sensor: String?
        @Option(help: ArgumentHelp("It stops working after this long, e.g. 90d (default: never).", valueName: "duration"))
        var expires: DurationArgument?

        func validate() throws {
            if let problem = SeriesName.problem(device, role: "device") { throw ValidationError(problem) }
            if let expires, expires.duration < .seconds(60) { throw ValidationError("--expires \(DurationText.format(expires.duration)) is too short: give at least 1m") }
        }

        func run() async throws {
            let (id, token) = try await global.withDatabase {
                try await DeviceTokens.add(device: device, sensors: sensor, expiresIn: expires?.duration, on: $0.connection)
            }
            print(token)
            FileHandle.standardError.write(Data("""
                token \(id) for \(device)\(sensor.map { " (sensors \($0))" } ?? "")\(expires.map { ", expires in \(DurationText.format($0.duration))" } ?? ""); \
                it is shown only now. Post with: curl -H 'Authorization: Bearer \(token.prefix(8))…' --data-binary @lines http://GATEWAY/write

                """.utf8))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tokens (never the tokens themselves).")
        @OptionGroup var global: GlobalOptions
        @Option(help: "table, csv or json.") var format: OutputFormat = .table

        func run() async throws {
            let tokens = try await global.withDatabase { try await DeviceTokens.list(on: $0.connection) }
            try printTable(
                format, header: ["id", "device", "sensors", "state", "created", "by", "expires"],
                rows: tokens.map { token in
                    ["\(token.tokenID)", token.device, token.sensors, token.state, "\(token.createdAt)", token.createdBy, token.expiresAt.map { "\($0)" } ?? "never"]
                }, json: tokens)
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke token ID: its writes are refused within a second.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The token's id (pgscorer devices token list).") var id: Int64

        func run() async throws {
            let revoked = try await global.withDatabase { try await DeviceTokens.revoke(id, on: $0.connection) }
            guard revoked else { throw PgScorerError(.notFound, "no valid token \(id) (pgscorer devices token list shows them)") }
            print("revoked token \(id)")
        }
    }
}
