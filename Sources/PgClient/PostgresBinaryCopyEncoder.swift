/// Builds data in PostgreSQL's binary COPY format (`COPY … FROM STDIN (FORMAT binary)`):
/// a signature header, then per row a field count and each field as length + bytes,
/// then a trailer. Values are encoded as for bound parameters.
public struct PostgresBinaryCopyEncoder: Sendable {
    /// The encoded data so far.
    public var bytes: [UInt8] { storage }
    @usableFromInline var storage: [UInt8] = []

    static let signature: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00]

    public init() {}

    /// The file header; write it once, before the first row.
    public mutating func appendHeader() {
        storage.append(contentsOf: Self.signature)
        storage.appendBigEndian(Int32(0))  // flags
        storage.appendBigEndian(Int32(0))  // header extension length
    }

    /// Starts a row of `fieldCount` fields; append exactly that many values next.
    @inlinable public mutating func beginRow(fieldCount: Int) {
        storage.appendBigEndian(Int16(fieldCount))
    }

    /// Appends one field; nil is SQL NULL. The value's type must match the column's.
    @inlinable public mutating func append(_ value: (some PostgresEncodable)?) {
        guard let value else {
            storage.appendBigEndian(Int32(-1))
            return
        }
        let lengthOffset = storage.count
        storage.appendBigEndian(Int32(0))
        value.encode(into: &storage)
        let length = UInt32(storage.count - lengthOffset - 4)
        storage[lengthOffset] = UInt8(truncatingIfNeeded: length >> 24)
        storage[lengthOffset + 1] = UInt8(truncatingIfNeeded: length >> 16)
        storage[lengthOffset + 2] = UInt8(truncatingIfNeeded: length >> 8)
        storage[lengthOffset + 3] = UInt8(truncatingIfNeeded: length)
    }

    /// The end-of-data marker; write it once, after the last row.
    public mutating func appendTrailer() {
        storage.appendBigEndian(Int16(-1))
    }

    /// Returns the bytes built so far and starts an empty buffer (keeps its capacity).
    public mutating func take() -> [UInt8] {
        let taken = storage
        storage.removeAll(keepingCapacity: true)
        return taken
    }

    public var count: Int { storage.count }
}
