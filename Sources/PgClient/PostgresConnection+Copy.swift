import CLibPQ

extension PostgresConnection {
    /// Streams data into `COPY … FROM STDIN`. `body` writes the data (text, CSV or
    /// binary, as the statement says) through the writer, which sends it in chunks
    /// so memory stays bounded. Returns the number of rows copied. If `body` throws,
    /// the COPY is aborted (nothing is loaded) and the error is rethrown; a server
    /// error (a bad row) carries the line in its `context`.
    @discardableResult
    public func copyFrom(
        _ sql: SQLText, name: String? = nil,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresCopyWriter) async throws -> Void
    ) async throws -> Int {
        try await run { session in
            let result = PQexec(session.handle, sql.text)
            try session.check(result, statementName: name, expecting: [PGRES_COPY_IN])
            PQclear(result)
        }
        let writer = PostgresCopyWriter(connection: self)
        do {
            try await body(writer)
            try await writer.flush()
        } catch {
            let reason = "aborted by client: \(error)"
            _ = try? await run { session in
                PQputCopyEnd(session.handle, reason)
                _ = try session.drainResults(statementName: name)
            }
            throw error
        }
        return try await run { session in
            guard PQputCopyEnd(session.handle, nil) == 1 else { throw session.connectionError(statementName: name) }
            return try session.drainResults(statementName: name)
        }
    }

    /// Streams `COPY … TO STDOUT` to `body` in chunks of whole rows (about 256 KiB
    /// each), never holding the whole output. Returns the number of rows copied.
    @discardableResult
    public func copyTo(
        _ sql: SQLText, name: String? = nil,
        isolation: isolated (any Actor)? = #isolation,
        _ body: ([UInt8]) async throws -> Void
    ) async throws -> Int {
        try await run { session in
            let result = PQexec(session.handle, sql.text)
            try session.check(result, statementName: name, expecting: [PGRES_COPY_OUT])
            PQclear(result)
        }
        while true {
            let (chunk, finished) = try await run { session in try session.readCopyChunk(statementName: name) }
            if !chunk.isEmpty {
                do {
                    try await body(chunk)
                } catch {
                    // Stop the server and discard the rest so the connection is usable again.
                    requestCancel()
                    _ = try? await run { session in
                        while try !session.readCopyChunk(statementName: name).finished {}
                        _ = try? session.drainResults(statementName: name)
                    }
                    throw error
                }
            }
            if finished { break }
        }
        return try await run { session in try session.drainResults(statementName: name) }
    }
}

/// Writes COPY data for `copyFrom`, buffering and sending it in chunks.
/// Used only inside the `copyFrom` body that received it.
public final class PostgresCopyWriter {
    private let connection: PostgresConnection
    private var buffer: [UInt8] = []
    static let chunkSize = 256 * 1024

    init(connection: PostgresConnection) {
        self.connection = connection
        buffer.reserveCapacity(Self.chunkSize + 4096)
    }

    /// Adds bytes; sends a chunk to the server whenever enough have accumulated.
    public func write(_ bytes: [UInt8]) async throws {
        if buffer.isEmpty && bytes.count >= Self.chunkSize {
            try await send(bytes)  // already a whole chunk: no need to copy it
            return
        }
        buffer.append(contentsOf: bytes)
        if buffer.count >= Self.chunkSize { try await flush() }
    }

    public func write(_ text: String) async throws { try await write(Array(text.utf8)) }

    /// Sends what is buffered now.
    public func flush() async throws {
        guard !buffer.isEmpty else { return }
        let chunk = buffer
        buffer.removeAll(keepingCapacity: true)
        try await send(chunk)
    }

    private func send(_ chunk: [UInt8]) async throws {
        try await connection.run { session in
            let sent = chunk.withUnsafeBufferPointer { pointer in
                pointer.withMemoryRebound(to: CChar.self) {
                    PQputCopyData(session.handle, $0.baseAddress, Int32($0.count))
                }
            }
            guard sent == 1 else { throw session.connectionError(statementName: nil) }
        }
    }
}

extension PostgresConnection.Session {
    /// Collects COPY OUT rows until about a chunk's worth or the end of the data.
    func readCopyChunk(statementName: String?) throws -> (chunk: [UInt8], finished: Bool) {
        var chunk: [UInt8] = []
        while chunk.count < PostgresCopyWriter.chunkSize {
            var row: UnsafeMutablePointer<CChar>?
            let length = PQgetCopyData(handle, &row, 0)
            if length == -1 { return (chunk, true) }
            if length < 0 { throw connectionError(statementName: statementName) }
            if let row {
                row.withMemoryRebound(to: UInt8.self, capacity: Int(length)) {
                    chunk.append(contentsOf: UnsafeBufferPointer(start: $0, count: Int(length)))
                }
                PQfreemem(row)
            }
        }
        return (chunk, false)
    }

    /// Reads the results that end a COPY; returns its row count or throws its error.
    func drainResults(statementName: String?) throws -> Int {
        var rows = 0
        var failure: PostgresError?
        while let result = PQgetResult(handle) {
            defer { PQclear(result) }
            switch PQresultStatus(result) {
            case PGRES_COMMAND_OK:
                rows = Int(String(cString: PQcmdTuples(result))) ?? 0
            case PGRES_COPY_IN:
                // Only reached if the end-of-copy message could not be sent.
                PQputCopyEnd(handle, "client gave up")
            default:
                failure = failure ?? PostgresError(
                    result: result, statementName: statementName, connectionLost: PQstatus(handle) != CONNECTION_OK)
            }
            if PQstatus(handle) != CONNECTION_OK { break }
        }
        if let failure { throw failure }
        if PQstatus(handle) != CONNECTION_OK { throw connectionError(statementName: statementName) }
        return rows
    }
}
