import Foundation
import PgClient
import TestSupport
import Testing

@Suite("PgClient COPY", .serialized)
struct PostgresCopyTests {
    /// Peak resident memory of this process so far (VmHWM), in bytes.
    static func peakResidentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return 0 }
        return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
    }

    static let rowCount = 1_000_000
    static let start = PostgresTimestamp(microsecondsSince2000: 840_000_000_000_000)

    @Test("1M binary rows of (int, timestamptz, float8[5]) stream in and out with bounded memory")
    func binaryRoundTripOfAMillionRows() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            try await connection.execute("CREATE UNLOGGED TABLE reading (id int4, ts timestamptz, features float8[])")
            let peakBefore = Self.peakResidentBytes()

            let copied = try await connection.copyFrom("COPY reading FROM STDIN (FORMAT binary)") { writer in
                var encoder = PostgresBinaryCopyEncoder()
                encoder.appendHeader()
                for id in 0..<Self.rowCount {
                    encoder.beginRow(fieldCount: 3)
                    encoder.append(Int32(id))
                    encoder.append(PostgresTimestamp(microsecondsSince2000: Self.start.microsecondsSince2000 + Int64(id) * 300_000_000))
                    let base = Double(id)
                    encoder.append([base, base + 0.5, -base, 1e-9 * base, 42])
                    if encoder.count > 64 * 1024 { try await writer.write(encoder.take()) }
                }
                encoder.appendTrailer()
                try await writer.write(encoder.take())
            }
            #expect(copied == Self.rowCount)

            let check = try await connection.query(
                "SELECT count(*), sum(features[2]), max(ts) FROM reading").single()
            #expect(try check.decode(0) as Int == Self.rowCount)
            let expectedSum = (0..<Self.rowCount).reduce(0.0) { $0 + Double($1) + 0.5 }
            #expect(try check.decode(1) as Double == expectedSum)
            #expect(try check.decode(2) as PostgresTimestamp
                == PostgresTimestamp(microsecondsSince2000: Self.start.microsecondsSince2000 + Int64(Self.rowCount - 1) * 300_000_000))

            var bytesOut = 0
            var chunks = 0
            var largestChunk = 0
            let exported = try await connection.copyTo("COPY reading TO STDOUT (FORMAT binary)") { chunk in
                bytesOut += chunk.count
                chunks += 1
                largestChunk = max(largestChunk, chunk.count)
            }
            #expect(exported == Self.rowCount)
            // Each row is > 100 bytes, so the whole output is > 100 MB; it must
            // have arrived in chunks and never have been held at once.
            #expect(bytesOut > 100_000_000)
            #expect(chunks > 100)
            #expect(largestChunk < 1_000_000)
            // Holding the output (or the input, as large) at once would add at least its
            // size to the peak. The peak is the whole test process's, which runs other
            // suites meanwhile, so the bound is that size, not a tighter figure.
            let growth = Self.peakResidentBytes() - peakBefore
            #expect(growth < bytesOut, "peak memory grew by \(growth / 1_000_000) MB while streaming \(bytesOut / 1_000_000) MB")
        }
    }

    @Test("CSV COPY in: a bad row fails the whole COPY with its line number and loads nothing")
    func badCSVRow() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            try await connection.execute("CREATE TABLE reading (device text, value float8)")
            let error = await #expect(throws: PostgresError.self) {
                try await connection.copyFrom("COPY reading FROM STDIN (FORMAT csv)") { writer in
                    try await writer.write("pump-1,1.5\npump-2,2.5\npump-3,not-a-number\npump-4,4\n")
                }
            }
            #expect(error?.sqlState == "22P02")
            #expect(error?.context?.contains("line 3") == true)
            let count: Int = try await connection.query("SELECT count(*) FROM reading").single().decode(0)
            #expect(count == 0)
            // The connection is usable afterwards.
            let copied = try await connection.copyFrom("COPY reading FROM STDIN (FORMAT csv)") { writer in
                try await writer.write("pump-1,1.5\n")
            }
            #expect(copied == 1)
        }
    }

    @Test("a COPY whose producer throws is aborted and loads nothing")
    func producerFailure() async throws {
        struct ProducerFailed: Error {}
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            try await connection.execute("CREATE TABLE reading (value float8)")
            await #expect(throws: ProducerFailed.self) {
                try await connection.copyFrom("COPY reading FROM STDIN") { writer in
                    try await writer.write("1\n2\n")
                    try await writer.flush()
                    throw ProducerFailed()
                }
            }
            let count: Int = try await connection.query("SELECT count(*) FROM reading").single().decode(0)
            #expect(count == 0)
        }
    }

    @Test("a consumer that stops early leaves the connection usable")
    func consumerFailure() async throws {
        struct Enough: Error {}
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            await #expect(throws: Enough.self) {
                try await connection.copyTo("COPY (SELECT g FROM generate_series(1, 2000000) g) TO STDOUT") { _ in
                    throw Enough()
                }
            }
            let alive: Int = try await connection.query("SELECT 2").single().decode(0)
            #expect(alive == 2)
        }
    }

    @Test("text COPY out returns exactly the rows in order")
    func textCopyOut() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            var output: [UInt8] = []
            let rows = try await connection.copyTo(
                "COPY (SELECT g, 'dev-' || g FROM generate_series(1, 3) g) TO STDOUT (FORMAT csv)"
            ) { output += $0 }
            #expect(rows == 3)
            #expect(String(decoding: output, as: UTF8.self) == "1,dev-1\n2,dev-2\n3,dev-3\n")
        }
    }
}
