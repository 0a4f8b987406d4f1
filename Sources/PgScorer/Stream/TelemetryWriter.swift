import Logging
import PgClient

/// Where readings came in.
package enum TelemetrySource: String, Sendable {
    case mqtt, http
}

/// Readings received together (an HTTP request, an MQTT message), settled together.
package struct TelemetryBatchItem: Sendable {
    package var source: TelemetrySource
    package var receivedAt: PostgresTimestamp
    package var decoded: DecodedTelemetry

    package init(source: TelemetrySource, receivedAt: PostgresTimestamp, decoded: DecodedTelemetry) {
        self.source = source
        self.receivedAt = receivedAt
        self.decoded = decoded
    }
}

/// What became of one item's readings once their transaction committed.
package struct StoreOutcome: Sendable, Equatable {
    package var stored = 0
    /// Readings whose (series, time) was stored with the same features: a redelivery.
    package var duplicates = 0
    /// Readings not stored (and messages not decoded), each now a dead letter.
    package var rejections: [Rejection] = []

    package init() {}
}

/// Stores batches of telemetry exactly once: a reading whose (series, time) is new is
/// stored; the same features again are a no-op; other features for a stored (series,
/// time), or a repeat within the batch, go to `pgscorer.rejected_readings` with both
/// values, as does everything that could not be decoded. All of it in one transaction,
/// so what a gateway acknowledges after the commit is durable. The fast way first: the
/// batch goes by binary COPY straight into the readings, as `ingest` loads; if a key is
/// already stored, that is rolled back to a savepoint and the batch is staged and settled
/// key by key.
package struct TelemetryWriter {
    private let connection: PostgresConnection
    private let logger: Logger
    /// Series this writer has seen, by name: id, feature count and whether an
    /// aggregation reads it (its values are raw samples). Only committed ones.
    private var series: [KnownName: (id: Int64, featureCount: Int, holdsSamples: Bool)] = [:]

    private struct KnownName: Hashable {
        let device: String
        let sensor: String
    }

    private struct Key: Hashable {
        let series: Int64
        let ts: Int64
    }

    /// One reading on its way: the item it belongs to and its series.
    private struct Unit {
        let item: Int
        let reading: Telemetry
        var seriesID: Int64 = 0
        var holdsSamples = false
    }

    package init(connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    /// Stores `items`, returning each one's outcome in order. Throws only when the
    /// database cannot be reached (or refuses even the dead letters): the caller retries
    /// the same items, which is safe, as stored readings come back as duplicates.
    package mutating func store(_ items: [TelemetryBatchItem]) async throws -> [StoreOutcome] {
        var outcomes = [StoreOutcome](repeating: StoreOutcome(), count: items.count)
        var units: [Unit] = []
        var rejections: [(item: Int, Rejection)] = []
        for (index, item) in items.enumerated() {
            units += item.decoded.readings.map { Unit(item: index, reading: $0) }
            rejections += item.decoded.rejections.map { (index, $0) }
        }
        try await resolveSeries(of: &units, rejecting: &rejections)
        // The months' partitions before the transaction that writes them: on Citus a
        // login other than the tables' owner cannot write partitions the same
        // transaction made (as the owner).
        if !units.isEmpty {
            _ = try await connection.query(StreamQueries.ensureMonths.bind(units.map(\.reading.ts)))
        }
        try await settle(units, rejections, items: items, into: &outcomes)
        return outcomes
    }

    /// Stores `units` and the dead letters `rejections` in one transaction; if the
    /// database refuses a reading (not the connection), halves the batch until the one it
    /// refuses is found, and makes that one a dead letter.
    private mutating func settle(
        _ units: [Unit], _ rejections: [(item: Int, Rejection)], items: [TelemetryBatchItem], into outcomes: inout [StoreOutcome]
    ) async throws {
        do {
            try await transact(units, rejections, items: items, into: &outcomes)
        } catch let error as PostgresError where !error.isConnectionLoss && !error.isTransient && !error.isUnknownSeries {
            if units.count > 1 {
                let half = units.count / 2
                try await settle(Array(units[..<half]), rejections, items: items, into: &outcomes)
                try await settle(Array(units[half...]), [], items: items, into: &outcomes)
                return
            }
            guard let unit = units.first else { throw error }
            logger.warning("the database refused a reading", metadata: ["error": "\(error)"])
            let reading = unit.reading
            let refused = Rejection(
                .malformed, "the database refused it: \(error.message)", device: reading.device, sensor: reading.sensor, ts: reading.ts,
                payload: reading.payload)
            try await transact([], rejections + [(unit.item, refused)], items: items, into: &outcomes)
        }
    }

    /// One transaction: the readings (fast or careful), then the dead letters.
    private func transact(
        _ units: [Unit], _ rejections: [(item: Int, Rejection)], items: [TelemetryBatchItem], into outcomes: inout [StoreOutcome]
    ) async throws {
        var settled = outcomes
        try await connection.transaction { connection in
            var rejections = rejections
            var accepted: [Unit] = []
            accepted.reserveCapacity(units.count)
            var firstAt: [Key: Int] = [:]
            for unit in units {
                let key = Key(series: unit.seriesID, ts: unit.reading.ts.microsecondsSince2000)
                if let earlier = firstAt[key] {
                    let first = accepted[earlier].reading
                    if first.features == unit.reading.features {
                        settled[unit.item].duplicates += 1
                    } else {
                        rejections.append((unit.item, conflict(unit.reading, against: first.features, earlier: true)))
                    }
                    continue
                }
                firstAt[key] = accepted.count
                accepted.append(unit)
            }
            if !accepted.isEmpty {
                try await connection.execute(PostgresQuery(StreamQueries.savepoint))
                do {
                    // Readings, then the raw samples of series an aggregation reads.
                    for samples in [false, true] {
                        let part = accepted.filter { $0.holdsSamples == samples }
                        guard !part.isEmpty else { continue }
                        let copy = samples ? ReadingQueries.copySamplesIn : ReadingQueries.copyIn
                        try await connection.copyFrom(copy, name: samples ? "stream.copy_samples_in" : "stream.copy_in") { writer in
                            try await writer.write(Self.encode(part, withPositions: false))
                        }
                    }
                    try await connection.execute(PostgresQuery(StreamQueries.releaseSavepoint))
                    for unit in accepted { settled[unit.item].stored += 1 }
                } catch let error as PostgresError where error.raisedSQLState == SQLState.uniqueViolation {
                    try await connection.execute(PostgresQuery(StreamQueries.rollbackToSavepoint))
                    try await storeCarefully(accepted, on: connection, settled: &settled, rejections: &rejections)
                }
            }
            if !rejections.isEmpty {
                try await connection.copyFrom(StreamQueries.copyRejected, name: "stream.copy_rejected") { writer in
                    var encoder = PostgresBinaryCopyEncoder()
                    encoder.appendHeader()
                    for (item, rejection) in rejections {
                        encoder.beginRow(fieldCount: 8)
                        encoder.append(items[item].receivedAt)
                        encoder.append(items[item].source.rawValue)
                        encoder.append(rejection.device)
                        encoder.append(rejection.sensor)
                        encoder.append(rejection.ts)
                        encoder.append(rejection.payload)
                        encoder.append(rejection.reason.rawValue)
                        encoder.append(rejection.detail)
                    }
                    encoder.appendTrailer()
                    try await writer.write(encoder.take())
                }
                for (item, rejection) in rejections { settled[item].rejections.append(rejection) }
            }
        }
        outcomes = settled
    }

    /// Stages the batch, stores the new keys and compares the others with what is stored.
    private func storeCarefully(
        _ accepted: [Unit], on connection: PostgresConnection, settled: inout [StoreOutcome], rejections: inout [(item: Int, Rejection)]
    ) async throws {
        try await connection.executeScript(StreamQueries.createStage, name: "stream.create_stage")
        try await connection.copyFrom(StreamQueries.copyIntoStage, name: "stream.copy_into_stage") { writer in
            try await writer.write(Self.encode(accepted, withPositions: true))
        }
        var isNew = [Bool](repeating: false, count: accepted.count)
        var positions: [Key: Int] = [:]
        for (position, unit) in accepted.enumerated() {
            positions[Key(series: unit.seriesID, ts: unit.reading.ts.microsecondsSince2000)] = position
        }
        for row in try await connection.query(PostgresQuery(StreamQueries.insertNewFromStage)) {
            let key = Key(series: try row.decode("series_id"), ts: (try row.decode("ts") as PostgresTimestamp).microsecondsSince2000)
            if let position = positions[key] { isNew[position] = true }
        }
        var conflicting = [Bool](repeating: false, count: accepted.count)
        for row in try await connection.query(PostgresQuery(StreamQueries.stagedConflicts)) {
            let position = Int(try row.decode("position") as Int32)
            conflicting[position] = true
            let unit = accepted[position]
            rejections.append((unit.item, conflict(unit.reading, against: try row.decode("stored"), earlier: false)))
        }
        for (position, unit) in accepted.enumerated() {
            if isNew[position] {
                settled[unit.item].stored += 1
            } else if !conflicting[position] {
                settled[unit.item].duplicates += 1
            }
        }
    }

    private func conflict(_ reading: Telemetry, against other: [Double], earlier: Bool) -> Rejection {
        func text(_ features: [Double]) -> String {
            features.count == 1 ? "\(features[0])" : "[" + features.map { "\($0)" }.joined(separator: ", ") + "]"
        }
        let stored = earlier ? "was received earlier in the same batch as \(text(other))" : "is stored as \(text(other))"
        return Rejection(
            .conflict, "\(reading.device)/\(reading.sensor) at \(reading.ts) \(stored); this reading gives \(text(reading.features))",
            device: reading.device, sensor: reading.sensor, ts: reading.ts, payload: reading.payload)
    }

    private static func encode(_ units: [Unit], withPositions: Bool) -> [UInt8] {
        var encoder = PostgresBinaryCopyEncoder()
        encoder.appendHeader()
        for (position, unit) in units.enumerated() {
            encoder.beginRow(fieldCount: withPositions ? 6 : 4)
            if withPositions { encoder.append(Int32(position)) }
            encoder.append(unit.seriesID)
            encoder.append(unit.reading.ts)
            encoder.append(Int16(unit.reading.features.count))
            encoder.append(unit.reading.features)
            if withPositions { encoder.append(unit.holdsSamples) }
        }
        encoder.appendTrailer()
        return encoder.take()
    }

    /// Finds or creates the series the units name (those not known yet in one
    /// statement, committed at once) and moves readings whose feature count differs from
    /// their series' to `rejections`.
    private mutating func resolveSeries(of units: inout [Unit], rejecting rejections: inout [(item: Int, Rejection)]) async throws {
        var devices: [String] = [], sensors: [String] = [], counts: [Int16] = []
        var asked = Set<KnownName>()
        for unit in units {
            let name = KnownName(device: unit.reading.device, sensor: unit.reading.sensor)
            guard series[name] == nil, asked.insert(name).inserted else { continue }
            devices.append(name.device)
            sensors.append(name.sensor)
            counts.append(Int16(unit.reading.features.count))
        }
        if !devices.isEmpty {
            for row in try await connection.query(SeriesQueries.findOrCreateMany.bind(devices, sensors, counts)) {
                let name = KnownName(device: try row.decode("device"), sensor: try row.decode("sensor"))
                series[name] = (try row.decode("series_id"), Int(try row.decode("n_features") as Int16), try row.decode("holds_samples"))
            }
        }
        var fitting: [Unit] = []
        fitting.reserveCapacity(units.count)
        for var unit in units {
            let reading = unit.reading
            guard let known = series[KnownName(device: reading.device, sensor: reading.sensor)] else {
                // The statement returns every name it is given; never drop a reading if it did not.
                throw PgScorerError(.environment, "series \(reading.device)/\(reading.sensor) was neither found nor created; the batch is tried again")
            }
            guard known.featureCount == reading.features.count else {
                rejections.append((unit.item, Rejection(
                    .features, "\(reading.device)/\(reading.sensor) has \(known.featureCount) features per reading, but this one has \(reading.features.count)",
                    device: reading.device, sensor: reading.sensor, ts: reading.ts, payload: reading.payload)))
                continue
            }
            unit.seriesID = known.id
            unit.holdsSamples = known.holdsSamples
            fitting.append(unit)
        }
        units = fitting
    }

    /// Forgets the series it knows (after an error that may mean one was removed).
    package mutating func forgetSeries() { series.removeAll() }
}

extension PostgresError {
    /// The readings' (or samples') trigger found no such series, another feature count,
    /// or a series that an aggregation started (or stopped) reading: what this writer
    /// remembered is out of date. The flusher forgets the series it knows and tries the
    /// batch again, which finds them anew.
    var isUnknownSeries: Bool { raisedSQLState == SQLState.foreignKeyViolation }

    /// A deadlock or serialization failure with another writer: the same batch succeeds
    /// when tried again, so it is not a reading's fault.
    var isTransient: Bool { sqlState == SQLState.deadlockDetected || sqlState == SQLState.serializationFailure }
}
