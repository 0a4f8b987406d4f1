import Foundation

/// The lines `--skip-bad` left out, as CSV: line number, reason and the line itself.
struct RejectReport {
    private let handle: FileHandle
    private let writer: CSVWriter

    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw PgScorerError(.file, "cannot write the reject report \(path)")
        }
        self.handle = handle
        writer = CSVWriter(handle: handle)
        writer.row(["line", "reason", "content"])
    }

    func add(_ bad: CSVIngest.BadLine, raw: String) {
        writer.row(["\(bad.line)", bad.reason, raw])
    }

    func close() throws { try handle.close() }
}
