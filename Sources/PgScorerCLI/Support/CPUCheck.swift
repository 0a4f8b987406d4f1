import Foundation

/// The kernels of an x86-64 release are built for AVX2 and FMA (Haswell, 2013, on). On
/// an older CPU the first kernel call would die with "Illegal instruction"; this check
/// runs first and says which build to use instead.
enum CPUCheck {
    /// The CPU features this build's kernels use.
    static var required: [String] {
        #if KERNELS_NEED_AVX2_FMA
        ["avx2", "fma"]
        #else
        []
        #endif
    }

    /// The features of `required` that the `flags` line of /proc/cpuinfo lacks.
    static func missing(_ required: [String], cpuinfo: String) -> [String] {
        guard let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
        let flags = Set(line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ":" }).map(String.init))
        return required.filter { !flags.contains($0) }
    }

    /// Exits 1 with a message when this CPU lacks what the kernels need. The file read is
    /// /proc/cpuinfo, or `PGSCORER_CPUINFO` (to try the message on a capable machine).
    static func run() {
        let path = ProcessInfo.processInfo.environment["PGSCORER_CPUINFO"] ?? "/proc/cpuinfo"
        guard !required.isEmpty, let cpuinfo = try? String(contentsOfFile: path, encoding: .utf8) else { return }
        let lacking = missing(required, cpuinfo: cpuinfo)
        guard !lacking.isEmpty else { return }
        FileHandle.standardError.write(Data("""
            Error: this pgscorer was built for x86-64 CPUs with AVX2 and FMA (Haswell, 2013, and later), and this CPU lacks \
            \(lacking.joined(separator: " and ")). Use the generic build (scripts/release makes both; \
            or build with PGSCORER_TARGET_CPU=generic swift build -c release).

            """.utf8))
        exit(1)
    }
}
