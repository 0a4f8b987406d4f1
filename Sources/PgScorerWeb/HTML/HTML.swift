import Foundation
import PgClient

/// A piece of HTML that is already safe to send: built only by `html` string
/// interpolation, which escapes every interpolated value unless it is itself `HTML`.
struct HTML: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    var text: String

    init(raw text: String) { self.text = text }
    init(stringLiteral value: String) { text = value }
    init(stringInterpolation: Interpolation) { text = stringInterpolation.text }

    var description: String { text }

    struct Interpolation: StringInterpolationProtocol {
        var text = ""
        init(literalCapacity: Int, interpolationCount: Int) { text.reserveCapacity(literalCapacity * 2) }
        mutating func appendLiteral(_ literal: String) { text += literal }
        mutating func appendInterpolation(_ html: HTML) { text += html.text }
        mutating func appendInterpolation(_ parts: [HTML]) { for part in parts { text += part.text } }
        mutating func appendInterpolation(_ value: String) { text += HTML.escape(value) }
        mutating func appendInterpolation(_ value: String?) { text += HTML.escape(value ?? "") }
        mutating func appendInterpolation<T: BinaryInteger>(_ value: T) { text += String(value) }
        mutating func appendInterpolation(_ value: Double, digits: Int = 2) { text += String(format: "%.\(digits)f", value) }
        mutating func appendInterpolation(_ time: PostgresTimestamp?) { text += HTML.escape(time.map(HTML.format) ?? "—") }
    }

    /// A series as `device/sensor`, each name isolated (`<bdi>`), so that a name in a
    /// right-to-left script, or one stored before names were checked, cannot reorder the
    /// text around it.
    static func series(_ device: String, _ sensor: String) -> HTML { "<bdi>\(device)</bdi>/<bdi>\(sensor)</bdi>" }

    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }

    /// `2026-11-29 13:05:00` (UTC, as everything PgScorer prints).
    static func format(_ time: PostgresTimestamp) -> String { format(unixMicroseconds: time.unixMicroseconds) }

    static func format(unixMicroseconds micros: Int64, seconds showSeconds: Bool = true) -> String {
        var time = time_t(micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000)
        var parts = tm()
        gmtime_r(&time, &parts)
        let date = String(format: "%04d-%02d-%02d %02d:%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min))
        return showSeconds ? date + String(format: ":%02d", Int(parts.tm_sec)) : date
    }

    /// `key=value&…`, percent-encoded, for links that keep a page's filters.
    static func query(_ items: [(String, String?)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~*")
        let pairs = items.compactMap { key, value in
            value.map { "\(key)=\($0.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }
        }
        return pairs.isEmpty ? "" : "?" + pairs.joined(separator: "&")
    }

    /// Seconds as `850 ms`, `12.3 s`, `4 min`, `2.5 h`, `3 d`.
    static func duration(_ seconds: Double) -> String {
        switch abs(seconds) {
        case ..<1: String(format: "%.0f ms", seconds * 1000)
        case ..<120: String(format: "%.1f s", seconds)
        case ..<7200: String(format: "%.0f min", seconds / 60)
        case ..<172_800: String(format: "%.1f h", seconds / 3600)
        default: String(format: "%.0f d", seconds / 86400)
        }
    }

    static func percent(_ rate: Double) -> String { String(format: rate < 0.1 ? "%.2f %%" : "%.1f %%", rate * 100) }
}
