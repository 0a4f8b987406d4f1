import Foundation
import PgClient
import TestSupport
import Testing

import PgScorer

@Suite("Least-privilege roles")
struct SecurityTests {
    /// A login user in `role`, and the test database as that user.
    static func login(_ fixture: ScorerFixture, role: String) async throws -> TestDatabase {
        let user = "\(role)_\(fixture.database.name.suffix(12))"
        try await fixture.connection.execute(PostgresQuery(SQLText(unsafeSQL: "CREATE ROLE \(user) LOGIN IN ROLE \(role)")))
        return TestDatabase(url: fixture.database.url + " user=\(user)", name: fixture.database.name)
    }

    /// Runs `sql` as `database`'s user and returns the SQLSTATE it fails with (nil if it succeeds).
    static func failure(_ database: TestDatabase, _ sql: String) async throws -> String? {
        let connection = try await database.connect()
        var sqlState: String?
        do {
            try await connection.executeScript(SQLText(unsafeSQL: sql))
        } catch let error as PostgresError {
            sqlState = error.sqlState
        }
        await connection.close()
        return sqlState
    }

    @Test("ingest, worker and reader roles do their work and are refused outside their grants")
    func roles() async throws {
        try await ScorerFixture.with { fixture in
            let ingest = try await Self.login(fixture, role: "pgscorer_ingest")
            let worker = try await Self.login(fixture, role: "pgscorer_worker")
            let reader = try await Self.login(fixture, role: "pgscorer_reader")

            let file = try temporaryFile(
                "readings.csv", "device,sensor,ts,a,b\n" + (0..<30).map { "pump-1,temp,2026-11-24T00:\(String(format: "%02d", $0)):00Z,\($0),1" }.joined(separator: "\n"))
            let loaded = try await PgScorerProcess.run(["ingest", file], database: ingest)
            #expect(loaded.status == 0, "\(loaded.output)")
            try await fixture.addModel(device: "pump-1", sensor: "temp", featureCount: 2)
            try await fixture.enqueue(.utc("2026-11-24T00:00:00Z"), .utc("2026-11-24T01:00:00Z"))
            let scored = try await PgScorerProcess.run(["worker", "--exit-when-idle", "--retry-base", "100ms"], database: worker)
            #expect(scored.status == 0, "\(scored.output)")
            let errors: String = try await fixture.connection.query("SELECT coalesce(string_agg(last_error, '; '), '') FROM pgscorer.jobs").single().decode(0)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.predictions") == 30, "job errors: \(errors)")

            let denied = "42501"
            // The reader does reader things: every report, status, export and the README's queries.
            for sql in [
                "SELECT count(*) FROM pgscorer.anomaly_rate_daily", "SELECT count(*) FROM pgscorer.predictions",
                "SELECT * FROM pgscorer.series_anomaly_summary(NULL, NULL)", "SELECT * FROM pgscorer.settings",
                """
                SELECT s.sensor, p.ts, p.score, r.features FROM pgscorer.predictions p
                JOIN pgscorer.series s USING (series_id) JOIN pgscorer.readings r USING (series_id, ts)
                WHERE s.device = 'pump-7' AND p.is_anomaly ORDER BY p.ts DESC
                """,
            ] {
                #expect(try await Self.failure(reader, sql) == nil, "reader: \(sql)")
            }
            // A webhook URL's path may hold a secret: a reader lists rules but never sees it.
            try await fixture.connection.execute(
                "INSERT INTO pgscorer.alert_rules (name, kind, webhook_url) VALUES ('silent', 'stale', 'https://hooks.example.com/services/T0/s3cret')")
            let rules = try await PgScorerProcess.run(["alerts", "rule", "list"], database: reader)
            #expect(rules.status == 0 && rules.output.contains("https://hooks.example.com/…"), "reader: \(rules.output)")
            #expect(!rules.output.contains("s3cret"))
            for sql in ["SELECT webhook_url FROM pgscorer.alert_rules", "SELECT url FROM pgscorer.alert_deliveries"] {
                #expect(try await Self.failure(reader, sql) == denied, "reader: \(sql)")
            }
            #expect(try await Self.failure(reader, "SELECT attempts, delivered_at, last_error FROM pgscorer.alert_deliveries") == nil)
            for arguments in [["status"], ["report"], ["export", "predictions", "--since", "2026-11-24"], ["models", "list"], ["schedule", "list"]] {
                let result = try await PgScorerProcess.run(arguments, database: reader)
                #expect(result.status == 0, "reader: pgscorer \(arguments): \(result.output)")
            }
            for sql in [
                "INSERT INTO pgscorer.predictions VALUES (1, now(), 1, 0, false, 1)", "UPDATE pgscorer.jobs SET priority = 1",
                "DELETE FROM pgscorer.readings", "UPDATE pgscorer.settings SET value = '1 day' WHERE key = 'retention.jobs'",
                "SELECT pgscorer.prune('jobs', '1 day', 10)", "UPDATE pgscorer.schedules SET enabled = false",
            ] {
                #expect(try await Self.failure(reader, sql) == denied, "reader: \(sql)")
            }
            for sql in [
                "INSERT INTO pgscorer.readings VALUES (1, now(), 2, '{1,2}')", "DELETE FROM pgscorer.jobs", "UPDATE pgscorer.models SET active = false",
                "TRUNCATE pgscorer.predictions", "DROP TABLE pgscorer.jobs", "UPDATE pgscorer.schedules SET enabled = false",
            ] {
                #expect(try await Self.failure(worker, sql) == denied, "worker: \(sql)")
            }
            for sql in [
                "SELECT * FROM pgscorer.predictions", "UPDATE pgscorer.jobs SET priority = 1", "SELECT payload FROM pgscorer.models",
                "DELETE FROM pgscorer.readings",
            ] {
                #expect(try await Self.failure(ingest, sql) == denied, "ingest: \(sql)")
            }
        }
    }

