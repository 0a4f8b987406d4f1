import ArgumentParser

/// How a command prints what it found: an aligned table for people, CSV or JSON for machines.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, csv, json
}

/// How a command prints a one-off summary or a single record: for people or for machines
/// (there are no rows to give as CSV, so --format csv is a usage error, not ignored).
enum SummaryFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}
