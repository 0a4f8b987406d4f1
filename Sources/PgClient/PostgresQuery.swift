/// SQL text written in the source as a literal. It deliberately does not support
/// string interpolation, so values cannot be spliced into SQL by accident: they go
/// in as bound parameters (`$1`, `$2`, …).
public struct SQLText: Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let text: String
    public init(stringLiteral value: StaticString) { text = value.description }
    /// SQL assembled at run time (identifiers, migration files). The caller vouches
    /// that no untrusted value is part of it.
    public init(unsafeSQL text: String) { self.text = text }
    public var description: String { text }
}

/// A statement with its bound parameter values. A query with a `name` is prepared on
/// a connection the first time it runs there and executed as a prepared statement after.
public struct PostgresQuery: Sendable {
    public var sql: SQLText
    public var bindings: [PostgresBinding]
    /// Name of the query, used for the prepared statement and in error messages.
    public var name: String?

    public init(_ sql: SQLText, _ values: [(any PostgresEncodable)?] = [], name: String? = nil) {
        self.sql = sql
        self.name = name
        self.bindings = values.map { PostgresBinding($0) }
    }

    public init(_ sql: SQLText, bindings: [PostgresBinding], name: String? = nil) {
        self.sql = sql
        self.name = name
        self.bindings = bindings
    }
}

/// A named, preparable statement; `bind` pairs it with values.
public struct PreparedQuery: Sendable {
    public let name: String
    public let sql: SQLText

    public init(name: String, _ sql: SQLText) {
        self.name = name
        self.sql = sql
    }

    public func bind(_ values: (any PostgresEncodable)?...) -> PostgresQuery {
        PostgresQuery(sql, values, name: name)
    }
}

/// One encoded parameter value: its type, wire format and bytes (nil is SQL NULL).
public struct PostgresBinding: Sendable {
    public var type: PostgresDataType
    /// 0 = text, 1 = binary, as libpq's paramFormats.
    public var format: Int32
    public var bytes: [UInt8]?

    public init(type: PostgresDataType, format: Int32, bytes: [UInt8]?) {
        self.type = type
        self.format = format
        self.bytes = bytes
    }

    public init(_ value: (any PostgresEncodable)?) {
        guard let value else {
            self.init(type: .unspecified, format: 0, bytes: nil)
            return
        }
        var buffer: [UInt8] = []
        value.encode(into: &buffer)
        let valueType = Swift.type(of: value)
        self.init(type: valueType.postgresType, format: valueType.postgresFormat, bytes: buffer)
    }
}