    /// The search_path every SECURITY DEFINER function of the schema must set.
    static let definerSearchPath = "search_path=pg_catalog, pgscorer, pg_temp"

    @Test("every SECURITY DEFINER function searches pg_temp last (a new one without it fails here)")
    func definerSearchPath() async throws {
        try await ScorerFixture.with { fixture in
            let unsafe: [String] = try await fixture.connection.query(
                """
                SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = 'pgscorer' AND p.prosecdef AND NOT coalesce(p.proconfig @> ARRAY[$1], false)
                """, Self.definerSearchPath
            ).map { try $0.decode(0) }
            #expect(unsafe.isEmpty, "SECURITY DEFINER without SET \(Self.definerSearchPath): \(unsafe)")
        }
    }

    /// How an unprivileged login makes each SECURITY DEFINER function run (triggers by the
    /// statement that fires them). A new such function needs a line here.
    static let definerCalls: [String: String] = [
        "pgscorer.prune(text,interval,integer,boolean)": "SELECT pgscorer.prune('jobs', '1 day', 10)",
        "pgscorer.drop_old_partitions(text,interval,boolean)": "SELECT * FROM pgscorer.drop_old_partitions('readings', '1 day', true)",
        "pgscorer.ensure_partitions(timestamp with time zone,timestamp with time zone)":
            "SELECT pgscorer.ensure_partitions('2031-01-01', '2031-01-02')",
        "pgscorer.evaluate_alerts()": "SELECT * FROM pgscorer.evaluate_alerts()",
        "pgscorer.announce_alert(bigint,text)": "SELECT pgscorer.announce_alert(1, 'opened')",
        "pgscorer.refresh_series_health()": "SELECT pgscorer.refresh_series_health()",
        "pgscorer.hold_lease(text,text,interval)": "SELECT pgscorer.hold_lease('queue_gauges', 'attacker', '1 minute')",
        "pgscorer.release_lease(text,text)": "SELECT pgscorer.release_lease('queue_gauges', 'attacker')",
        "pgscorer.readings_check_series()":
            "INSERT INTO pgscorer.readings (series_id, ts, n_features, features) SELECT series_id, now(), 2, '{1,2}' FROM pgscorer.series WHERE sensor = 'temp'",
        "pgscorer.release_series_on_activation()": "UPDATE pgscorer.models SET active = active WHERE active",
        "pgscorer.models_record_deployment()": "UPDATE pgscorer.models SET active = active WHERE active",
        "pgscorer.samples_arrived()":
            "INSERT INTO pgscorer.samples (series_id, ts, n_features, features) SELECT series_id, now() - interval '1 day', 1, '{1}' FROM pgscorer.series WHERE sensor = 'raw'",
        "pgscorer.aggregations_changed()": "UPDATE pgscorer.aggregations SET sensor_pattern = sensor_pattern",
        "pgscorer.close_windows(bigint,integer)": "SELECT * FROM pgscorer.close_windows((SELECT aggregation_id FROM pgscorer.aggregations), 100)",
        "pgscorer.release_waiting_jobs()": "SELECT pgscorer.release_waiting_jobs()",
    ]

