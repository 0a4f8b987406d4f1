import PgClient
import PgScorer

/// `/`: jobs by state, the oldest wait, throughput, workers, schedules with their
/// latest tick, recent failures, held series, health counts and the anomaly heat map.
struct OverviewPage {
    let overview: FleetOverview
    let now: Int64

    var body: HTML {
        let status = overview.status
        let counts = Dictionary(status.queue.map { ($0.state, $0.jobs) }, uniquingKeysWith: +)
        let cards = JobState.allCases.map { state -> HTML in
            "<a class=\"card\" href=\"/jobs?state=\(state.rawValue)\"><b>\(counts[state.rawValue] ?? 0)</b><span>\(state.rawValue)</span></a>"
        }
        let alive = status.workers.filter(\.alive).count
        let health: HTML = """
            <div class="card"><b>\(HTML.duration(status.oldestWaitSeconds))</b><span>oldest wait</span></div>
            <div class="card"><b>\(alive)</b><span>workers alive</span></div>
            <div class="card"><b>\(status.workers.count - alive)</b><span>workers stale</span></div>
            <div class="card"><b>\(status.openAlerts)</b><span>open alerts</span></div>
            <div class="card"><b>\(status.heldSeries.count)</b><span>held series</span></div>
            <a class="card" href="/models"><b>\(status.unhealthyModels.fail)</b><span>failing models (\(status.unhealthyModels.activeFail) active)</span></a>
            """
        let throughput = overview.throughput
        let completed = throughput.reduce(0) { $0 + $1.completed }, readings = throughput.reduce(0) { $0 + $1.readings }
        return """
            <div class="cards" id="queue">\(cards)\(health)</div>
            <h2>Throughput, last hour</h2>
            <p class="muted">\(completed) jobs completed, \(readings) readings scored.</p>
            \(ThroughputChart(minutes: throughput, now: now).svg)
            <h2>Anomaly rate per device and hour, last 24 h</h2>
            \(heatMap)
            <h2>Workers</h2>\(workers)
            <h2>Schedules</h2>\(schedules)
            <h2>Recent failures</h2>\(failures)
            \(held)
            """
    }

    private var heatMap: HTML {
        let map = overview.heatMap
        guard !map.devices.isEmpty else {
            return """
                <p class="muted" id="heatmap-empty">No scored window ends in the last 24 hours. The map places each scored window \
                at the hour its readings end, from the run log, so windows of older readings (a backfill) are not on it: see Jobs.</p>
                """
        }
        let note: HTML =
            map.deviceCount > map.devices.count
            ? "<p class=\"muted\">The \(map.devices.count) devices with the highest rate, of \(map.deviceCount).</p>" : ""
        return """
            \(note)\(HeatMapChart(map: map).svg)\(HeatMapChart(map: map).legend)
            <p class="muted">As of \(map.computedAt) UTC (recomputed at most once a minute). Hours are those of the scored \
            windows' ends; the rate is anomalies over readings scored, from the run log.</p>
            """
    }

    private var workers: HTML {
        let workers = overview.status.workers
        guard !workers.isEmpty else { return "<p class=\"muted\">No worker is registered.</p>" }
        let rows = workers.map { worker -> HTML in
            """
            <tr><td>\(worker.workerID)</td><td>\(worker.hostname)</td><td class="num">\(HTML.duration(worker.heartbeatAgeSeconds))</td>\
            <td class="num">\(worker.runningJobs)/\(worker.concurrency)</td>\
            <td><span class="badge \(worker.alive ? "ok" : "fail")">\(worker.alive ? "alive" : "stale")</span></td></tr>
            """
        }
        return "<table><tr><th>worker</th><th>host</th><th class=\"num\">heartbeat age</th><th class=\"num\">running</th><th></th></tr>\(rows)</table>"
    }

    private var schedules: HTML {
        let schedules = overview.status.schedules
        guard !schedules.isEmpty else { return "<p class=\"muted\">No schedule. Add one with pgscorer schedule add.</p>" }
        let rows = schedules.map { schedule -> HTML in
            let tick = overview.lastTicks[schedule.name]
            return """
                <tr><td><a href="/schedules">\(schedule.name)</a></td><td>\(schedule.timing)</td>\
                <td><span class="badge \(schedule.enabled ? "ok" : "")">\(schedule.enabled ? "enabled" : "disabled")</span></td>\
                <td>\(schedule.lastTick)</td><td>\(schedule.nextTick)</td>\
                <td class="num">\(tick.map { HTML.duration($0.latencySeconds) } ?? "—")</td>\
                <td class="num">\(tick.map { String($0.jobsCreated) } ?? "—")</td></tr>
                """
        }
        return """
            <table><tr><th>schedule</th><th>timing</th><th></th><th>last tick</th><th>next tick</th>\
            <th class="num">tick latency</th><th class="num">jobs</th></tr>\(rows)</table>
            """
    }

    private var failures: HTML {
        let failures = overview.status.recentFailures
        guard !failures.isEmpty else { return "<p class=\"muted\">No failed attempt.</p>" }
        let rows = failures.map { failure -> HTML in
            """
            <tr><td>\(failure.finishedAt)</td><td><a href="/jobs/\(failure.jobID)">\(failure.jobID)</a></td>\
            <td><a href="/series\(HTML(raw: HTML.query([("device", failure.device), ("sensor", failure.sensor)])))">\(HTML.series(failure.device, failure.sensor))</a></td>\
            <td class="num">\(failure.attempt)</td><td>\(failure.outcome)</td><td class="error">\(String(failure.error.prefix(300)))</td></tr>
            """
        }
        return "<table><tr><th>when</th><th>job</th><th>series</th><th class=\"num\">attempt</th><th>outcome</th><th>error</th></tr>\(rows)</table>"
    }

    private var held: HTML {
        let held = overview.status.heldSeries
        guard !held.isEmpty else { return "" }
        let rows = held.map { series -> HTML in
            "<tr><td>\(HTML.series(series.device, series.sensor))</td><td class=\"num\">\(series.consecutive)</td><td>\(series.heldSince)</td><td class=\"error\">\(series.lastError)</td></tr>"
        }
        return """
            <h2>Held series</h2><p class="muted">Ticks skip these until pgscorer series resume or a new active model.</p>
            <table><tr><th>series</th><th class="num">failures in a row</th><th>held since</th><th>last error</th></tr>\(rows)</table>
            """
    }
}
