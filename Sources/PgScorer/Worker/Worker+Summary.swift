import Logging

extension Worker {
    /// Logs what the process did in the last `summaryInterval` at info level, when it
    /// did anything: the line an operator reads at the default log level.
    func summarize() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: configuration.summaryInterval) } catch { return }
            let interval = tally.takeInterval()
            guard interval.batches > 0 else { continue }
            logger.info(
                "scored in the last \(DurationText.format(configuration.summaryInterval))",
                metadata: [
                    "jobs": "\(interval.counts.jobsCompleted)", "jobs.failed": "\(interval.counts.jobsFailed)",
                    "readings": "\(interval.counts.readingsScored)", "anomalies": "\(interval.counts.anomalies)",
                    "batches": "\(interval.batches)", "batch.p95": "\(String(format: "%.1f", interval.p95BatchMilliseconds))ms",
                ])
        }
    }
}
