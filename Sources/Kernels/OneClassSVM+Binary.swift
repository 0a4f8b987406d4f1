/// The model's storage encoding (PostgreSQL `bytea`), format version 1, little-endian:
///
/// | bytes | field |
/// | --- | --- |
/// | 4 | magic `PSVM` |
/// | 2 | format version (1) |
/// | 1 | kernel: 0 rbf, 1 linear, 2 poly, 3 sigmoid |
/// | 1 | scaler: 0 none, 1 standard, 2 min-max |
/// | 4 | n_features `d` |
/// | 4 | n_support `n` |
/// | 4 | degree |
/// | 8 × 4 | gamma, coef0, intercept, offset (float64) |
/// | 8 × 2d | scaler: mean & scale (standard) or scale & min (min-max), if any |
/// | 8 × n | dual coefficients |
/// | 8 × n·d | support vectors, row-major |
/// | 4 | CRC-32 of everything before it |
extension OneClassSVM {
    static let magic: [UInt8] = Array("PSVM".utf8)
    public static let binaryFormatVersion: UInt16 = 1
    static let headerSize = 4 + 2 + 1 + 1 + 4 + 4 + 4 + 8 * 4
    /// Upper bounds that keep a corrupt header from asking for absurd allocations.
    static let maxFeatures = 65_536
    static let maxSupportVectors = 10_000_000

    /// The versioned, checksummed binary encoding of this model.
    public func encoded() -> [UInt8] {
        var writer = LittleEndianWriter()
        writer.bytes.append(contentsOf: Self.magic)
        writer.append(Self.binaryFormatVersion)
        writer.append(UInt8(Self.kernelCodes.firstIndex(of: kernel)!))
        switch scaler {
        case nil: writer.append(UInt8(0))
        case .standard: writer.append(UInt8(1))
        case .minMax: writer.append(UInt8(2))
        }
        writer.append(UInt32(featureCount))
        writer.append(UInt32(supportVectorCount))
        writer.append(UInt32(degree))
        for value in [gamma, coef0, intercept, offset] { writer.append(value) }
        switch scaler {
        case nil: break
        case .standard(let mean, let scale): (mean + scale).forEach { writer.append($0) }
        case .minMax(let scale, let min): (scale + min).forEach { writer.append($0) }
        }
        dualCoefficients.forEach { writer.append($0) }
        supportVectors.forEach { writer.append($0) }
        writer.append(CRC32.checksum(writer.bytes))
        return writer.bytes
    }

    /// Decodes and fully validates an encoded model; never reads out of bounds.
    public init(encoded bytes: [UInt8]) throws(ModelError) {
        guard bytes.count >= Self.headerSize + 4 else {
            throw .corruptPayload("\(bytes.count) bytes is shorter than the \(Self.headerSize + 4)-byte minimum")
        }
        guard Array(bytes[0..<4]) == Self.magic else { throw .corruptPayload("not a PgScorer model (bad magic)") }
        var reader = LittleEndianReader(bytes: bytes, offset: 4)
        let version: UInt16 = reader.read()
        guard version == Self.binaryFormatVersion else {
            throw .corruptPayload("format version \(version) is not supported (this build reads \(Self.binaryFormatVersion))")
        }
        let kernelCode: UInt8 = reader.read()
        let scalerCode: UInt8 = reader.read()
        let featureCount = Int(reader.read() as UInt32)
        let count = Int(reader.read() as UInt32)
        let degree = Int(reader.read() as UInt32)
        guard Int(kernelCode) < Self.kernelCodes.count else { throw .corruptPayload("unknown kernel code \(kernelCode)") }
        guard scalerCode <= 2 else { throw .corruptPayload("unknown scaler code \(scalerCode)") }
        guard (1...Self.maxFeatures).contains(featureCount) else {
            throw .corruptPayload("n_features \(featureCount) is out of range")
        }
        guard (1...Self.maxSupportVectors).contains(count) else {
            throw .corruptPayload("n_support \(count) is out of range")
        }
        let scalerValues = scalerCode == 0 ? 0 : 2 * featureCount
        let expected = Self.headerSize + 8 * (scalerValues + count + count * featureCount) + 4
        guard bytes.count == expected else {
            throw .corruptPayload("\(bytes.count) bytes, but the header describes \(expected) (truncated or padded)")
        }
        let stored = LittleEndianReader(bytes: bytes, offset: expected - 4).peekUInt32()
        guard CRC32.checksum(bytes[0..<(expected - 4)]) == stored else {
            throw .corruptPayload("checksum mismatch (the payload was altered or damaged)")
        }
        let gamma: Double = reader.read()
        let coef0: Double = reader.read()
        let intercept: Double = reader.read()
        let offset: Double = reader.read()
        let first = reader.readDoubles(scalerValues / 2)
        let second = reader.readDoubles(scalerValues / 2)
        let scaler: InputScaler? =
            switch scalerCode {
            case 1: .standard(mean: first, scale: second)
            case 2: .minMax(scale: first, min: second)
            default: nil
            }
        let duals = reader.readDoubles(count)
        let vectors = reader.readDoubles(count * featureCount)
        do {
            try self.init(
                kernel: Self.kernelCodes[Int(kernelCode)], gamma: gamma, coef0: coef0, degree: degree,
                featureCount: featureCount, supportVectors: vectors, dualCoefficients: duals,
                intercept: intercept, offset: offset, scaler: scaler)
        } catch {
            throw .corruptPayload("\(error)")
        }
    }

    static let kernelCodes: [Kernel] = [.rbf, .linear, .poly, .sigmoid]
}

struct LittleEndianWriter {
    var bytes: [UInt8] = []
    mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
    mutating func append(_ value: Double) { append(value.bitPattern) }
}

/// Reads little-endian values; callers check the total length first.
struct LittleEndianReader {
    let bytes: [UInt8]
    var offset: Int

    mutating func read<T: FixedWidthInteger>() -> T {
        var value = T.zero
        withUnsafeMutableBytes(of: &value) { target in
            for index in 0..<MemoryLayout<T>.size { target[index] = bytes[offset + index] }
        }
        offset += MemoryLayout<T>.size
        return T(littleEndian: value)
    }

    mutating func read() -> Double { Double(bitPattern: read() as UInt64) }

    mutating func readDoubles(_ count: Int) -> [Double] {
        (0..<count).map { _ in read() as Double }
    }

    func peekUInt32() -> UInt32 {
        var copy = self
        return copy.read()
    }
}
