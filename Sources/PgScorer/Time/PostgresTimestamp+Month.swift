import PgClient

extension PostgresTimestamp {
    /// The UTC month it falls in, as year × 12 + month − 1 (partitions are monthly).
    var utcMonth: Int {
        let micros = unixMicroseconds
        let days = (micros >= 0 ? micros : micros - 86_399_999_999) / 86_400_000_000
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPrime = (5 * dayOfYear + 2) / 153
        let month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return Int(year * 12 + month - 1)
    }
}
