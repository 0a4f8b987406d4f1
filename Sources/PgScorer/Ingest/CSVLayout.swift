/// How a readings CSV is laid out, worked out from its first line.
package enum CSVLayout: Equatable {
    /// `device,sensor,ts,<feature columns…>`: one reading with all its features per row.
    case wide(featureNames: [String])
    /// A timestamp, a device, a sensor and one value per row, in any column order:
    /// one-feature readings (e.g. `TS,Device,Sensor,Value`).
    case long(ts: Int, device: Int, sensor: Int, value: Int)
    /// One series named on the command line: `timestamp,value[,value…]`, with or
    /// without a header line.
    case single(featureCount: Int, hasHeader: Bool)

    /// The layout the user asked for, if any.
    package enum Choice: String, CaseIterable { case auto, wide, long }

    /// Column names for the long layout, given or the defaults (case-insensitive).
    package struct LongColumns {
        package var ts: [String] = ["ts", "timestamp", "time", "datetime", "date_time"]
        package var device: [String] = ["device", "device_id", "deviceid"]
        package var sensor: [String] = ["sensor", "sensor_id", "sensorid", "tag"]
        package var value: [String] = ["value", "reading", "val"]

        package init() {}
    }

    package struct HeaderError: Error, CustomStringConvertible {
        package let description: String
    }

    /// The layout of a file whose first line is `header`. `singleSeries`: the file is
    /// one series (`--device`/`--sensor` given); `isTimestamp` tells whether a field
    /// reads as a time, so that a first line of data is not taken for a header.
    package static func detect(
        header: [String], choice: Choice, longColumns: LongColumns, singleSeries: Bool = false,
        isTimestamp: (String) -> Bool = { _ in false }
    ) throws(HeaderError) -> CSVLayout {
        let names = header.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        if singleSeries {
            guard names.count >= 2 else {
                throw HeaderError(description: "a file of one series needs a timestamp column and at least one value column; got \(header.joined(separator: ","))")
            }
            return .single(featureCount: names.count - 1, hasHeader: !isTimestamp(header[0].trimmingCharacters(in: .whitespaces)))
        }
        let wideHeader = names.count >= 4 && names[0] == "device" && names[1] == "sensor" && names[2] == "ts"
        func index(_ candidates: [String]) -> Int? {
            let wanted = candidates.map { $0.lowercased() }
            return names.firstIndex { wanted.contains($0) }
        }
        let roles = [("ts", longColumns.ts), ("device", longColumns.device), ("sensor", longColumns.sensor), ("value", longColumns.value)]
        let found = roles.map { index($0.1) }
        /// A long header missing `role`: says so, with the nearest header name that no other role took.
        func missing(_ role: String, _ candidates: [String]) -> HeaderError {
            let taken = Set(found.compactMap { $0 })
            let nearest = header.indices.filter { !taken.contains($0) }
                .map { column in
                    (name: header[column].trimmingCharacters(in: .whitespaces),
                     distance: candidates.map { EditDistance.between($0.lowercased(), names[column]) }.min() ?? 99)
                }
                .min { $0.distance < $1.distance }
            var text = "no \(role) column in the header \(header.joined(separator: ",")) (looked for \(candidates.joined(separator: ", ")))"
            if let nearest, nearest.distance <= 3 {
                text += "; the nearest is '\(nearest.name)': if it is the \(role), say --\(role)-col '\(nearest.name)'"
            } else {
                text += "; name it with --\(role)-col"
            }
            return HeaderError(description: text)
        }
        let wideError = HeaderError(
            description: "header must be device,sensor,ts followed by at least one feature column (wide layout), or name a timestamp, device, sensor and value column (long layout); "
                + "for a file of one series (timestamp,value) give --device and --sensor; got \(header.joined(separator: ","))")
        switch choice {
        case .wide:
            guard wideHeader else { throw wideError }
            return .wide(featureNames: Array(names.dropFirst(3)))
        case .auto where wideHeader:
            return .wide(featureNames: Array(names.dropFirst(3)))
        case .long, .auto:
            if let ts = found[0], let device = found[1], let sensor = found[2], let value = found[3] {
                return .long(ts: ts, device: device, sensor: sensor, value: value)
            }
            // Two roles found make it a long header with a column missing; fewer, no layout at all.
            guard choice == .long || found.compactMap({ $0 }).count >= 2 else { throw wideError }
            let role = roles[found.firstIndex { $0 == nil }!]
            throw missing(role.0, role.1)
        }
    }

    /// What was understood of `header`, for the user: the layout and which column is which.
    package func description(header: [String], device: String?, sensor: String?) -> String {
        let header = header.map { $0.trimmingCharacters(in: .whitespaces) }
        switch self {
        case .wide(let featureNames):
            return "wide layout: device, sensor, ts, then \(featureNames.count) feature(s) per reading: \(featureNames.joined(separator: ", "))"
        case .long(let ts, let device, let sensor, let value):
            return "long layout, one feature per reading: ts ← \(header[ts]), device ← \(header[device]), sensor ← \(header[sensor]), value ← \(header[value])"
        case .single(let featureCount, let hasHeader):
            return "one series \(device ?? "")/\(sensor ?? ""): a timestamp and \(featureCount) value(s) per line, "
                + (hasHeader ? "header line \(header.joined(separator: ","))" : "no header line")
        }
    }
}
