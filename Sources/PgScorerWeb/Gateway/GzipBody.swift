import CZlib

/// Request bodies sent with `Content-Encoding: gzip` (Telegraf's InfluxDB outputs do by
/// default), inflated with zlib, to at most `limit` bytes.
enum GzipBody {
    enum Failure: Error {
        case corrupt(String)
        case tooLarge
    }

    static func inflate(_ compressed: [UInt8], limit: Int) throws(Failure) -> [UInt8] {
        var stream = z_stream()
        // 15 + 32: a window of 32 KB, and a gzip or zlib header detected from the data.
        guard inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .corrupt("zlib could not start")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 256 * 1024)
        var input = compressed
        let status: Int32 = input.withUnsafeMutableBufferPointer { source in
            stream.next_in = source.baseAddress
            stream.avail_in = UInt32(source.count)
            var status = Z_OK
            repeat {
                status = chunk.withUnsafeMutableBufferPointer { buffer in
                    stream.next_out = buffer.baseAddress
                    stream.avail_out = UInt32(buffer.count)
                    return CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                output.append(contentsOf: chunk[..<(chunk.count - Int(stream.avail_out))])
                if output.count > limit { return Z_MEM_ERROR }
            } while status == Z_OK
            return status
        }
        if output.count > limit { throw .tooLarge }
        guard status == Z_STREAM_END else {
            throw .corrupt(stream.msg.map { String(cString: $0) } ?? "the compressed body ends early (zlib status \(status))")
        }
        return output
    }
}
