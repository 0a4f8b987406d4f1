import ArgumentParser
import PgScorer

/// A duration flag: `500ms`, `30s`, `5m`, `1h30m`, `2d`, or words such as `1 hour`.
struct DurationArgument: ExpressibleByArgument, Sendable {
    let duration: Duration

    init(_ duration: Duration) { self.duration = duration }

    init?(argument: String) {
        guard let duration = DurationText.parse(argument) else { return nil }
        self.duration = duration
    }

    var defaultValueDescription: String { DurationText.format(duration) }
}

/// A size flag: `256MB`, `1GB`, `512kB` (powers of 1024).
struct ByteSizeArgument: ExpressibleByArgument, Sendable {
    let bytes: Int

    init(_ bytes: Int) { self.bytes = bytes }

    init?(argument: String) {
        guard let bytes = ByteSize.parse(argument) else { return nil }
        self.bytes = bytes
    }

    var defaultValueDescription: String { ByteSize.format(bytes) }
}