    @Test("shadowing the catalogs with temporary views gains a login nothing through any SECURITY DEFINER function")
    func definerFunctionsResistShadowing() async throws {
        try await ScorerFixture.with { fixture in
            let functions: [String] = try await fixture.connection.query(
                """
                SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = 'pgscorer' AND p.prosecdef ORDER BY 1
                """
            ).map { try $0.decode(0) }
            #expect(Set(functions) == Set(Self.definerCalls.keys), "each SECURITY DEFINER function needs a call in definerCalls")

            // Rows for every function to walk over: a series and its model, partitions, an open alert.
            try await fixture.addModel(device: "pump-1", sensor: "temp", featureCount: 2)
            try await fixture.connection.executeScript(
                """
                SELECT pgscorer.ensure_partitions(now() - interval '40 days', now());
                INSERT INTO pgscorer.alert_rules (name, kind) VALUES ('quiet', 'stale');
                INSERT INTO pgscorer.alerts (rule_id, series_id, evidence) SELECT rule_id, series_id, '{}' FROM pgscorer.alert_rules, pgscorer.series;
                INSERT INTO pgscorer.aggregations (name, "window", features, sensor_pattern, target) VALUES ('raw_1m', '1 minute', '{mean,p50}', 'raw', 'raw_1m');
                INSERT INTO pgscorer.series (device, sensor, n_features) VALUES ('pump-1', 'raw', 1);
                INSERT INTO pgscorer.samples (series_id, ts, n_features, features)
                SELECT series_id, now() - interval '2 days' + g * interval '10 seconds', 1, ARRAY[g::float8]
                FROM pgscorer.series, generate_series(0, 100) g WHERE sensor = 'raw';
                """)
            let attacker = try await Self.login(fixture, role: "pgscorer_worker")
            let user = attacker.url.components(separatedBy: "user=").last!
            // Granted more than any role has, so that every function can be reached.
            try await fixture.connection.executeScript(SQLText(unsafeSQL: """
                GRANT pgscorer_ingest TO \(user);
                GRANT UPDATE (active) ON pgscorer.models TO \(user);
                GRANT UPDATE ON pgscorer.aggregations TO \(user);
                GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA pgscorer TO \(user);
                """))
            let connection = try await attacker.connect()
            // boom() makes its caller's login a superuser when it runs as someone else.
            try await connection.executeScript(
                """
                CREATE FUNCTION pg_temp.boom() RETURNS boolean LANGUAGE plpgsql AS $f$
                BEGIN
                    IF current_user <> session_user THEN EXECUTE format('ALTER ROLE %I SUPERUSER', session_user); END IF;
                    RETURN true;
                END $f$;
                DO $d$
                DECLARE r record;
                BEGIN
                    FOR r IN SELECT n.nspname, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                             WHERE n.nspname IN ('pg_catalog', 'pgscorer') AND c.relkind IN ('r', 'v', 'p', 'm')
                    LOOP
                        BEGIN
                            EXECUTE format('CREATE TEMP VIEW %I AS SELECT * FROM %I.%I WHERE pg_temp.boom()', r.relname, r.nspname, r.relname);
                        EXCEPTION WHEN OTHERS THEN NULL;  -- pseudo-type columns, tables this login may not read
                        END;
                    END LOOP;
                END $d$;
                """)
            let shadowed: Int = try await connection.query(
                "SELECT count(*)::int FROM pg_catalog.pg_class WHERE relnamespace = pg_catalog.pg_my_temp_schema() AND relname IN ('pg_inherits', 'pg_class', 'jobs')"
            ).single().decode(0)
            #expect(shadowed == 3, "the attack's views exist")
            for (function, call) in Self.definerCalls.sorted(by: { $0.key < $1.key }) {
                do {
                    try await connection.executeScript(SQLText(unsafeSQL: call))
                } catch {
                    Issue.record("\(function): \(call) failed: \(error)")
                }
            }
            let superuser: Bool = try await connection.query(
                "SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = session_user").single().decode(0)
            #expect(!superuser, "a SECURITY DEFINER function ran the caller's temporary view as its owner")
            await connection.close()
        }
    }

