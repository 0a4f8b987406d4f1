/// Builds data in PostgreSQL's binary COPY format (`COPY … FROM STDIN (FORMAT binary)`):
/// a signature header, then per row a field count and each field as length + bytes,
/// then a trailer. Values are encoded as for bound parameters.
public struct PostgresBinaryCopyEncoder: Sendable {
    public private(set) var bytes: [UInt8] = []

    static let signature: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00]

    public init() {}

    /// The file header; write it once, before the first row.
    public mutating func appendHeader() {
        bytes.append(contentsOf: Self.signature)
        bytes.appendBigEndian(Int32(0))  // flags
        bytes.appendBigEndian(Int32(0))  // header extension length
    }

    /// Starts a row of `fieldCount` fields; append exactly that many values next.
    public mutating func beginRow(fieldCount: Int) {
        bytes.appendBigEndian(Int16(fieldCount))
    }

    /// Appends one field; nil is SQL NULL. The value's type must match the column's.
    public mutating func append(_ value: (some PostgresEncodable)?) {
        guard let value else {
            bytes.appendBigEndian(Int32(-1))
            return
        }
        let lengthOffset = bytes.count
        bytes.appendBigEndian(Int32(0))
        value.encode(into: &bytes)
        let length = Int32(bytes.count - lengthOffset - 4).bigEndian
        withUnsafeBytes(of: length) { lengthBytes in
            for index in 0..<4 { bytes[lengthOffset + index] = lengthBytes[index] }
        }
    }

    /// The end-of-data marker; write it once, after the last row.
    public mutating func appendTrailer() {
        bytes.appendBigEndian(Int16(-1))
    }

    /// Returns the bytes built so far and starts an empty buffer (keeps its capacity).
    public mutating func take() -> [UInt8] {
        let taken = bytes
        bytes.removeAll(keepingCapacity: true)
        return taken
    }

    public var count: Int { bytes.count }
}
