import PgClient

/// One reading as a file gives it: its series by name, its time, its features, and the
/// line it came from (for errors and conflicts).
package struct ParsedReading: Sendable, Equatable {
    package var device: String
    package var sensor: String
    package var ts: PostgresTimestamp
    package var features: [Double]
    package var line: Int

    package init(device: String, sensor: String, ts: PostgresTimestamp, features: [Double], line: Int) {
        self.device = device
        self.sensor = sensor
        self.ts = ts
        self.features = features
        self.line = line
    }
}

/// Where a load's readings come from, one at a time.
package protocol ReadingSource {
    /// The next reading, or nil at the end.
    mutating func next() throws -> ParsedReading?
}

/// Readings already in memory (generated fleets, tests).
package struct ArrayReadingSource: ReadingSource {
    private var readings: ArraySlice<ParsedReading>

    package init(_ readings: [ParsedReading]) { self.readings = readings[...] }

    package mutating func next() throws -> ParsedReading? { readings.popFirst() }
}

/// A line that cannot be loaded, with its number and why.
package struct BadLine: Error, CustomStringConvertible, Sendable {
    package let line: Int
    package let reason: String
    package init(line: Int, reason: String) {
        self.line = line
        self.reason = reason
    }
    package var description: String { "line \(line): \(reason)" }
}
