import Foundation
import Kernels

/// Imports model files, model JSON or scikit-learn pickles, as new model versions:
/// one file, or every model file of a folder with the series taken from each file's
/// name. Files are told by their content, whatever their extension (the reference
/// project's `model_1_1` has none). Every file gets its own outcome; good files are
/// imported even when others fail.
package struct ModelImport {
    /// Where a file's series comes from.
    package enum Series {
        /// Given on the command line (a single file).
        case named(device: String, sensor: String)
        /// From each file's name without its extension.
        case fileName(ModelFileNamePattern)
    }

    /// What became of one imported file.
    package struct Imported: Sendable {
        package let device: String
        package let sensor: String
        package let stored: ModelStore.StoredModel
        package let kernel: String
        package let supportVectors: Int
    }

    let store: ModelStore
    let series: Series
    let activate: Bool
    /// Activate even a model whose health check fails.
    let force: Bool

    package init(store: ModelStore, series: Series, activate: Bool, force: Bool = false) {
        self.store = store
        self.series = series
        self.activate = activate
        self.force = force
    }

    /// What a file holds, by its first bytes.
    package enum Kind: Sendable, Equatable {
        case modelJSON, pickle
        /// Neither: left out of a folder import.
        case other
    }

    /// A pickle of protocol 2 or later starts with 0x80; JSON with `{` (after blanks);
    /// an older pickle is taken at its `.pkl`/`.joblib` name (the exporter reads it).
    package static func kind(of path: String) -> Kind {
        guard let handle = FileHandle(forReadingAtPath: path) else { return .other }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 64)) ?? Data()
        if head.first == 0x80 { return .pickle }
        if head.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) == UInt8(ascii: "{") { return .modelJSON }
        return path.hasSuffix(".pkl") || path.hasSuffix(".joblib") ? .pickle : .other
    }

    /// The model files at `path` with their kinds: the file itself, or the folder's model
    /// files by name. A folder without any is an error that says what was looked for.
    package static func files(at path: String) throws -> (files: [(path: String, kind: Kind)], isFolder: Bool, others: Int) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw PgScorerError(.file, "no such file or folder: \(path)")
        }
        guard isFolder.boolValue else {
            let kind = kind(of: path)
            guard kind != .other else {
                throw PgScorerError(.invalidInput, "\(path) is neither model JSON nor a scikit-learn pickle (by its content)")
            }
            return ([(path, kind)], false, 0)
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: path).filter { !$0.hasPrefix(".") }.sorted()
        var files: [(path: String, kind: Kind)] = []
        var others = 0
        for name in names {
            let file = URL(fileURLWithPath: path).appendingPathComponent(name).path
            var isSubfolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: file, isDirectory: &isSubfolder), !isSubfolder.boolValue else { continue }
            let kind = kind(of: file)
            if kind == .other { others += 1 } else { files.append((file, kind)) }
        }
        guard !files.isEmpty else {
            throw PgScorerError(
                .notFound,
                "no model files in \(path): looked for model JSON and scikit-learn pickles by their content (any name or extension); "
                    + "found \(others) other file(s)")
        }
        return (files, true, others)
    }

    /// Imports `files` in order, calling `report` with each file's outcome.
    package func run(_ files: [(path: String, kind: Kind)], report: (String, Result<Imported, any Error>) -> Void) async throws {
        let paths = files.map(\.path)
        // One exporter run for every pickle (a Python start per file costs ~80 ms).
        let pickles = try PickleImport.modelJSONs(fromPickles: files.filter { $0.kind == .pickle }.map(\.path))
        for path in paths {
            do {
                report(path, .success(try await importFile(path, pickleJSON: pickles[path])))
            } catch {
                report(path, .failure(error))
            }
        }
    }

    private func importFile(_ path: String, pickleJSON: Result<Data, PickleImport.Failure>?) async throws -> Imported {
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let (device, sensor): (String, String)
        switch series {
        case .named(let namedDevice, let namedSensor):
            (device, sensor) = (namedDevice, namedSensor)
        case .fileName(let pattern):
            guard let match = pattern.match(name) else {
                throw PgScorerError(.invalidInput, "the name does not match --name-pattern \(pattern.text)")
            }
            (device, sensor) = match
        }
        let data: Data
        if let pickleJSON {
            data = try pickleJSON.get()
        } else {
            guard let contents = FileManager.default.contents(atPath: path) else { throw PgScorerError(.file, "cannot read the file") }
            data = contents
        }
        let document = try OneClassSVM.fromJSON(Array(data))
        let stored = try await store.add(
            document.model, device: device, sensor: sensor,
            source: document.metadataJSON?.contains("sklearn") == true ? "sklearn" : "json",
            paramsJSON: document.metadataJSON ?? "{}", role: activate ? .champion : .stored, force: force)
        return Imported(
            device: device, sensor: sensor, stored: stored, kernel: document.model.kernel.rawValue,
            supportVectors: document.model.supportVectorCount)
    }
}
