import ArgumentParser

/// How a command prints what it found: an aligned table for people, CSV or JSON for machines.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, csv, json
}
