import ArgumentParser
import Foundation
import Kernels
import Logging
import Synchronization

/// How log lines are written: `text` for people, `json` for log collectors.
enum LogFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case text, json
}

/// One JSON object per line on standard error: `ts` (UTC, ISO 8601 with
/// milliseconds), `level`, `logger`, `message`, then every metadata key as a field
/// (`"job.id": "42"`), so that a collector can filter on them without parsing text.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    /// Lines from concurrent tasks must not interleave.
    private static let output = Mutex(())

    init(label: String, level: Logger.Level) {
        self.label = label
        self.logLevel = level
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { _, new in new } }
        if let extra = event.metadata { fields.merge(extra) { _, new in new } }
        var line = "{\"ts\":\(Self.quote(Self.timestamp())),\"level\":\(Self.quote(event.level.rawValue)),"
        line += "\"logger\":\(Self.quote(label)),\"message\":\(Self.quote(event.message.description))"
        for key in fields.keys.sorted() where !["ts", "level", "logger", "message"].contains(key) {
            line += ",\(Self.quote(key)):\(Self.value(fields[key]!))"
        }
        line += "}\n"
        Self.output.withLock { _ in FileHandle.standardError.write(Data(line.utf8)) }
    }

    private static func value(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text): quote(text)
        case .stringConvertible(let item): quote(item.description)
        case .array(let items): "[" + items.map(Self.value).joined(separator: ",") + "]"
        case .dictionary(let items): "{" + items.keys.sorted().map { quote($0) + ":" + Self.value(items[$0]!) }.joined(separator: ",") + "}"
        }
    }

    /// A JSON string literal (Kernels' JSON writer does the escaping).
    static func quote(_ text: String) -> String { JSONValue.string(text).serialized }

    private static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var time = now.tv_sec
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(now.tv_nsec / 1_000_000))
    }
}
