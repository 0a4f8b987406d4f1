import PgClient

/// Durations as users type them: `500ms`, `30s`, `5m`, `1h30m`, `1.5h`, `2d`, and the
/// words PostgreSQL's interval input takes (`1 hour`, `5 minutes`, `1 day 2 hours`).
/// Printed back in the short form (`5m`, `1h30m`).
package enum DurationText {
    private static let units: [(names: [String], microseconds: Double)] = [
        (["us", "µs", "microsecond", "microseconds"], 1),
        (["ms", "millisecond", "milliseconds", "msec", "msecs"], 1e3),
        (["s", "sec", "secs", "second", "seconds"], 1e6),
        (["m", "min", "mins", "minute", "minutes"], 6e7),
        (["h", "hr", "hrs", "hour", "hours"], 3.6e9),
        (["d", "day", "days"], 8.64e10),
        (["w", "week", "weeks"], 6.048e11),
    ]

    /// The duration `text` names, or nil. A bare number is refused (its unit would be a guess).
    package static func parse(_ text: String) -> Duration? {
        let characters = Array(text.lowercased())
        var index = 0
        var total = 0.0
        var parts = 0
        func skipSpaces() { while index < characters.count, characters[index] == " " { index += 1 } }
        skipSpaces()
        while index < characters.count {
            var number = ""
            while index < characters.count, characters[index].isNumber || characters[index] == "." {
                number.append(characters[index])
                index += 1
            }
            skipSpaces()
            var unit = ""
            while index < characters.count, characters[index].isLetter { unit.append(characters[index]); index += 1 }
            skipSpaces()
            guard let value = Double(number), value.isFinite,
                  let scale = units.first(where: { $0.names.contains(unit) })?.microseconds
            else { return nil }
            total += value * scale
            parts += 1
        }
        guard parts > 0, total.isFinite, total < 1e17 else { return nil }
        return .microseconds(Int64(total.rounded()))
    }

    /// `duration` in the short form: `5m`, `1h30m`, `500ms`, `0s`.
    package static func format(_ duration: Duration) -> String {
        var rest = duration.microseconds
        guard rest > 0 else { return rest == 0 ? "0s" : "-" + format(.microseconds(-rest)) }
        var text = ""
        for (suffix, size) in [("d", Int64(86_400_000_000)), ("h", 3_600_000_000), ("m", 60_000_000), ("s", 1_000_000), ("ms", 1_000)] {
            if rest >= size {
                text += "\(rest / size)\(suffix)"
                rest %= size
            }
        }
        if rest > 0 { text += "\(rest)us" }
        return text
    }

    /// A fixed-length interval as PostgreSQL stores it (microseconds only).
    package static func interval(_ duration: Duration) -> PostgresInterval {
        PostgresInterval(microseconds: duration.microseconds)
    }
}
