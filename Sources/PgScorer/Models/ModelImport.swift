import Foundation
import Kernels

/// Imports model files, model JSON or scikit-learn pickles, as new model versions:
/// one file, or every `*.json` and `*.pkl` of a folder with the series taken from each
/// file's name. Every file gets its own outcome; good files are imported even when
/// others fail.
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

    package init(store: ModelStore, series: Series, activate: Bool) {
        self.store = store
        self.series = series
        self.activate = activate
    }

    /// The model files at `path`: the file itself, or the folder's model files by name.
    package static func files(at path: String) throws -> (paths: [String], isFolder: Bool) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw PgScorerError(.file, "no such file or folder: \(path)")
        }
        guard isFolder.boolValue else { return ([path], false) }
        let names = try FileManager.default.contentsOfDirectory(atPath: path)
        let paths = names.filter { $0.hasSuffix(".json") || $0.hasSuffix(".pkl") }.sorted()
            .map { URL(fileURLWithPath: path).appendingPathComponent($0).path }
        return (paths, true)
    }

    /// Imports `paths` in order, calling `report` with each file's outcome.
    package func run(_ paths: [String], report: (String, Result<Imported, any Error>) -> Void) async throws {
        // One exporter run for every pickle (a Python start per file costs ~80 ms).
        let pickles = try PickleImport.modelJSONs(fromPickles: paths.filter { $0.hasSuffix(".pkl") })
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
            paramsJSON: document.metadataJSON ?? "{}", activate: activate)
        return Imported(
            device: device, sensor: sensor, stored: stored, kernel: document.model.kernel.rawValue,
            supportVectors: document.model.supportVectorCount)
    }
}
