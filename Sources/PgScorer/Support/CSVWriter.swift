import Foundation

/// Writes CSV (RFC 4180): one row per line, a field quoted only when it holds a comma,
/// a quote or a line break, quotes doubled. Every CSV PgScorer writes goes through it.
package struct CSVWriter {
    private let sink: (String) -> Void

    /// Rows go to `sink`, one string per row with its line break.
    package init(_ sink: @escaping (String) -> Void) { self.sink = sink }

    /// Rows go to `handle`.
    package init(handle: FileHandle) { self.init { handle.write(Data($0.utf8)) } }

    package func row(_ fields: [String]) {
        sink(fields.map(Self.field).joined(separator: ",") + "\n")
    }

    package static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
