import ArgumentParser

/// `pgscorer-bench`: PgScorer's benchmarks, each measured next to its baseline in the same run.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pgscorer-bench",
        abstract: "PgScorer benchmarks with their baselines measured in the same run (see bench/README.md).",
        subcommands: [CopyBench.self, HealthBench.self, KernelsBench.self, TrainBench.self])
}
