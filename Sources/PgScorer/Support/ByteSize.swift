/// Sizes as users type them: `512kB`, `256MB`, `1.5GB` (powers of 1024), or plain bytes.
package enum ByteSize {
    /// The bytes `text` names, or nil.
    package static func parse(_ text: String) -> Int? {
        let lowered = text.lowercased().replacingOccurrences(of: " ", with: "")
        let units: [(String, Double)] = [
            ("gib", 1_073_741_824), ("gb", 1_073_741_824), ("mib", 1_048_576), ("mb", 1_048_576), ("kib", 1024), ("kb", 1024), ("b", 1),
        ]
        for (suffix, scale) in units where lowered.hasSuffix(suffix) {
            guard let value = Double(lowered.dropLast(suffix.count)), value.isFinite, value >= 0, value * scale < 1e18 else { return nil }
            return Int(value * scale)
        }
        return Int(lowered).flatMap { $0 >= 0 ? $0 : nil }
    }

    /// `bytes` the short way: `256MB`, `1.5GB`, `512kB`.
    package static func format(_ bytes: Int) -> String {
        for (suffix, scale) in [("GB", 1 << 30), ("MB", 1 << 20), ("kB", 1 << 10)] where bytes >= scale {
            let value = Double(bytes) / Double(scale)
            return value == value.rounded() ? "\(Int(value))\(suffix)" : String(format: "%.1f%@", value, suffix)
        }
        return "\(bytes)B"
    }
}
