import Foundation

/// A Swift value that can be sent as a statement parameter.
public protocol PostgresEncodable: Sendable {
    /// The parameter's type OID (`.unspecified` lets the server infer it).
    static var postgresType: PostgresDataType { get }
    /// 0 for text format, 1 for binary.
    static var postgresFormat: Int32 { get }
    func encode(into buffer: inout [UInt8])
}

/// An encodable value that can also be an element of a binary array parameter.
public protocol PostgresArrayElement: PostgresEncodable {
    static var postgresArrayType: PostgresDataType { get }
    /// Bytes per encoded element when that is fixed (lets arrays skip a scratch buffer).
    static var postgresFixedWidth: Int? { get }
}

extension PostgresArrayElement {
    public static var postgresFixedWidth: Int? { nil }
}

extension PostgresEncodable {
    public static var postgresFormat: Int32 { 1 }
}

extension Array where Element == UInt8 {
    @inlinable @inline(__always) public mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }
}

extension Int: PostgresArrayElement {
    public static var postgresFixedWidth: Int? { 8 }
    public static var postgresType: PostgresDataType { .int8 }
    public static var postgresArrayType: PostgresDataType { .int8Array }
    @inlinable public func encode(into buffer: inout [UInt8]) { buffer.appendBigEndian(Int64(self)) }
}

extension Int64: PostgresArrayElement {
    public static var postgresFixedWidth: Int? { 8 }
    public static var postgresType: PostgresDataType { .int8 }
    public static var postgresArrayType: PostgresDataType { .int8Array }
    @inlinable public func encode(into buffer: inout [UInt8]) { buffer.appendBigEndian(self) }
}

extension Int32: PostgresArrayElement {
    public static var postgresFixedWidth: Int? { 4 }
    public static var postgresType: PostgresDataType { .int4 }
    public static var postgresArrayType: PostgresDataType { .int4Array }
    @inlinable public func encode(into buffer: inout [UInt8]) { buffer.appendBigEndian(self) }
}

extension Int16: PostgresArrayElement {
    public static var postgresFixedWidth: Int? { 2 }
    public static var postgresType: PostgresDataType { .int2 }
    public static var postgresArrayType: PostgresDataType { .int2Array }
    @inlinable public func encode(into buffer: inout [UInt8]) { buffer.appendBigEndian(self) }
}

extension Double: PostgresArrayElement {
    public static var postgresFixedWidth: Int? { 8 }
    public static var postgresType: PostgresDataType { .float8 }
    public static var postgresArrayType: PostgresDataType { .float8Array }
    @inlinable public func encode(into buffer: inout [UInt8]) { buffer.appendBigEndian(bitPattern) }
}

extension Float: PostgresArrayElement {
    public static var postgresFixedWidth: Int? { 4 }
    public static var postgresType: PostgresDataType { .float4 }
    public static var postgresArrayType: PostgresDataType { .float4Array }
    @inlinable public func encode(into buffer: inout [UInt8]) { buffer.appendBigEndian(bitPattern) }
}

extension Bool: PostgresArrayElement {
    public static var postgresFixedWidth: Int? { 1 }
    public static var postgresType: PostgresDataType { .bool }
    public static var postgresArrayType: PostgresDataType { .boolArray }
    @inlinable public func encode(into buffer: inout [UInt8]) { buffer.append(self ? 1 : 0) }
}

extension String: PostgresArrayElement {
    /// Sent untyped in text format so the server can read it as any type whose input
    /// accepts the text (timestamptz, interval, jsonb, enums, …).
    public static var postgresType: PostgresDataType { .unspecified }
    public static var postgresArrayType: PostgresDataType { .textArray }
    public static var postgresFormat: Int32 { 0 }
    public func encode(into buffer: inout [UInt8]) { buffer.append(contentsOf: utf8) }
}

/// Raw bytes, sent as `bytea`.
public struct PostgresBytes: PostgresEncodable, Hashable {
    public var bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public static var postgresType: PostgresDataType { .bytea }
    public func encode(into buffer: inout [UInt8]) { buffer.append(contentsOf: bytes) }
}

extension Data: PostgresEncodable {
    public static var postgresType: PostgresDataType { .bytea }
    public func encode(into buffer: inout [UInt8]) { buffer.append(contentsOf: self) }
}

extension UUID: PostgresEncodable {
    public static var postgresType: PostgresDataType { .uuid }
    public func encode(into buffer: inout [UInt8]) {
        withUnsafeBytes(of: uuid) { buffer.append(contentsOf: $0) }
    }
}

/// JSON text sent as `jsonb`.
public struct PostgresJSONB: PostgresEncodable, Hashable {
    public var text: String
    public init(_ text: String) { self.text = text }
    public static var postgresType: PostgresDataType { .jsonb }
    public func encode(into buffer: inout [UInt8]) {
        buffer.append(1)  // jsonb binary format version
        buffer.append(contentsOf: text.utf8)
    }
}

extension Array: PostgresEncodable where Element: PostgresArrayElement {
    public static var postgresType: PostgresDataType { Element.postgresArrayType }
    public static var postgresFormat: Int32 { 1 }
    /// One-dimensional binary array: ndim, has-null flag, element OID, length, lower
    /// bound, then each element as length + bytes.
    @inlinable public func encode(into buffer: inout [UInt8]) {
        buffer.appendBigEndian(Int32(isEmpty ? 0 : 1))
        buffer.appendBigEndian(Int32(0))
        let elementType = Element.postgresType == .unspecified ? PostgresDataType.text : Element.postgresType
        buffer.appendBigEndian(elementType.rawValue)
        guard !isEmpty else { return }
        buffer.appendBigEndian(Int32(count))
        buffer.appendBigEndian(Int32(1))
        if let width = Element.postgresFixedWidth {
            buffer.reserveCapacity(buffer.count + count * (4 + width))
            for value in self {
                buffer.appendBigEndian(Int32(width))
                value.encode(into: &buffer)
            }
            return
        }
        var element: [UInt8] = []
        for value in self {
            element.removeAll(keepingCapacity: true)
            value.encode(into: &element)
            buffer.appendBigEndian(Int32(element.count))
            buffer.append(contentsOf: element)
        }
    }
}