    @Test("a reader cannot switch off alerting, the series health, partitions or the queue gauges by holding a lock")
    func readerCannotHoldMaintenanceLocks() async throws {
        try await ScorerFixture.with { fixture in
            try await fixture.addModel(device: "pump-1", sensor: "temp", featureCount: 2)
            try await fixture.connection.execute("INSERT INTO pgscorer.alert_rules (name, kind) VALUES ('quiet', 'stale')")
            let reader = try await Self.login(fixture, role: "pgscorer_reader")
            let held = try await reader.connect()
            for name in ["evaluate_alerts", "queue_gauges", "ensure_partitions", "refresh_series_health"] {
                try await held.execute(PostgresQuery(SQLText(unsafeSQL: "SELECT pg_advisory_lock(hashtext('pgscorer.\(name)'))")))
            }
            #expect(try await Self.failure(reader, "SELECT name FROM pgscorer.maintenance_locks FOR UPDATE") == "42501")
            #expect(try await Self.failure(reader, "SELECT pgscorer.hold_lease('queue_gauges', 'reader', '10 minutes')") == "42501")

            try await fixture.connection.execute("SET statement_timeout = '10s'")
            let evaluation = try await AlertRules(connection: fixture.connection).evaluate()
            #expect(!evaluation.skipped && evaluation.lastEvaluatedAt != nil)
            let checked: Int = try await fixture.connection.query("SELECT pgscorer.refresh_series_health()").single().decode(0)
            #expect(checked >= 0)
            let created: Int = try await fixture.connection.query("SELECT pgscorer.ensure_partitions('2033-01-01', '2033-01-02')").single().decode(0)
            #expect(created == 3, "readings, predictions and samples")
            let held2: Bool = try await fixture.connection.query("SELECT pgscorer.hold_lease('queue_gauges', 'worker-1', '1 minute')").single().decode(0)
            #expect(held2)
            // Leased: a second holder waits for the first to let go or run out.
            let other: Bool = try await fixture.connection.query("SELECT pgscorer.hold_lease('queue_gauges', 'worker-2', '1 minute')").single().decode(0)
            #expect(!other)
            try await fixture.connection.execute("SELECT pgscorer.release_lease('queue_gauges', 'worker-1')")
            let taken: Bool = try await fixture.connection.query("SELECT pgscorer.hold_lease('queue_gauges', 'worker-2', '1 minute')").single().decode(0)
            #expect(taken)
            await held.close()
        }
    }
}

