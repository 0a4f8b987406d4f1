import PgClient
import PgScorer

/// `/jobs`: the newest jobs, filtered by state, schedule and series; `/jobs/ID`: one job
/// with its errors and attempts. Retry and cancel buttons when actions are allowed.
struct JobsPage {
    let actions: ActionForms?

    func list(_ jobs: [JobListing.Job], filter: JobListing.Filter) -> HTML {
        let states = ([""] + JobState.allCases.map(\.rawValue)).map { state -> HTML in
            "<option value=\"\(state)\"\(HTML(raw: filter.state == state || (filter.state == nil && state.isEmpty) ? " selected" : ""))>\(state.isEmpty ? "any" : state)</option>"
        }
        let form: HTML = """
            <form class="filters" method="get" action="/jobs">state <select name="state">\(states)</select> \
            schedule <input name="schedule" value="\(filter.schedule)" size="12"> \
            device <input name="device" value="\(filter.series.device)" size="14"> \
            sensor <input name="sensor" value="\(filter.series.sensor)" size="12"> <button>filter</button></form>
            """
        guard !jobs.isEmpty else { return "\(form)<p class=\"muted\">No job matches.</p>" }
        let rows = jobs.map { job -> HTML in
            """
            <tr><td><a href="/jobs/\(job.jobID)">\(job.jobID)</a></td><td>\(HTML.series(job.device, job.sensor))</td><td>\(job.schedule ?? "—")</td>\
            <td><span class="badge \(job.state)">\(job.state)</span></td><td class="num">\(job.attempt)/\(job.maxAttempts)</td>\
            <td>\(job.windowStart) – \(job.windowEnd)</td><td>\(job.finishedAt)</td>\
            <td class="error">\(String((job.lastError ?? "").prefix(160)))</td><td>\(buttons(job))</td></tr>
            """
        }
        return """
            \(form)<p class="muted">The newest \(jobs.count) matching jobs.</p>
            <table id="jobs"><tr><th>job</th><th>series</th><th>schedule</th><th>state</th><th class="num">attempt</th>\
            <th>window</th><th>finished</th><th>last error</th><th></th></tr>\(rows)</table>
            """
    }

    func detail(_ detail: JobListing.Detail) -> HTML {
        let job = detail.job
        let attempts = detail.attempts.map { run -> HTML in
            """
            <tr><td class="num">\(run.attempt)</td><td>\(run.workerID)</td><td>\(run.startedAt)</td><td>\(run.finishedAt)</td>\
            <td>\(run.outcome)</td><td class="num">\(run.rowsScored)</td><td class="num">\(run.anomalies)</td>\
            <td class="num">\(run.durationMilliseconds.map { HTML.duration($0 / 1000) } ?? "—")</td><td class="error">\(run.error)</td></tr>
            """
        }
        return """
            <table><tr><th>series</th><td><a href="/series\(HTML(raw: HTML.query([("device", job.device), ("sensor", job.sensor)])))">\(HTML.series(job.device, job.sensor))</a></td></tr>
            <tr><th>state</th><td><span class="badge \(job.state)">\(job.state)</span> \(buttons(job))</td></tr>
            <tr><th>schedule</th><td>\(job.schedule ?? "—")</td></tr><tr><th>kind</th><td>\(job.kind)</td></tr><tr><th>model</th><td>\(detail.modelID.map(String.init) ?? "none yet")</td></tr>
            <tr><th>window</th><td>\(job.windowStart) – \(job.windowEnd)</td></tr>
            <tr><th>attempts</th><td>\(job.attempt) of \(job.maxAttempts)</td></tr>
            <tr><th>created / due / finished</th><td>\(detail.createdAt) / \(job.runAt) / \(job.finishedAt)</td></tr>
            <tr><th>lease</th><td>\(detail.leaseOwner ?? "—") until \(detail.leaseUntil)</td></tr>
            <tr><th>errors</th><td class="error">\(detail.errorsJSON == "[]" ? "none" : detail.errorsJSON)</td></tr></table>
            <h2>Attempts</h2>
            <table id="attempts"><tr><th class="num">attempt</th><th>worker</th><th>started</th><th>finished</th><th>outcome</th>\
            <th class="num">rows</th><th class="num">anomalies</th><th class="num">took</th><th>error</th></tr>\(attempts)</table>
            """
    }

    private func buttons(_ job: JobListing.Job) -> HTML {
        guard let actions else { return "" }
        switch job.state {
        case "failed", "cancelled", "retryable": return actions.button("/jobs/\(job.jobID)/retry", label: "retry")
        case "available", "running": return actions.button("/jobs/\(job.jobID)/cancel", label: "cancel")
        default: return ""
        }
    }
}
