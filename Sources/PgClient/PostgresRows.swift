import CLibPQ

/// The rows of a finished statement. Owns the libpq `PGresult`, which is immutable
/// once created and therefore safe to read from any thread; freed on deinit.
public final class PostgresRows: @unchecked Sendable, RandomAccessCollection {
    /// A result column: its name and type.
    public struct Column: Sendable {
        public let name: String
        public let type: PostgresDataType
    }

    private let result: OpaquePointer  // PGresult *
    public let columns: [Column]
    public let count: Int
    /// Rows affected by INSERT/UPDATE/DELETE/COPY (0 for other statements).
    public let affectedRows: Int
    /// The command tag, e.g. `INSERT 0 5`, `COMMIT`, `ROLLBACK`.
    public let commandTag: String
    let statementName: String?
    private let columnIndex: [String: Int]

    init(result: OpaquePointer, statementName: String?) {
        self.result = result
        self.statementName = statementName
        count = Int(PQntuples(result))
        let columnCount = Int(PQnfields(result))
        columns = (0..<columnCount).map { index in
            Column(
                name: String(cString: PQfname(result, Int32(index))),
                type: PostgresDataType(rawValue: PQftype(result, Int32(index))))
        }
        var index: [String: Int] = [:]
        for (position, column) in columns.enumerated() where index[column.name] == nil {
            index[column.name] = position
        }
        columnIndex = index
        affectedRows = Int(String(cString: PQcmdTuples(result))) ?? 0
        commandTag = String(cString: PQcmdStatus(result))
    }

    deinit { PQclear(result) }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }
    public subscript(position: Int) -> PostgresRow { PostgresRow(rows: self, index: position) }

    /// The only row; throws unless there is exactly one.
    public func single() throws -> PostgresRow {
        guard count == 1 else {
            throw PostgresError(.usage, message: "expected exactly one row, got \(count)", statementName: statementName)
        }
        return self[0]
    }

    func columnPosition(_ name: String) throws -> Int {
        guard let position = columnIndex[name] else {
            throw PostgresError(
                .decoding, message: "no column named \"\(name)\" (columns: \(columns.map(\.name).joined(separator: ", ")))",
                statementName: statementName)
        }
        return position
    }

    func decode<T: PostgresDecodable>(row: Int, column: Int, as _: T.Type) throws -> T {
        guard column >= 0, column < columns.count else {
            throw PostgresError(.decoding, message: "column #\(column) out of range (\(columns.count) columns)", statementName: statementName)
        }
        let info = columns[column]
        if PQgetisnull(result, Int32(row), Int32(column)) != 0 { return try null(row: row, column: column, as: T.self) }
        let length = Int(PQgetlength(result, Int32(row), Int32(column)))
        let bytes = UnsafeRawBufferPointer(start: PQgetvalue(result, Int32(row), Int32(column)), count: length)
        do {
            return try T.decode(bytes, type: info.type)
        } catch let mismatch as PostgresDecodingMismatch {
            throw PostgresError(
                .decoding, message: "column \"\(info.name)\" (\(info.type)) as \(T.self): \(mismatch.reason)",
                statementName: statementName)
        }
    }

    /// SQL NULL as a `T`: nil for Optionals, an error otherwise. Kept out of `decode`
    /// so its hot path instantiates no generic metadata (Optional<T>) per value.
    @inline(never)
    private func null<T: PostgresDecodable>(row: Int, column: Int, as _: T.Type) throws -> T {
        if let nullable = T.self as? any PostgresNullable.Type, let null = nullable.null as? T { return null }
        throw PostgresError(
            .decoding, message: "column \"\(columns[column].name)\" is NULL in row \(row); decode it as an Optional",
            statementName: statementName)
    }

    /// Raw bytes of a value without copying (nil for NULL); valid while `self` lives.
    func withBytes<R>(row: Int, column: Int, _ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
        if PQgetisnull(result, Int32(row), Int32(column)) != 0 { return try body(nil) }
        let length = Int(PQgetlength(result, Int32(row), Int32(column)))
        return try body(UnsafeRawBufferPointer(start: PQgetvalue(result, Int32(row), Int32(column)), count: length))
    }
}

/// One row of a result; decode columns by position or name.
public struct PostgresRow: Sendable {
    let rows: PostgresRows
    let index: Int

    public func decode<T: PostgresDecodable>(_ column: Int, as type: T.Type = T.self) throws -> T {
        try rows.decode(row: index, column: column, as: type)
    }

    public func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try rows.decode(row: index, column: try rows.columnPosition(column), as: type)
    }

    /// True when the value in `column` is SQL NULL.
    public func isNull(_ column: Int) -> Bool { rows.withBytes(row: index, column: column) { $0 == nil } }
}

/// Types with a NULL value: decoding SQL NULL as one of them yields `null`.
public protocol PostgresNullable {
    static var null: Self { get }
}

extension Optional: PostgresNullable {
    public static var null: Optional<Wrapped> { nil }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws -> Wrapped? {
        try Wrapped.decode(bytes, type: type)
    }
}

extension PostgresRow {
    /// Appends the elements of a `float8[]` column to `buffer` without building an
    /// intermediate array (hot path for feature vectors); returns how many it appended.
    public func appendFloat8Array(_ column: Int, to buffer: inout [Double]) throws -> Int {
        try rows.withBytes(row: index, column: column) { bytes in
            guard let bytes else {
                throw PostgresError(.decoding, message: "column #\(column) is NULL; expected float8[]", statementName: rows.statementName)
            }
            guard rows.columns[column].type == .float8Array else {
                throw PostgresError(
                    .decoding, message: "column \"\(rows.columns[column].name)\" is \(rows.columns[column].type), not float8[]",
                    statementName: rows.statementName)
            }
            do {
                var reader = BinaryReader(bytes)
                let dimensions = try reader.read(Int32.self)
                _ = try reader.read(Int32.self)
                _ = try reader.read(UInt32.self)
                guard dimensions != 0 else { return 0 }
                guard dimensions == 1 else { throw PostgresDecodingMismatch("\(dimensions)-dimensional array") }
                let count = Int(try reader.read(Int32.self))
                _ = try reader.read(Int32.self)
                guard count >= 0, count * 12 <= reader.remaining else { throw PostgresDecodingMismatch("corrupt array length") }
                for element in 0..<count {
                    guard try reader.read(Int32.self) == 8 else { throw PostgresDecodingMismatch("element \(element + 1) is NULL or not a float8") }
                    buffer.append(Double(bitPattern: try reader.read(UInt64.self)))
                }
                return count
            } catch let mismatch as PostgresDecodingMismatch {
                throw PostgresError(
                    .decoding, message: "column \"\(rows.columns[column].name)\": \(mismatch.reason)", statementName: rows.statementName)
            }
        }
    }
}
