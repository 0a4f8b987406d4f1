/// An MQTT topic shape that names a reading's series, as `--topic` gives it:
/// `plant/{device}/{sensor}` subscribes to `plant/+/+` and reads the device from the
/// second level and the sensor from the third. `{device}` and `{sensor}` are whole
/// levels, each once; `+` matches any one level and a final `#` any rest, as in MQTT.
package struct TopicTemplate: Sendable, Equatable, CustomStringConvertible {
    private enum Level: Equatable {
        case literal(String)
        case device, sensor, any
    }

    private let levels: [Level]
    private let trailingAnything: Bool
    package let description: String

    package struct Invalid: Error, CustomStringConvertible {
        package let description: String
    }

    package init(_ text: String) throws {
        description = text
        var parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        trailingAnything = parts.last == "#"
        if trailingAnything { parts.removeLast() }
        var levels: [Level] = []
        for part in parts {
            switch part {
            case "{device}": levels.append(.device)
            case "{sensor}": levels.append(.sensor)
            case "+": levels.append(.any)
            default:
                if part.contains("{") || part.contains("}") {
                    throw Invalid(description: "--topic '\(text)': '\(part)' mixes a name with text; {device} and {sensor} must each be a whole level, e.g. plant/{device}/{sensor}")
                }
                if part.contains("#") || part.contains("+") {
                    throw Invalid(description: "--topic '\(text)': '\(part)': # may only be the last level and + a whole level")
                }
                levels.append(.literal(part))
            }
        }
        guard levels.filter({ $0 == .device }).count == 1, levels.filter({ $0 == .sensor }).count == 1 else {
            throw Invalid(description: "--topic '\(text)' must hold {device} and {sensor} once each, e.g. plant/{device}/{sensor}")
        }
        self.levels = levels
    }

    /// The subscription: each name a `+`.
    package var filter: String {
        let parts = levels.map { level -> String in
            if case .literal(let text) = level { return text }
            return "+"
        }
        return (parts + (trailingAnything ? ["#"] : [])).joined(separator: "/")
    }

    /// The device and sensor `topic` names, or nil if it does not have this shape.
    package func match(_ topic: String) -> (device: String, sensor: String)? {
        let parts = topic.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == levels.count || (trailingAnything && parts.count >= levels.count) else { return nil }  // `#` also matches its parent level
        var device = "", sensor = ""
        for (level, part) in zip(levels, parts) {
            switch level {
            case .literal(let text): guard part == text else { return nil }
            case .device: device = String(part)
            case .sensor: sensor = String(part)
            case .any: break
            }
        }
        return (device, sensor)
    }
}
