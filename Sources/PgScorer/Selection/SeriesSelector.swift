/// Which series a command acts on, as `--device` and `--sensor` give it: an exact name,
/// or a pattern when the text holds `*` or `%` (both stand for any run of characters).
/// Nothing else is special: `_` is a plain underscore. No value selects every series.
package struct SeriesSelector: Sendable, Equatable, CustomStringConvertible {
    package let device: String?
    package let sensor: String?

    package init(device: String? = nil, sensor: String? = nil) {
        self.device = device
        self.sensor = sensor
    }

    /// Every series.
    package static let all = SeriesSelector()

    /// Whether it names one series: a device and a sensor, neither a pattern.
    package var isExact: Bool {
        guard let device, let sensor else { return false }
        return ![device, sensor].contains { $0.contains("*") || $0.contains("%") }
    }

    /// The SQL LIKE pattern (backslash escapes) for `devices` as typed.
    package var devicePattern: String { Self.likePattern(device) }
    package var sensorPattern: String { Self.likePattern(sensor) }

    /// `text` as a LIKE pattern: `*` and `%` match any run, everything else itself.
    package static func likePattern(_ text: String?) -> String {
        guard let text else { return "%" }
        var pattern = ""
        for character in text {
            switch character {
            case "*", "%": pattern.append("%")
            case "_", "\\": pattern.append("\\"); pattern.append(character)
            default: pattern.append(character)
            }
        }
        return pattern
    }

    /// A stored LIKE pattern as a user types it: `%` as `*`, escapes undone
    /// (`boiler-%` → `boiler-*`, `pump\_1` → `pump_1`).
    package static func typed(fromLikePattern pattern: String) -> String {
        var text = "", escaped = false
        for character in pattern {
            if escaped {
                text.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else {
                text.append(character == "%" ? "*" : character)
            }
        }
        return text
    }

    /// The flags as typed (`--device pump-* --sensor temp`), or `all series`.
    package var description: String {
        let flags = [device.map { "--device \($0)" }, sensor.map { "--sensor \($0)" }].compactMap { $0 }
        return flags.isEmpty ? "all series" : flags.joined(separator: " ")
    }
}
