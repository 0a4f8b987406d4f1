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
        func column(_ candidates: [String], _ role: String) throws(HeaderError) -> Int {
            let wanted = candidates.map { $0.lowercased() }
            guard let index = names.firstIndex(where: { wanted.contains($0) }) else {
                throw HeaderError(description: "no \(role) column in the header (looked for \(candidates.joined(separator: ", ")); name it with --\(role)-col)")
            }
            return index
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
            do {
                return .long(
                    ts: try column(longColumns.ts, "ts"), device: try column(longColumns.device, "device"),
                    sensor: try column(longColumns.sensor, "sensor"), value: try column(longColumns.value, "value"))
            } catch {
                throw choice == .auto ? wideError : error
            }
        }
    }
}
