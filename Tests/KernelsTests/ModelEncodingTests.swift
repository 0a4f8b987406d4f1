import Foundation
import Kernels
import Testing

@Suite("Model binary encoding")
struct ModelEncodingTests {
    static func sampleModel(scaler: InputScaler? = .standard(mean: [1, 2, 3], scale: [0.5, 2, 4])) throws -> OneClassSVM {
        try OneClassSVM(
            kernel: .rbf, gamma: 0.25, coef0: 0, degree: 3, featureCount: 3,
            supportVectors: (0..<30).map { Double($0) * 0.1 - 1 }, dualCoefficients: (0..<10).map { 0.05 + Double($0) * 0.01 },
            intercept: -0.7, offset: 0.7, scaler: scaler)
    }

    @Test("encoding round-trips every kind of model exactly")
    func roundTrip() throws {
        for fixture in try SklearnFixture.names.map(SklearnFixture.load) {
            let model = fixture.document.model
            #expect(try OneClassSVM(encoded: model.encoded()) == model, "\(fixture.name)")
        }
        #expect(try OneClassSVM(encoded: try Self.sampleModel(scaler: nil).encoded()) == Self.sampleModel(scaler: nil))
    }

    @Test("every truncation of a payload is refused with a precise error")
    func truncations() throws {
        let payload = try Self.sampleModel().encoded()
        for length in 0..<payload.count {
            #expect(throws: ModelError.self) { try OneClassSVM(encoded: Array(payload.prefix(length))) }
        }
        let error = #expect(throws: ModelError.self) { try OneClassSVM(encoded: Array(payload.prefix(payload.count - 9))) }
        #expect("\(error!)".contains("truncated"))
        #expect(throws: ModelError.self) { try OneClassSVM(encoded: payload + [0]) }
    }

    @Test("thousands of random byte flips never crash and are all detected")
    func byteFlips() throws {
        let payload = try Self.sampleModel().encoded()
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5_000 {
            var damaged = payload
            // Distinct positions: two flips of one byte could cancel out and leave it intact.
            let flips = Int.random(in: 1...4, using: &generator)
            var positions = Set<Int>()
            while positions.count < flips {
                positions.insert(Int.random(in: 0..<damaged.count, using: &generator))
            }
            for index in positions { damaged[index] ^= UInt8.random(in: 1...255, using: &generator) }
            #expect(throws: ModelError.self) { try OneClassSVM(encoded: damaged) }
        }
        // Random garbage, including huge declared sizes, is refused without allocating them.
        for _ in 0..<2_000 {
            var garbage = Array("PSVM".utf8) + [1, 0]
            garbage += (0..<Int.random(in: 0..<200, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(throws: ModelError.self) { try OneClassSVM(encoded: garbage) }
        }
    }

    @Test("a payload with a valid checksum but invalid content names the problem")
    func validChecksumBadContent() throws {
        var payload = try Self.sampleModel().encoded()
        // Overwrite gamma (offset 20) with NaN, then fix the checksum.
        let nan = Double.nan.bitPattern.littleEndian
        withUnsafeBytes(of: nan) { for index in 0..<8 { payload[20 + index] = $0[index] } }
        let body = payload.dropLast(4)
        let crc = CRC32.checksum(body).littleEndian
        withUnsafeBytes(of: crc) { for index in 0..<4 { payload[payload.count - 4 + index] = $0[index] } }
        let error = #expect(throws: ModelError.self) { try OneClassSVM(encoded: payload) }
        #expect("\(error!)".contains("gamma"))
    }

    @Test("CRC-32 matches zlib's")
    func crc() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
        // Every length around the 8-byte steps, and an unaligned slice, against zlib's values.
        let text = Array("The quick brown fox jumps over the lazy dog".utf8)
        #expect(CRC32.checksum(text) == 0x414F_A339)
        #expect(CRC32.checksum(text[1...]) == 0xF578_6573)
        var bitwise: [UInt32] = []
        for length in 0...17 {
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in text.prefix(length) {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 == 1 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
            }
            bitwise.append(crc ^ 0xFFFF_FFFF)
        }
        #expect((0...17).map { CRC32.checksum(text.prefix($0)) } == bitwise)
        // Random buffers of every length up to 300, at every alignment, against the bitwise loop.
        var generator = SystemRandomNumberGenerator()
        for length in 0...300 {
            let bytes = (0..<(length + 7)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let slice = bytes[(length % 8)..<(length % 8 + length)]
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in slice {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 == 1 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
            }
            #expect(CRC32.checksum(slice) == crc ^ 0xFFFF_FFFF, "length \(length)")
        }
    }
}
