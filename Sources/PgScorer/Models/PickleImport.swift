import Foundation
import Spawn

/// Turns a scikit-learn pickle into model JSON with the embedded exporter (python3 +
/// NumPy; its restricted unpickler executes nothing from the file).
enum PickleImport {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Exports `paths` in one run of the exporter's folder mode (links to the files
    /// in a private folder); each path maps to its model JSON or to why it failed.
    static func modelJSONs(fromPickles paths: [String]) throws -> [String: Result<Data, Failure>] {
        guard !paths.isEmpty else { return [:] }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("pgscorer-pickle-\(UUID().uuidString)")
        let input = work.appendingPathComponent("in"), output = work.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        for (index, path) in paths.enumerated() {
            let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
            try FileManager.default.createSymbolicLink(
                atPath: input.appendingPathComponent("\(index).pkl").path, withDestinationPath: absolute)
        }
        let script = work.appendingPathComponent("export_sklearn.py")
        try EmbeddedExporter.source.write(to: script, atomically: true, encoding: .utf8)
        let log = work.appendingPathComponent("exporter.log")
        let exporter = try ChildProcess(
            executable: "/usr/bin/env", arguments: ["python3", script.path, input.path, output.path],
            environment: ProcessInfo.processInfo.environment, outputPath: log.path)
        if exporter.waitUntilExit() == 127 { throw Failure(description: "reading pickles needs python3 with NumPy (python3 was not found)") }
        // The exporter reports each failure as "failed  <index>.pkl: <reason>".
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        var reasons: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("failed  ") {
            let rest = line.dropFirst("failed  ".count)
            guard let colon = rest.firstIndex(of: ":") else { continue }
            reasons[String(rest[..<colon])] = rest[rest.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        // Otherwise the last thing it said that is not a progress line ("ok …", "exported …").
        let unexplained = text.split(separator: "\n").last { !$0.hasPrefix("ok ") && !$0.hasPrefix("exported ") }.map(String.init)
            ?? "the exporter failed"
        var results: [String: Result<Data, Failure>] = [:]
        for (index, path) in paths.enumerated() {
            if let data = FileManager.default.contents(atPath: output.appendingPathComponent("\(index).json").path) {
                results[path] = .success(data)
            } else {
                results[path] = .failure(Failure(description: reasons["\(index).pkl"] ?? unexplained))
            }
        }
        return results
    }
}
