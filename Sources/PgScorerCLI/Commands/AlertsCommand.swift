import ArgumentParser
import Foundation
import PgScorer

/// `pgscorer alerts`: alert rules as rows, and the alerts they open.
struct AlertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "Alert rules (rows of pgscorer.alert_rules) and the alerts they open and resolve.",
        discussion: """
            Workers evaluate the rules every minute: an alert opens once its condition has held for the rule's --for, \
            one open alert per rule and series, and resolves when the condition clears; every change is announced by \
            NOTIFY pgscorer_alerts (LISTEN pgscorer_alerts to follow them). Kinds: rate_spike, stale, score_shift, drift \
            (see pgscorer health), model_fail (the active model failed its health check), held (a quarantined series).

            SQL: INSERT INTO pgscorer.alert_rules (name, kind, device_pattern, for_duration) VALUES ('pumps', 'stale', 'pump-%', '10 minutes');
            """,
        subcommands: [Rule.self, List.self, Acknowledge.self, Evaluate.self])

    struct Rule: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add, list and remove alert rules.", subcommands: [Add.self, List.self, Remove.self])

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Add an alert rule.")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "Rule name (letters, digits, _ . : -).") var name: String
            @Option(help: "rate_spike, stale, score_shift, drift, model_fail or held.") var kind: AlertRules.Kind
            @OptionGroup var selection: SelectionOptions
            @Option(name: .customLong("for"), help: "How long the condition must hold before the alert opens, e.g. 10m.")
            var duration = DurationArgument(.zero)
            @Option(help: "POST every opened and resolved alert of this rule to this URL as JSON (retried with backoff by the workers).")
            var webhook: String?

            func run() async throws {
                try await global.withDatabase {
                    try await AlertRules(connection: $0.connection).add(
                        name: name, kind: kind, selector: selection.selector, for: duration.duration, webhook: webhook)
                }
                print("alert rule \(name) added")
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List alert rules.")
            @OptionGroup var global: GlobalOptions
            @Option(help: "table, csv or json.") var format: OutputFormat = .table

            func run() async throws {
                let rules = try await global.withDatabase { try await AlertRules(connection: $0.connection).rules() }
                let rows = rules.map {
                    [$0.name, $0.kind, $0.devicePattern, $0.sensorPattern, DurationText.format(.microseconds(Int64($0.forSeconds * 1e6))),
                     $0.enabled ? "yes" : "no", "\($0.openAlerts)", $0.webhook ?? ""]
                }
                try printTable(
                    format, header: ["name", "kind", "devices", "sensors", "for", "enabled", "open alerts", "webhook"], rows: rows, json: rules)
            }
        }

        struct Remove: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Remove an alert rule and its alerts.")
            @OptionGroup var global: GlobalOptions
            @Argument var name: String

            func run() async throws {
                try await global.withDatabase { try await AlertRules(connection: $0.connection).remove(name) }
                print("alert rule \(name) removed")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List alerts, newest first.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var read: ReadOptions
        @Flag(help: "Only open alerts.") var open = false
        @Option(help: "table, csv or json.") var format: OutputFormat = .table

        func run() async throws {
            let alerts = try await global.withDatabase(readURL: read.url) { try await AlertRules(connection: $0.connection).alerts(openOnly: open) }
            let rows = alerts.map {
                ["\($0.alertID)", $0.rule, $0.kind, "\($0.device)/\($0.sensor)", String($0.openedAt.description.prefix(19)),
                 $0.resolvedAt.map { String($0.description.prefix(19)) } ?? "open", $0.acknowledgedAt == nil ? "" : "yes", $0.evidence]
            }
            try printTable(format, header: ["alert", "rule", "kind", "series", "opened (UTC)", "resolved (UTC)", "acked", "evidence"], rows: rows, json: alerts)
        }
    }

    struct Acknowledge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ack", abstract: "Acknowledge an alert (it stays open until its condition clears).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Alert id.") var alertID: Int64
        @Option(help: "Who acknowledges (default: $USER).") var by = ProcessInfo.processInfo.environment["USER"] ?? "operator"

        func run() async throws {
            try await global.withDatabase { try await AlertRules(connection: $0.connection).acknowledge(alertID, by: by) }
            print("alert \(alertID) acknowledged")
        }
    }

    struct Evaluate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Evaluate every rule now (workers do it every minute).")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let evaluation = try await global.withDatabase { try await AlertRules(connection: $0.connection).evaluate() }
            if evaluation.skipped {
                print("another session is evaluating the rules right now; nothing was done here")
            } else {
                print("opened \(evaluation.opened) alert(s), resolved \(evaluation.resolved)")
            }
        }
    }
}

extension AlertRules.Kind: ExpressibleByArgument {}
