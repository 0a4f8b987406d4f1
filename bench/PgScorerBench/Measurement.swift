import ArgumentParser
import Foundation
import Spawn
import Kernels

/// Repeated timings of one thing: median and range.
struct Measurement {
    var seconds: [Double] = []

    var median: Double {
        let sorted = seconds.sorted()
        guard !sorted.isEmpty else { return .nan }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
    var min: Double { seconds.min() ?? .nan }
    var max: Double { seconds.max() ?? .nan }

    /// Times `body` `runs` times.
    static func run(_ runs: Int, _ body: () async throws -> Void) async rethrows -> Measurement {
        var measurement = Measurement()
        for _ in 0..<runs {
            let started = ContinuousClock.now
            try await body()
            let elapsed = ContinuousClock.now - started
            measurement.seconds.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        return measurement
    }
}

/// Formats a rate like `1.23 M/s`.
func formatRate(_ perSecond: Double) -> String {
    switch perSecond {
    case 1e6...: String(format: "%.2f M/s", perSecond / 1e6)
    case 1e3...: String(format: "%.1f k/s", perSecond / 1e3)
    default: String(format: "%.1f /s", perSecond)
    }
}

/// Runs a program and waits; throws if it fails.
func runProcess(_ executable: String, _ arguments: [String]) throws {
    let status = try ChildProcess(executable: executable, arguments: arguments, environment: ProcessInfo.processInfo.environment, output: .inherit)
        .waitUntilExit()
    guard status == 0 else {
        throw ValidationError("\(executable) \(arguments.joined(separator: " ")) exited with \(status)")
    }
}

/// Runs a Python baseline script from bench/ and parses the JSON line it prints last
/// (its other output, warnings included, is passed over).
func runPythonBaseline(_ python: String, script: String, _ arguments: [String]) throws -> JSONValue {
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(script).path
    let log = FileManager.default.temporaryDirectory.appendingPathComponent("pgscorer-bench-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log").path
    defer { try? FileManager.default.removeItem(atPath: log) }
    let status = try ChildProcess(
        executable: "/usr/bin/env", arguments: [python, path] + arguments, environment: ProcessInfo.processInfo.environment, outputPath: log
    ).waitUntilExit()
    let lines = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n")
    guard status == 0, let parsed = lines.reversed().lazy.compactMap({ try? JSONValue.parse(Array($0.utf8)) }).first else {
        throw ValidationError("the Python baseline \(script) \(arguments.joined(separator: " ")) failed: \(lines.suffix(5).joined(separator: "\n"))")
    }
    return parsed
}

/// The numbers of a JSON array (non-numbers are skipped).
func numbers(_ value: JSONValue?) -> [Double] {
    guard case .array(let values)? = value else { return [] }
    return values.compactMap { if case .number(let number, _) = $0 { number } else { nil } }
}

/// Every measurement of a suite, saved as CSV and JSON next to the printed table under
/// bench/results/ (ignored by git). Values are numbers, strings or arrays of numbers
/// (each run's seconds; joined with ";" in the CSV).
struct ResultsFile {
    let suite: String
    private var records: [[String: Any]] = []

    init(suite: String) { self.suite = suite }

    mutating func add(_ record: [String: Any]) { records.append(record) }

    func save() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("results")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        formatter.timeZone = TimeZone(identifier: "UTC")
        let base = folder.appendingPathComponent("\(suite)-\(formatter.string(from: Date()))")
        let json = try JSONSerialization.data(withJSONObject: ["suite": suite, "measurements": records], options: [.prettyPrinted, .sortedKeys])
        try json.write(to: base.appendingPathExtension("json"))
        let keys = Set(records.flatMap(\.keys)).sorted()
        func cell(_ value: Any?) -> String {
            switch value {
            case let values as [Double]: values.map { "\($0)" }.joined(separator: ";")
            case let value?: "\(value)"
            case nil: ""
            }
        }
        let lines = [keys.joined(separator: ",")] + records.map { record in keys.map { cell(record[$0]) }.joined(separator: ",") }
        try (lines.joined(separator: "\n") + "\n").write(to: base.appendingPathExtension("csv"), atomically: true, encoding: .utf8)
        print("results: \(base.path).csv, \(base.path).json")
    }
}
