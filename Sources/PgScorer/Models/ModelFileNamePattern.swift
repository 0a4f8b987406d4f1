import Foundation

/// A file-name pattern such as `model_{device}_{sensor}`: the placeholders become
/// captures, everything else must match literally.
package struct ModelFileNamePattern {
    /// The pattern as given.
    package let text: String
    let expression: NSRegularExpression
    let deviceFirst: Bool

    package init(_ pattern: String) throws {
        text = pattern
        guard let device = pattern.range(of: "{device}"), let sensor = pattern.range(of: "{sensor}") else {
            throw PgScorerError(.invalidInput, "--name-pattern must contain {device} and {sensor}, e.g. model_{device}_{sensor}")
        }
        deviceFirst = device.lowerBound < sensor.lowerBound
        var regex = NSRegularExpression.escapedPattern(for: pattern)
        let escapedDevice = NSRegularExpression.escapedPattern(for: "{device}")
        let escapedSensor = NSRegularExpression.escapedPattern(for: "{sensor}")
        // The first placeholder takes the shortest match, the second the rest.
        regex = regex.replacingOccurrences(of: deviceFirst ? escapedDevice : escapedSensor, with: "(.+?)")
        regex = regex.replacingOccurrences(of: deviceFirst ? escapedSensor : escapedDevice, with: "(.+)")
        expression = try NSRegularExpression(pattern: "^" + regex + "$")
    }

    /// (device, sensor) from a file name without extension, or nil if it does not match.
    package func match(_ name: String) -> (String, String)? {
        let range = NSRange(name.startIndex..., in: name)
        guard let result = expression.firstMatch(in: name, range: range), result.numberOfRanges == 3,
              let first = Range(result.range(at: 1), in: name), let second = Range(result.range(at: 2), in: name)
        else { return nil }
        return deviceFirst ? (String(name[first]), String(name[second])) : (String(name[second]), String(name[first]))
    }
}
