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
