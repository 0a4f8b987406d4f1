import Foundation

/// A Swift type that can be read from a binary-format result value.
public protocol PostgresDecodable: Sendable {
    /// Decodes `bytes` (never NULL here) of the column type `type`; throws
    /// `PostgresDecodingMismatch` when the type or the bytes do not fit.
    static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws -> Self
}

/// Why a value could not be decoded; the row turns it into a `PostgresError` naming the column.
public struct PostgresDecodingMismatch: Error, Sendable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }

    static func wrongType(_ type: PostgresDataType, _ swiftType: Any.Type) -> Self {
        Self("column type \(type) cannot be decoded as \(swiftType)")
    }
}

/// Bounds-checked big-endian reads over a value's bytes.
struct BinaryReader {
    let bytes: UnsafeRawBufferPointer
    var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    mutating func read<T: FixedWidthInteger>(_: T.Type) throws -> T {
        guard remaining >= MemoryLayout<T>.size else {
            throw PostgresDecodingMismatch("value is truncated: needed \(MemoryLayout<T>.size) more bytes at offset \(offset)")
        }
        let value = T(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += MemoryLayout<T>.size
        return value
    }

    mutating func slice(_ count: Int) throws -> UnsafeRawBufferPointer {
        guard count >= 0, remaining >= count else {
            throw PostgresDecodingMismatch("value is truncated: needed \(count) bytes at offset \(offset)")
        }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
    }
}

extension Int: PostgresDecodable {
    /// Accepts int2, int4, int8 and oid.
    public static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws -> Int {
        var reader = BinaryReader(bytes)
        switch type {
        case .int2: return Int(try reader.read(Int16.self))
        case .int4: return Int(try reader.read(Int32.self))
        case .int8: return Int(try reader.read(Int64.self))
        case .oid: return Int(try reader.read(UInt32.self))
        default: throw PostgresDecodingMismatch.wrongType(type, Int.self)
        }
    }
}

extension Int64: PostgresDecodable {
    public static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws -> Int64 {
        Int64(try Int.decode(bytes, type: type))
    }
}

extension Int32: PostgresDecodable {
    public static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws -> Int32 {
        var reader = BinaryReader(bytes)
        switch type {
        case .int2: return Int32(try reader.read(Int16.self))
        case .int4: return try reader.read(Int32.self)
        default: throw PostgresDecodingMismatch.wrongType(type, Int32.self)
        }
    }
}

extension Int16: PostgresDecodable {
    public static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws -> Int16 {
        guard type == .int2 else { throw PostgresDecodingMismatch.wrongType(type, Int16.self) }
        var reader = BinaryReader(bytes)
        return try reader.read(Int16.self)
    }
}

extension Double: PostgresDecodable {
    /// Accepts float4, float8 and numeric (rounded to the nearest double).
    public static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws -> Double {
        var reader = BinaryReader(bytes)
        switch type {
        case .float8: return Double(bitPattern: try reader.read(UInt64.self))
        case .float4: return Double(Float(bitPattern: try reader.read(UInt32.self)))
        case .numeric:
            let text = try PostgresNumeric.text(bytes)
            guard let value = Double(text) else { return text == "NaN" ? .nan : 0 }
            return value
        default: throw PostgresDecodingMismatch.wrongType(type, Double.self)
        }
    }
}

extension Float: PostgresDecodable {
    public static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws -> Float {
        var reader = BinaryReader(bytes)
        switch type {
        case .float4: return Float(bitPattern: try reader.read(UInt32.self))
        default: throw PostgresDecodingMismatch.wrongType(type, Float.self)
        }
    }
}

extension Bool: PostgresDecodable {
    public static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws -> Bool {
        guard type == .bool, bytes.count == 1 else { throw PostgresDecodingMismatch.wrongType(type, Bool.self) }
        return bytes[0] != 0
    }
}

extension String: PostgresDecodable {
    /// Accepts the text types, enums, json/jsonb (as JSON text), uuid, numeric,
    /// timestamptz (ISO 8601, UTC) and interval (PostgreSQL's interval style).
    public static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws -> String {
        switch type {
        case .jsonb:
            guard bytes.first == 1 else { throw PostgresDecodingMismatch("unknown jsonb format version") }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes.dropFirst()), as: UTF8.self)
        case .uuid: return try UUID.decode(bytes, type: type).uuidString.lowercased()
        case .numeric: return try PostgresNumeric.text(bytes)
        case .timestamptz: return try PostgresTimestamp.decode(bytes, type: type).description
        case .interval: return try PostgresInterval.decode(bytes, type: type).description
        case _ where type.isTextLike: return String(decoding: bytes, as: UTF8.self)
        default: throw PostgresDecodingMismatch.wrongType(type, String.self)
        }
    }
}

