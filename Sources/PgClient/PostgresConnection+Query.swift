import CLibPQ
import Foundation

extension PostgresConnection {
    /// Runs a statement and returns its rows (results come back in binary format).
    public func query(_ query: PostgresQuery) async throws -> PostgresRows {
        try await runCancellable { session in try session.execute(query) }
    }

    /// Runs a statement given as SQL text plus values; returns its rows.
    public func query(_ sql: SQLText, _ values: (any PostgresEncodable)?...) async throws -> PostgresRows {
        try await query(PostgresQuery(sql, values))
    }

    /// Runs a statement and returns the number of rows it affected.
    @discardableResult
    public func execute(_ query: PostgresQuery) async throws -> Int {
        try await self.query(query).affectedRows
    }

    @discardableResult
    public func execute(_ sql: SQLText, _ values: (any PostgresEncodable)?...) async throws -> Int {
        try await query(PostgresQuery(sql, values)).affectedRows
    }

    /// Runs SQL that may hold several statements and no parameters (migrations, setup),
    /// through libpq's simple-query protocol.
    public func executeScript(_ sql: SQLText, name: String? = nil) async throws {
        try await runCancellable { session in
            let result = PQexec(session.handle, sql.text)
            try session.check(result, statementName: name, expecting: [PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY])
            PQclear(result)
        }
    }
}

extension PostgresConnection.Session {
    /// Executes one statement with bound parameters, preparing named ones on first use.
    func execute(_ query: PostgresQuery) throws -> PostgresRows {
        let bindings = query.bindings
        let types = bindings.map { $0.type.rawValue }
        let formats = bindings.map(\.format)
        let lengths = bindings.map { Int32($0.bytes?.count ?? 0) }
        // All parameter bytes in one buffer; pointers into it never escape this scope.
        // libpq reads text-format values as C strings (ignoring lengths), so every
        // value is NUL-terminated; this also gives a valid base address when empty.
        var offsets: [Int] = []
        var storage: [UInt8] = []
        storage.reserveCapacity(bindings.reduce(0) { $0 + ($1.bytes?.count ?? 0) + 1 })
        for binding in bindings {
            offsets.append(storage.count)
            if let bytes = binding.bytes { storage.append(contentsOf: bytes) }
            storage.append(0)
        }
        storage.append(0)

        if let name = query.name, !isPrepared(name) {
            let result = PQprepare(handle, name, query.sql.text, Int32(types.count), types)
            try check(result, statementName: name, expecting: [PGRES_COMMAND_OK])
            PQclear(result)
            markPrepared(name)
        }

        let result: OpaquePointer? = storage.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            let values: [UnsafePointer<CChar>?] = bindings.indices.map { index in
                bindings[index].bytes == nil ? nil : base + offsets[index]
            }
            if let name = query.name {
                return PQexecPrepared(handle, name, Int32(bindings.count), values, lengths, formats, 1)
            }
            return PQexecParams(handle, query.sql.text, Int32(bindings.count), types, values, lengths, formats, 1)
        }
        try check(result, statementName: query.name, expecting: [PGRES_COMMAND_OK, PGRES_TUPLES_OK])
        return PostgresRows(result: result!, statementName: query.name)
    }

    /// Throws (and frees the result) unless `result` has one of the expected statuses.
    func check(_ result: OpaquePointer?, statementName: String?, expecting statuses: [ExecStatusType]) throws {
        guard let result else { throw connectionError(statementName: statementName) }
        let status = PQresultStatus(result)
        if statuses.contains(status) { return }
        defer { PQclear(result) }
        if status == PGRES_FATAL_ERROR || status == PGRES_NONFATAL_ERROR {
            throw PostgresError(result: result, statementName: statementName, connectionLost: PQstatus(handle) != CONNECTION_OK)
        }
        throw PostgresError(
            .usage, message: "unexpected result status \(String(cString: PQresStatus(status)))",
            statementName: statementName)
    }
}

extension PostgresError {
    /// The server's error fields from a failed `PGresult`.
    init(result: OpaquePointer, statementName: String?, connectionLost: Bool) {
        func field(_ code: Int32) -> String? {
            PQresultErrorField(result, code).map { String(cString: $0) }
        }
        let sqlState = field(CLibPQ_DIAG_SQLSTATE)
        let message = field(CLibPQ_DIAG_MESSAGE_PRIMARY)
            ?? String(cString: PQresultErrorMessage(result)).trimmingCharacters(in: .whitespacesAndNewlines)
        self.init(
            connectionLost && sqlState == nil ? .connectionLost : .server,
            message: message, sqlState: sqlState, severity: field(CLibPQ_DIAG_SEVERITY),
            detail: field(CLibPQ_DIAG_MESSAGE_DETAIL), hint: field(CLibPQ_DIAG_MESSAGE_HINT),
            context: field(CLibPQ_DIAG_CONTEXT), statementName: statementName,
            constraintName: field(CLibPQ_DIAG_CONSTRAINT_NAME))
    }
}
