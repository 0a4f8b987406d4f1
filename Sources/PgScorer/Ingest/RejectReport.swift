import Foundation

/// The lines `--skip-bad` left out, as CSV: line number, reason and the line itself.
/// Shared by the parser (malformed lines) and the loader (lines that do not fit their
/// series), so `count` is every line left out.
package final class RejectReport {
    private let handle: FileHandle
    private let writer: CSVWriter
    private(set) var count = 0

    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw PgScorerError(.file, "cannot write the reject report \(path)")
        }
        self.handle = handle
        writer = CSVWriter(handle: handle)
        writer.row(["line", "reason", "content"])
    }

    func add(_ bad: BadLine, raw: String) {
        writer.row(["\(bad.line)", bad.reason, raw])
        count += 1
    }

    func close() throws { try handle.close() }
}
