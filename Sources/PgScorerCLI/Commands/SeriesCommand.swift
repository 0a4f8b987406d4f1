import ArgumentParser
import PgScorer

/// `pgscorer series`: what is done to series as a whole.
struct SeriesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "series", abstract: "Release held (quarantined) series.", subcommands: [Resume.self])

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Release series held after failing permanently quarantine.after times in a row (a new active model also releases them).",
            discussion: "Held series are listed by pgscorer status and by SQL: SELECT * FROM pgscorer.held_series;")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var selection: SelectionOptions
        @Flag(help: "Every held or failing series.") var all = false

        func validate() throws {
            guard all || selection.device != nil || selection.sensor != nil else {
                throw ValidationError("select series with --device/--sensor, or give --all")
            }
        }

        func run() async throws {
            let released = try await global.withDatabase { try await Quarantine(connection: $0.connection).resume(selection.selector) }
            let held = released.filter(\.held)
            print("released \(held.count) held series\(held.isEmpty ? "" : ": " + held.map { "\($0.device)/\($0.sensor)" }.joined(separator: ", "))"
                + (released.count > held.count ? "; reset the failure count of \(released.count - held.count) more" : ""))
        }
    }
}
