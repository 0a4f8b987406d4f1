import ArgumentParser
import Foundation

/// `--read-url`: where read-only commands (status, report, export) read, e.g. a hot
/// standby, so that reports never load the primary the workers write to.
struct ReadOptions: ParsableArguments {
    @Option(
        name: .customLong("read-url"),
        help: ArgumentHelp("A replica to read from (libpq conninfo or URL). Default: $PGSCORER_READ_URL, else the database.", valueName: "url"))
    var readURL: String?

    /// The replica given by the flag or the environment, if any.
    var url: String? {
        readURL ?? ProcessInfo.processInfo.environment["PGSCORER_READ_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }
}
