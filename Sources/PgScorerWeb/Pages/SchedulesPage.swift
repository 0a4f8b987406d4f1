import PgClient
import PgScorer

/// `/schedules`: every schedule with its recent ticks; enable/disable when allowed.
struct SchedulesPage {
    let actions: ActionForms?

    func body(_ schedules: [ScheduleOverview], ticks: [String: [ScheduleTicks.Tick]]) -> HTML {
        guard !schedules.isEmpty else {
            return "<p class=\"muted\">No schedule. Add one with <code>pgscorer schedule add NAME --every 5m --window 5m</code> or an INSERT into pgscorer.schedules.</p>"
        }
        let sections = schedules.map { schedule -> HTML in
            let toggle: HTML = actions.map {
                $0.button("/schedules/\(schedule.name)/\(schedule.enabled ? "disable" : "enable")", label: schedule.enabled ? "disable" : "enable")
            } ?? ""
            let rows = (ticks[schedule.name] ?? []).map { tick -> HTML in
                """
                <tr><td>\(tick.scheduledFor)</td><td>\(tick.firedAt)</td><td class="num">\(HTML.duration(tick.latencySeconds))</td>\
                <td>\(tick.firedBy)</td><td class="num">\(tick.jobsCreated)</td><td class="num">\(tick.completed)</td><td class="num">\(tick.failed)</td></tr>
                """
            }
            return """
                <h2>\(schedule.name) <span class="badge \(schedule.enabled ? "ok" : "")">\(schedule.enabled ? "enabled" : "disabled")</span> \(toggle)</h2>
                <p class="muted">\(schedule.timing), window \(schedule.window), devices \(schedule.devices), sensors \(schedule.sensors), \
                missed ticks: \(schedule.missedTicks). Last tick \(schedule.lastTick), next \(schedule.nextTick).</p>
                \(table(rows))
                """
        }
        return "\(sections)"
    }

    private func table(_ rows: [HTML]) -> HTML {
        guard !rows.isEmpty else { return "<p class=\"muted\">No tick yet.</p>" }
        return """
            <table class="ticks"><tr><th>tick</th><th>fired</th><th class="num">latency</th><th>by</th><th class="num">jobs</th>\
            <th class="num">completed</th><th class="num">failed</th></tr>\(rows)</table>
            """
    }
}
