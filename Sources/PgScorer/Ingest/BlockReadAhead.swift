import Dispatch

/// Reads readings a block at a time on a thread of its own, so that the next block is
/// parsed while the database stores the one before it: a load then takes about as long
/// as the slower of the two, not their sum.
///
/// The source (a parser, its reject report, its progress line) is not thread-safe; it is
/// touched by one read at a time, and the loader does not touch what the source shares
/// (the reject report) while a read is in flight.
final class BlockReadAhead<Source: ReadingSource>: @unchecked Sendable {
    private var source: Source
    private let blockSize: Int
    private let queue = DispatchQueue(label: "pgscorer.ingest.read-ahead")

    init(_ source: Source, blockSize: Int) {
        self.source = source
        self.blockSize = blockSize
    }

    /// The next block: `blockSize` readings, fewer at the end, none after it.
    func next() async throws -> [ParsedReading] {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try self.readBlock() })
            }
        }
    }

    private func readBlock() throws -> [ParsedReading] {
        var block: [ParsedReading] = []
        block.reserveCapacity(blockSize)
        while block.count < blockSize, let reading = try source.next() { block.append(reading) }
        return block
    }
}
