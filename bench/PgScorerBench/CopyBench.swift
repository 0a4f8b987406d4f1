import ArgumentParser
import Foundation
import PgClient

/// COPY in and out of (int4, timestamptz, float8[5]) rows through PgClient, next to
/// `psql \copy` of the same rows in the same run.
struct CopyBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy", abstract: "COPY throughput of PgClient vs psql \\copy.")

    @Option(help: "Rows per COPY.") var rows = 1_000_000
    @Option(help: "Repetitions (the median is reported).") var runs = 3
    @Option(help: "psql to compare with.") var psql = "/usr/bin/psql"

    func run() async throws {
        let connection = try await PostgresConnection.connect(ProcessInfo.processInfo.environment["DATABASE_URL"] ?? "")
        try await connection.execute(BenchQueries.dropCopyTableIfExists)
        try await connection.execute(BenchQueries.createCopyTable)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bench_copy_\(getpid()).bin").path
        defer { try? FileManager.default.removeItem(atPath: file) }

        let copyIn = try await Measurement.run(runs) {
            try await connection.execute(BenchQueries.truncateCopyTable)
            try await connection.copyFrom(BenchQueries.copyIn) { writer in
                var encoder = PostgresBinaryCopyEncoder()
                encoder.appendHeader()
                for id in 0..<rows {
                    encoder.beginRow(fieldCount: 3)
                    encoder.append(Int32(id))
                    encoder.append(PostgresTimestamp(microsecondsSince2000: 840_000_000_000_000 + Int64(id) * 300_000_000))
                    let base = Double(id)
                    encoder.append([base, base * 0.5, -base, base + 1, 42])
                    if encoder.count > 256 * 1024 { try await writer.write(encoder.take()) }
                }
                encoder.appendTrailer()
                try await writer.write(encoder.take())
            }
        }
        var exportedBytes = 0
        let copyOut = try await Measurement.run(runs) {
            exportedBytes = 0
            try await connection.copyTo(BenchQueries.copyOut) { exportedBytes += $0.count }
        }
        // The same rows through psql, from and to a file in the same binary format.
        try runProcess(psql, ["-X", "-q", "-c", "\\copy bench_copy TO '\(file)' (FORMAT binary)"])
        let psqlIn = try await Measurement.run(runs) {
            try await connection.execute(BenchQueries.truncateCopyTable)
            try runProcess(psql, ["-X", "-q", "-c", "\\copy bench_copy FROM '\(file)' (FORMAT binary)"])
        }
        let psqlOut = try await Measurement.run(runs) {
            try runProcess(psql, ["-X", "-q", "-c", "\\copy bench_copy TO '/dev/null' (FORMAT binary)"])
        }
        try await connection.execute(BenchQueries.dropCopyTable)

        print("COPY of \(rows) rows (int4, timestamptz, float8[5]), binary, \(exportedBytes / 1_000_000) MB; median of \(runs) (min–max)")
        print("direction  client      rows/s       time s (min–max)    PgClient/psql")
        var results = ResultsFile(suite: "copy")
        for (direction, ours, theirs) in [("in", copyIn, psqlIn), ("out", copyOut, psqlOut)] {
            for (client, measurement) in [("PgClient", ours), ("psql \\copy", theirs)] {
                let ratio = client == "PgClient" ? String(format: "%.2f×", theirs.median / ours.median) : ""
                print(
                    direction.padding(toLength: 11, withPad: " ", startingAt: 0)
                        + client.padding(toLength: 12, withPad: " ", startingAt: 0)
                        + formatRate(Double(rows) / measurement.median).padding(toLength: 13, withPad: " ", startingAt: 0)
                        + String(format: "%.2f (%.2f–%.2f)", measurement.median, measurement.min, measurement.max)
                            .padding(toLength: 20, withPad: " ", startingAt: 0)
                        + ratio)
                results.add([
                    "direction": direction, "client": client, "rows": rows, "seconds": measurement.seconds,
                    "rows_per_second": Double(rows) / measurement.median,
                ])
            }
        }
        try results.save()
        await connection.close()
    }
}
