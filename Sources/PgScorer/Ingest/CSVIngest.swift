import Foundation
import PgClient

/// `pgscorer ingest`: a readings CSV (a file, or standard input) into the database
/// through `ReadingStore`, with bad lines stopping the load or, with a reject report,
/// left out and counted.
package struct CSVIngest {
    package var options = CSVOptions()
    /// Where bad lines go; nil: the first bad line stops the load.
    package var rejectPath: String?
    package var policy = ReadingStore.ConflictPolicy.error

    package init() {}

    /// What a load did.
    package struct Result: Sendable, Encodable {
        package var summary: ReadingStore.LoadSummary
        /// Lines left out, in the reject report.
        package var rejected: Int
        package var seconds: Double
        /// The layout and column mapping read from the first line.
        package var layout: String
    }

    /// How far a load has got, for a progress line.
    package struct Progress: Sendable {
        package let rows: Int
        package let bytesRead: Int
        /// The input's size, when known (a file).
        package let totalBytes: Int?
        package let seconds: Double
    }

    /// Loads the file at `path` (nil: standard input), calling `progress` now and then.
    package func load(
        path: String?, into store: ReadingStore, progress: ((Progress) -> Void)? = nil
    ) async throws -> Result {
        let started = ContinuousClock.now
        let totalBytes = path.flatMap { try? FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int }
        var rejects: RejectReport?
        var understood = ""
        let makeSource = { () throws -> ProgressReporting in
            // A second pass (the careful way) starts the reject report afresh.
            try rejects?.close()
            rejects = try rejectPath.map(RejectReport.init(path:))
            guard let handle = path.map(FileHandle.init(forReadingAtPath:)) ?? FileHandle.standardInput else {
                throw PgScorerError(.file, "cannot open \(path ?? "-")")
            }
            let readings = try CSVReadings(
                reader: CSVLineReader(handle: handle, delimiter: options.delimiter), options: options, rejects: rejects)
            understood = readings.understood
            return ProgressReporting(source: readings, totalBytes: totalBytes, started: started, report: progress)
        }
        let reject: ((BadLine, String) throws -> Void)? =
            rejectPath == nil ? nil : { bad, content in rejects?.add(bad, raw: content) }
        let summary = try await store.load(policy: policy, replayable: path != nil, makeSource: makeSource, reject: reject)
        try rejects?.close()
        return Result(summary: summary, rejected: rejects?.count ?? 0, seconds: (ContinuousClock.now - started).seconds, layout: understood)
    }
}

/// Readings of a CSV, reporting progress every 20,000.
struct ProgressReporting: ReadingSource {
    var source: CSVReadings
    let totalBytes: Int?
    let started: ContinuousClock.Instant
    let report: ((CSVIngest.Progress) -> Void)?
    private var rows = 0

    init(source: CSVReadings, totalBytes: Int?, started: ContinuousClock.Instant, report: ((CSVIngest.Progress) -> Void)?) {
        self.source = source
        self.totalBytes = totalBytes
        self.started = started
        self.report = report
    }

    mutating func next() throws -> ParsedReading? {
        guard let reading = try source.next() else { return nil }
        rows += 1
        if rows % 20_000 == 0, let report {
            report(CSVIngest.Progress(
                rows: rows, bytesRead: source.bytesRead, totalBytes: totalBytes, seconds: (ContinuousClock.now - started).seconds))
        }
        return reading
    }
}
