import PgClient

/// Loads readings, all or nothing, losing none silently. The fast way first: series
/// resolved on the client and the rows sent by binary COPY straight into the readings
/// (a statement trigger checks them against their series). If a (series, time) is
/// already stored or repeated in the input, that load is rolled back and the careful
/// way runs on the input again: staged, compared set-wise with what is stored, and
/// settled by the conflict policy. Identical values are never a conflict: loading the
/// same readings twice adds nothing and says how many were already stored.
package struct ReadingStore: Sendable {
    package let connection: PostgresConnection

    package init(connection: PostgresConnection) { self.connection = connection }

    /// What to do when a reading's (series, time) has another value, stored or earlier in the input.
    package enum ConflictPolicy: String, Sendable, CaseIterable {
        /// Stop the load, naming both lines (or the line and the stored value).
        case error
        /// Keep the stored value, or the input's first.
        case keep
        /// Take the input's value (its last, when it repeats one).
        case replace
    }

    /// What one load did.
    package struct LoadSummary: Sendable, Equatable, Encodable {
        /// Readings read from the input.
        package var received = 0
        package var inserted = 0
        /// Readings whose (series, time) was stored with the same value.
        package var alreadyStored = 0
        /// Readings that repeat an earlier one of the input (same series and time).
        package var repeatedInInput = 0
        /// Readings whose stored value differed: kept (`keep`) or replaced (`replace`).
        package var conflictsKept = 0
        package var conflictsReplaced = 0
        package var newSeries = 0
    }

    /// A different value for a (series, time): the load stops under `--on-conflict error`.
    package struct Conflict: Error, CustomStringConvertible, Sendable {
        package let description: String
    }

    /// Loads the readings of `makeSource()`. The fast way may find a repeated key and
    /// need the input again: `replayable` says whether `makeSource` can give it again
    /// (a file can, standard input cannot: it goes the careful way at once).
    /// `reject` takes readings whose feature count differs from their series', with the
    /// reading as text (nil: such a reading stops the load).
    package func load<Source: ReadingSource>(
        policy: ConflictPolicy = .error, replayable: Bool = true, makeSource: () throws -> Source,
        reject: ((BadLine, String) throws -> Void)? = nil
    ) async throws -> LoadSummary {
        if replayable {
            // On Citus a login other than the tables' owner cannot write a month's
            // partitions in the transaction that made them (see PartitionsFirst): they are
            // made on their own and the load starts again, at most once per month.
            var restarts = 0
            while true {
                do {
                    return try await loadDirect(try makeSource(), reject: reject)
                } catch let error as PostgresError where error.raisedSQLState == SQLState.uniqueViolation {
                    break  // a key is stored already or repeats: settle it the careful way
                } catch let needed as PartitionsFirst where restarts < 240 {
                    _ = try await connection.query(ReadingQueries.ensurePartitions.bind(needed.from, needed.to))
                    restarts += 1
                }
            }
        }
        var source = try makeSource()
        do {
            return try await loadStaged(&source, policy: policy, reject: reject)
        } catch let error as PostgresError where error.isWriteAfterOwnersPartition {
            throw PgScorerError(
                .usage,
                "nothing was loaded: on Citus, this login cannot store readings in a month whose partitions the same load "
                    + "made (they are made as the tables' owner). Make the load's months first as the owner, e.g. "
                    + "SELECT pgscorer.ensure_partitions('2026-01-01', '2026-12-31'), then load again")
        }
    }

    /// The months a load reached before Citus refused it (`isWriteAfterOwnersPartition`):
    /// their partitions are made in a statement of their own before it starts again.
    private struct PartitionsFirst: Error {
        let from: PostgresTimestamp
        let to: PostgresTimestamp
    }

    /// Loads readings given in memory.
    package func load(_ readings: [ParsedReading], policy: ConflictPolicy = .error) async throws -> LoadSummary {
        try await load(policy: policy, makeSource: { ArrayReadingSource(readings) })
    }

    // MARK: The fast way

    /// A series as the fast way knows it.
    private struct KnownSeries {
        let id: Int64
        let featureCount: Int
        /// An aggregation reads it: its values are raw samples.
        let holdsSamples: Bool
    }

    /// A series by its names, as readings give it.
    private struct SeriesKey: Hashable {
        let device: String
        let sensor: String
    }

    /// Readings read ahead and sent together: the series of a block are resolved in one
    /// statement and its months' partitions in one call, then one COPY carries it.
    package static let blockSize = 50_000

    /// One transaction of COPY statements straight into the readings, a block at a time.
    /// Before a block's COPY, the series it names that are not known yet are found or
    /// created all at once (a fleet of 20,000 new series costs a statement per block, not
    /// two round trips per series), and the partitions of its months are made. While the
    /// database stores a block, the next one is parsed.
    private func loadDirect<Source: ReadingSource>(
        _ source: consuming Source, reject: ((BadLine, String) throws -> Void)?
    ) async throws -> LoadSummary {
        let reader = BlockReadAhead(source, blockSize: Self.blockSize)
        var reached: (from: PostgresTimestamp, to: PostgresTimestamp)?
        do {
            return try await loadDirectBlocks(reader, reject: reject, reached: &reached)
        } catch let error as PostgresError where error.isWriteAfterOwnersPartition {
            guard let reached else { throw error }
            throw PartitionsFirst(from: reached.from, to: reached.to)
        }
    }

    private func loadDirectBlocks<Source: ReadingSource>(
        _ reader: BlockReadAhead<Source>, reject: ((BadLine, String) throws -> Void)?,
        reached: inout (from: PostgresTimestamp, to: PostgresTimestamp)?
    ) async throws -> LoadSummary {
        try await connection.transaction { connection in
            var summary = LoadSummary()
            var series: [SeriesKey: KnownSeries] = [:]
            var months = Set<Int>()
            var block = try await reader.next()
            while !block.isEmpty {
                let (resolved, created) = try await resolveSeries(of: block, into: &series, on: connection)
                summary.newSeries += created
                if block.contains(where: { !months.contains($0.ts.utcMonth) }) {
                    let times = block.map(\.ts)
                    let (earliest, latest) = (times.min()!, times.max()!)
                    reached = (min(reached?.from ?? earliest, earliest), max(reached?.to ?? latest, latest))
                    _ = try await connection.query(ReadingQueries.ensurePartitions.bind(earliest, latest))
                    months.formUnion(times.map(\.utcMonth))
                }
                // Lines that do not fit their series are settled before the next block is
                // read, as the parser shares the reject report.
                var fitting: [KnownSeries?] = []
                fitting.reserveCapacity(block.count)
                for (reading, found) in zip(block, resolved) {
                    let known = found!  // every name is resolved above: found or created
                    guard reading.features.count == known.featureCount else {
                        let bad = BadLine(
                            line: reading.line,
                            reason: "\(reading.device)/\(reading.sensor) has \(known.featureCount) features per reading, but this line has \(reading.features.count)")
                        guard let reject else { throw bad }
                        try reject(bad, "\(reading.device),\(reading.sensor),\(reading.ts),\(reading.features.map { "\($0)" }.joined(separator: ","))")
                        fitting.append(nil)
                        continue
                    }
                    fitting.append(known)
                }
                let last = block.count < Self.blockSize
                async let upcoming = last ? [] : reader.next()
                // Readings, then the raw samples of series an aggregation reads.
                for samples in [false, true] where fitting.contains(where: { $0?.holdsSamples == samples }) {
                    let copy = samples ? ReadingQueries.copySamplesIn : ReadingQueries.copyIn
                    try await connection.copyFrom(copy, name: samples ? "samples.copy_in" : "readings.copy_in") { writer in
                        var encoder = PostgresBinaryCopyEncoder()
                        encoder.appendHeader()
                        for (reading, fits) in zip(block, fitting) {
                            guard let known = fits, known.holdsSamples == samples else { continue }
                            encoder.beginRow(fieldCount: 4)
                            encoder.append(known.id)
                            encoder.append(reading.ts)
                            encoder.append(Int16(known.featureCount))
                            encoder.append(reading.features)
                            summary.received += 1
                            if encoder.count >= 256 * 1024 { try await writer.write(encoder.take()) }
                        }
                        encoder.appendTrailer()
                        try await writer.write(encoder.take())
                    }
                }
                block = try await upcoming
            }
            summary.inserted = summary.received
            return summary
        }
    }

    /// The series of each reading of `block`, in order: those `known` lacks are found or
    /// created in one statement (a new one gets the feature count of its first reading).
    /// Also returns how many were created.
    private func resolveSeries(
        of block: [ParsedReading], into known: inout [SeriesKey: KnownSeries], on connection: PostgresConnection
    ) async throws -> (resolved: [KnownSeries?], created: Int) {
        var resolved = block.map { known[SeriesKey(device: $0.device, sensor: $0.sensor)] }
        var devices: [String] = [], sensors: [String] = [], featureCounts: [Int16] = []
        var asked = Set<SeriesKey>()
        for (index, reading) in block.enumerated() where resolved[index] == nil {
            guard asked.insert(SeriesKey(device: reading.device, sensor: reading.sensor)).inserted else { continue }
            devices.append(reading.device)
            sensors.append(reading.sensor)
            featureCounts.append(Int16(reading.features.count))
        }
        guard !devices.isEmpty else { return (resolved, 0) }
        var created = 0
        for row in try await connection.query(SeriesQueries.findOrCreateMany.bind(devices, sensors, featureCounts)) {
            let name = SeriesKey(device: try row.decode("device"), sensor: try row.decode("sensor"))
            known[name] = KnownSeries(
                id: try row.decode("series_id"), featureCount: Int(try row.decode("n_features") as Int16),
                holdsSamples: try row.decode("holds_samples"))
            if try row.decode("created") as Bool { created += 1 }
        }
        for index in resolved.indices where resolved[index] == nil {
            resolved[index] = known[SeriesKey(device: block[index].device, sensor: block[index].sensor)]
        }
        return (resolved, created)
    }

    // MARK: The careful way

    /// Stages the input with its line numbers, then settles repeats and conflicts set-wise.
    private func loadStaged<Source: ReadingSource>(
        _ source: inout Source, policy: ConflictPolicy, reject: ((BadLine, String) throws -> Void)?
    ) async throws -> LoadSummary {
        try await connection.executeScript(ReadingQueries.createStage, name: "readings.create_stage")
        return try await connection.transaction { connection in
            var summary = LoadSummary()
            try await connection.copyFrom(ReadingQueries.copyIntoStage, name: "readings.copy_into_stage") { writer in
                var encoder = PostgresBinaryCopyEncoder()
                encoder.appendHeader()
                while let reading = try source.next() {
                    encoder.beginRow(fieldCount: 5)
                    encoder.append(reading.device)
                    encoder.append(reading.sensor)
                    encoder.append(reading.ts)
                    encoder.append(reading.features)
                    encoder.append(Int64(reading.line))
                    summary.received += 1
                    if encoder.count >= 256 * 1024 { try await writer.write(encoder.take()) }
                }
                encoder.appendTrailer()
                try await writer.write(encoder.take())
            }
            summary.newSeries = try await connection.query(PostgresQuery(SeriesQueries.createFromStage)).count
            // Readings whose feature count differs from their series': the first stops the
            // load, or all go to `reject` (and out of the stage).
            let mismatches = try await connection.query(
                PostgresQuery(reject == nil ? ReadingQueries.stagedFeatureMismatch : ReadingQueries.removeStagedMismatches))
            for row in mismatches {
                let bad = BadLine(
                    line: try row.decode("line"),
                    reason: "\(try row.decode("device") as String)/\(try row.decode("sensor") as String) has \(try row.decode("expected") as Int) features per reading, but this line has \(try row.decode("got") as Int? ?? 0)")
                guard let reject else { throw bad }
                try reject(bad, try row.decode("content"))
                summary.received -= 1
            }
            _ = try await connection.query(PostgresQuery(ReadingQueries.ensureStagedPartitions))
            if policy == .error, let row = try await connection.query(PostgresQuery(ReadingQueries.stagedRepeatConflict)).first {
                let name = "\(try row.decode("device") as String)/\(try row.decode("sensor") as String)"
                throw Conflict(description: """
                    lines \(try row.decode("first_line") as Int) and \(try row.decode("other_line") as Int) give \(name) at \(try row.decode("ts") as PostgresTimestamp) \
                    two different values, \(try row.decode("first_value") as String) and \(try row.decode("other_value") as String); nothing was loaded \
                    (--on-conflict keep takes the first, replace the last)
                    """)
            }
            _ = try await connection.execute(ReadingQueries.keepOnePerKey.bind(Int64(policy == .replace ? -1 : 1)))
            let counts = try await connection.query(PostgresQuery(ReadingQueries.keyCounts)).single()
            let keys: Int = try counts.decode("keys")
            let conflicting: Int = try counts.decode("conflicting")
            summary.alreadyStored = try counts.decode("already_stored")
            summary.repeatedInInput = summary.received - keys
            // A raw sample is never replaced: its windows have merged the stored value.
            let conflictingSamples: Int = try counts.decode("conflicting_samples")
            if conflicting > 0 && policy == .error || conflictingSamples > 0 && policy == .replace {
                let row = try await connection.query(ReadingQueries.firstStoredConflict.bind(policy == .replace)).single()
                let sample = try row.decode("into_samples") as Bool
                let advice = policy == .replace
                    ? "--on-conflict replace cannot change a raw sample, as its windows merged the stored value; keep keeps the stored samples"
                    : "--on-conflict keep keeps the stored values, replace takes the new ones"
                throw Conflict(description: """
                    line \(try row.decode("line") as Int): \(try row.decode("device") as String)/\(try row.decode("sensor") as String) at \
                    \(try row.decode("ts") as PostgresTimestamp) is stored as \(try row.decode("stored") as String) but this line gives \
                    \(try row.decode("given") as String); \(sample ? conflictingSamples : conflicting) \(sample ? "sample" : "reading")(s) conflict like this and nothing was loaded \
                    (\(advice))
                    """)
            }
            if policy == .replace {
                summary.conflictsReplaced = try await connection.execute(PostgresQuery(ReadingQueries.replaceStored))
            }
            summary.inserted = try await connection.query(PostgresQuery(ReadingQueries.insertKept)).single().decode("inserted")
            if policy != .replace {
                summary.conflictsKept = conflicting
            }
            return summary
        }
    }
}
