/// A 5-field cron expression (minute hour day-of-month month day-of-week, UTC) with
/// `*`, numbers, ranges `a-b`, steps `*/n`, `a-b/n` and `a/n` (from a to the end of the
/// range, as in cronie), and lists. Day of week 0 and 7 are Sunday. As in Vixie cron, when both day fields are restricted a day matches if
/// either does. The database validates the same grammar (`pgscorer.cron_error`).
package struct CronExpression: Sendable, Equatable {
    package let minutes: Set<Int>
    let hours: Set<Int>
    let daysOfMonth: Set<Int>
    let months: Set<Int>
    let daysOfWeek: Set<Int>
    let dayOfMonthRestricted: Bool
    let dayOfWeekRestricted: Bool

    package struct ParseError: Error, CustomStringConvertible {
        package let description: String
    }

    package init(_ text: String) throws {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        if fields.count == 6 {
            throw ParseError(description: "cron '\(text)' has 6 fields: seconds are not supported; use 5 (minute hour day-of-month month day-of-week)")
        }
        guard fields.count == 5 else {
            throw ParseError(description: "cron '\(text)' must have 5 fields (minute hour day-of-month month day-of-week), it has \(fields.count)")
        }
        minutes = try Self.parseField(fields[0], 0...59, name: "minute", in: text)
        hours = try Self.parseField(fields[1], 0...23, name: "hour", in: text)
        daysOfMonth = try Self.parseField(fields[2], 1...31, name: "day of month", in: text)
        months = try Self.parseField(fields[3], 1...12, name: "month", in: text)
        daysOfWeek = Set(try Self.parseField(fields[4], 0...7, name: "day of week", in: text).map { $0 % 7 })
        dayOfMonthRestricted = !fields[2].hasPrefix("*")
        dayOfWeekRestricted = !fields[4].hasPrefix("*")
    }

    static func parseField(_ field: String, _ range: ClosedRange<Int>, name: String, in text: String) throws -> Set<Int> {
        func invalid() -> ParseError {
            ParseError(description: "cron '\(text)': invalid \(name) field '\(field)' (allowed: *, \(range.lowerBound)-\(range.upperBound), ranges a-b, steps */n or a/n, lists a,b)")
        }
        var values = Set<Int>()
        for part in field.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard (1...2).contains(pieces.count) else { throw invalid() }
            var step = 1
            if pieces.count == 2 {
                guard let parsed = Int(pieces[1]), (1...range.count).contains(parsed) else { throw invalid() }
                step = parsed
            }
            let span: ClosedRange<Int>
            if pieces[0] == "*" {
                span = range
            } else {
                let bounds = pieces[0].split(separator: "-", omittingEmptySubsequences: false)
                guard (1...2).contains(bounds.count), let low = Int(bounds[0]), range.contains(low) else { throw invalid() }
                // A single value with a step runs to the end of the range: 5/15 is 5-59/15.
                let high = bounds.count == 2 ? Int(bounds[1]) : pieces.count == 2 ? range.upperBound : low
                guard let high, range.contains(high), high >= low else { throw invalid() }
                span = low...high
            }
            values.formUnion(stride(from: span.lowerBound, through: span.upperBound, by: step))
        }
        return values
    }

    /// The latest minute at or before `time` (Unix seconds, UTC) that matches, looking
    /// back at most `lookbackDays`; nil if there is none in that span.
    package func latestTick(atOrBefore time: Int64, lookbackDays: Int = 3_000) -> Int64? {
        let secondsPerDay: Int64 = 86_400
        var day = time >= 0 ? time / secondsPerDay : (time - secondsPerDay + 1) / secondsPerDay
        var latestMinuteOfDay = Int((time - day * secondsPerDay) / 60)
        for _ in 0..<lookbackDays {
            let (month, dayOfMonth, dayOfWeek) = Self.civilDate(daysSinceEpoch: day)
            if months.contains(month) && matchesDay(dayOfMonth: dayOfMonth, dayOfWeek: dayOfWeek) {
                for hour in hours.sorted(by: >) where hour * 60 <= latestMinuteOfDay {
                    let limit = latestMinuteOfDay - hour * 60
                    if let minute = minutes.filter({ $0 <= limit }).max() {
                        return day * secondsPerDay + Int64(hour * 3600 + minute * 60)
                    }
                }
            }
            day -= 1
            latestMinuteOfDay = 24 * 60 - 1
        }
        return nil
    }

    private func matchesDay(dayOfMonth: Int, dayOfWeek: Int) -> Bool {
        switch (dayOfMonthRestricted, dayOfWeekRestricted) {
        case (true, true): daysOfMonth.contains(dayOfMonth) || daysOfWeek.contains(dayOfWeek)
        case (true, false): daysOfMonth.contains(dayOfMonth)
        case (false, true): daysOfWeek.contains(dayOfWeek)
        case (false, false): true
        }
    }

    /// Month (1–12), day of month and day of week (0 = Sunday) of a day number since
    /// 1970-01-01 (Howard Hinnant's civil_from_days).
    static func civilDate(daysSinceEpoch days: Int64) -> (month: Int, day: Int, weekday: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPrime = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * monthPrime + 2) / 5 + 1)
        let month = Int(monthPrime < 10 ? monthPrime + 3 : monthPrime - 9)
        let weekday = Int(((days % 7) + 11) % 7)  // 1970-01-01 was a Thursday (4)
        return (month, day, weekday)
    }
}