extension PostgresBytes: PostgresDecodable {
    public static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws -> PostgresBytes {
        guard type == .bytea else { throw PostgresDecodingMismatch.wrongType(type, PostgresBytes.self) }
        return PostgresBytes(Array(bytes))
    }
}

extension Data: PostgresDecodable {
    public static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws -> Data {
        guard type == .bytea else { throw PostgresDecodingMismatch.wrongType(type, Data.self) }
        return Data(bytes)
    }
}

extension UUID: PostgresDecodable {
    public static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws -> UUID {
        guard type == .uuid, bytes.count == 16 else { throw PostgresDecodingMismatch.wrongType(type, UUID.self) }
        var raw: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &raw) { $0.copyMemory(from: bytes) }
        return UUID(uuid: raw)
    }
}

extension PostgresJSONB: PostgresDecodable {
    public static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws -> PostgresJSONB {
        guard type == .jsonb || type == .json else { throw PostgresDecodingMismatch.wrongType(type, PostgresJSONB.self) }
        return PostgresJSONB(try String.decode(bytes, type: type))
    }
}

extension PostgresTimestamp: PostgresDecodable {
    /// Accepts timestamptz and timestamp (taken as UTC).
    public static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws -> PostgresTimestamp {
        guard type == .timestamptz || type == .timestamp else {
            throw PostgresDecodingMismatch.wrongType(type, PostgresTimestamp.self)
        }
        var reader = BinaryReader(bytes)
        let micros = try reader.read(Int64.self)
        guard micros != .max, micros != .min else { throw PostgresDecodingMismatch("infinite timestamp") }
        return PostgresTimestamp(microsecondsSince2000: micros)
    }
}

extension Date: PostgresDecodable {
    public static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws -> Date {
        try PostgresTimestamp.decode(bytes, type: type).date
    }
}

extension PostgresInterval: PostgresDecodable {
    public static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws -> PostgresInterval {
        guard type == .interval else { throw PostgresDecodingMismatch.wrongType(type, PostgresInterval.self) }
        var reader = BinaryReader(bytes)
        let micros = try reader.read(Int64.self)
        let days = try reader.read(Int32.self)
        let months = try reader.read(Int32.self)
        return PostgresInterval(months: months, days: days, microseconds: micros)
    }
}

extension Array: PostgresDecodable where Element: PostgresDecodable {
    /// One-dimensional arrays without NULL elements (an empty array decodes as `[]`).
    public static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws -> [Element] {
        var reader = BinaryReader(bytes)
        let dimensions = try reader.read(Int32.self)
        _ = try reader.read(Int32.self)  // has-null flag; NULL elements are caught below
        let elementType = PostgresDataType(rawValue: try reader.read(UInt32.self))
        guard dimensions != 0 else { return [] }
        guard dimensions == 1 else {
            throw PostgresDecodingMismatch("\(dimensions)-dimensional array cannot be decoded as \(Self.self)")
        }
        let count = Int(try reader.read(Int32.self))
        _ = try reader.read(Int32.self)  // lower bound
        guard count >= 0, count <= reader.remaining / 4 else { throw PostgresDecodingMismatch("corrupt array length \(count)") }
        var result: [Element] = []
        result.reserveCapacity(count)
        for index in 0..<count {
            let length = Int(try reader.read(Int32.self))
            guard length >= 0 else {
                throw PostgresDecodingMismatch("array element \(index + 1) is NULL, which \(Self.self) cannot hold")
            }
            result.append(try Element.decode(try reader.slice(length), type: elementType))
        }
        return result
    }
}

/// PostgreSQL's binary `numeric`: base-10000 digits with a weight, sign and scale.
enum PostgresNumeric {
    static func text(_ bytes: UnsafeRawBufferPointer) throws -> String {
        var reader = BinaryReader(bytes)
        let digitCount = Int(try reader.read(Int16.self))
        let weight = Int(try reader.read(Int16.self))
        let sign = try reader.read(UInt16.self)
        let scale = Int(try reader.read(UInt16.self))
        switch sign {
        case 0xC000: return "NaN"
        case 0xD000: return "Infinity"
        case 0xF000: return "-Infinity"
        default: break
        }
        var digits: [Int] = []
        for _ in 0..<max(0, digitCount) { digits.append(Int(try reader.read(Int16.self))) }
        var integer = ""
        if weight < 0 {
            integer = "0"
        } else {
            for index in 0...weight {
                let group = index < digits.count ? digits[index] : 0
                integer += index == 0 ? String(group) : String(format: "%04d", group)
            }
        }
        var fraction = ""
        var index = weight + 1
        while fraction.count < scale {
            let group = index >= 0 && index < digits.count ? digits[index] : 0
            fraction += String(format: "%04d", group)
            index += 1
        }
        fraction = String(fraction.prefix(scale))
        let body = scale > 0 ? integer + "." + fraction : integer
        return (sign == 0x4000 ? "-" : "") + body
    }
}
