/// What may name a device or a sensor. Names are printed in terminals, logs and pages,
/// so control characters (ESC, CR, LF…) and the invisible marks that reverse the
/// direction of the text around them are refused, like an empty or overlong name. The
/// database checks the same (`series_names_printable`, migration 0021); this says it
/// with a line number before anything is sent.
package enum SeriesName {
    /// Characters, as PostgreSQL counts them (`length(device) <= 200`).
    package static let maximumLength = 200

    /// Why `name` cannot be a `role` ("device" or "sensor") name, or nil if it can.
    package static func problem(_ name: String, role: String) -> String? {
        if name.isEmpty { return "the \(role) name is empty" }
        if name.unicodeScalars.count > maximumLength {
            return "the \(role) name is \(name.unicodeScalars.count) characters long; at most \(maximumLength)"
        }
        if let bad = name.unicodeScalars.first(where: isUnprintable) {
            return "the \(role) name \(visible(name)) holds \(code(bad)), a \(isBidirectionalControl(bad) ? "text-direction mark" : "control character"), which would garble terminals, logs and pages"
        }
        return nil
    }

    static func isUnprintable(_ scalar: Unicode.Scalar) -> Bool {
        (0x01...0x1F).contains(scalar.value) || (0x7F...0x9F).contains(scalar.value) || isBidirectionalControl(scalar)
    }

    static func isBidirectionalControl(_ scalar: Unicode.Scalar) -> Bool {
        [0x061C, 0x200E, 0x200F].contains(scalar.value) || (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
    }

    /// The name quoted with its unprintable characters spelled out, safe to print.
    static func visible(_ name: String) -> String {
        var text = "'"
        for scalar in name.unicodeScalars.prefix(60) {
            if isUnprintable(scalar) { text += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}" } else { text.unicodeScalars.append(scalar) }
        }
        return text + (name.unicodeScalars.count > 60 ? "…'" : "'")
    }

    static func code(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
