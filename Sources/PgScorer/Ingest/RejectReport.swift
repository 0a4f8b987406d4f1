import Foundation

/// The lines `--skip-bad` left out, as CSV: line number, reason and the line itself.
/// Shared by the parser (malformed lines) and the loader (lines that do not fit their
/// series), so `count` is every line left out. Made without a path, it keeps them in
/// memory instead (the gateway answers with them).
package final class RejectReport {
    private let handle: FileHandle?
    private let writer: CSVWriter?
    private(set) var count = 0
    /// The lines left out, when kept in memory.
    package private(set) var kept: [(bad: BadLine, raw: String)] = []

    package init() {
        handle = nil
        writer = nil
    }

    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw PgScorerError(.file, "cannot write the reject report \(path)")
        }
        self.handle = handle
        let writer = CSVWriter(handle: handle)
        writer.row(["line", "reason", "content"])
        self.writer = writer
    }

    func add(_ bad: BadLine, raw: String) {
        if let writer { writer.row(["\(bad.line)", bad.reason, raw]) } else { kept.append((bad, raw)) }
        count += 1
    }

    func close() throws { try handle?.close() }
}
