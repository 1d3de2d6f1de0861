import Fluent
import SQLKit

/// Counts of the published reports per city, question and answer that the database kept with
/// triggers from issue #14 until issue #22, when every instance began to keep its own counts
/// for any filter set (``PublishedSet``) and the triggers only slowed each publication and
/// each bulk load down: ``DropStatisticsCounts`` removes them. What is here installs and
/// removes them for the migrations that made them.
enum StatisticsCounts {
    static let table = "statistics_counts"

    /// The questions kept, by the `reports` column they count. List columns (`kinds`,
    /// `told_whom`) are counted per whole list, as the scan groups them, and split when read.
    static let columns = [
        "role", "kinds", "place_type", "time_band", "incident_date", "perpetrator", "perpetrator_relation",
        "prevented_by", "recurrence", "told_whom", "told_outcome", "age_band",
    ]
    /// The outcome, counted under this name as `yes` or `no`.
    static let prevented = "prevented"

    /// The answers of the row `side` (`NEW` or `OLD`) as `VALUES` rows, each counting `delta`.
    /// With `keys`, each row also adds `delta` times the report's disclosure key (``Disclosure``).
    static func values(of side: String, delta: Int, keys: Bool) -> String {
        let key = keys ? ", \(delta) * \(side).disclosure_key" : ""
        return
            (columns.map { "(\(side).city, '\($0)', COALESCE(\(side).\($0), ''), \(delta)\(key))" }
            + [
                "(\(side).city, '\(prevented)', CASE WHEN \(side).prevented THEN 'yes' ELSE 'no' END, \(delta)\(key))"
            ])
            .joined(separator: ", ")
    }

    /// PostgreSQL: the changes of a whole statement, from its transition table `rows`, one
    /// row per key. Row by row, a bulk insert updated the same few counters a hundred thousand
    /// times in one transaction, and each update had to step over every earlier version of its row.
    static func upsertAll(from rows: String, delta: Int, keys: Bool) -> String {
        let published = "'\(ReportStatus.published.rawValue)'"
        let key = keys ? ", disclosure_key" : ""
        let answers =
            columns.map {
                "SELECT city, '\($0)' AS question, COALESCE(\($0), '') AS answer\(key) FROM \(rows) WHERE status = \(published)"
            }
            + [
                "SELECT city, '\(prevented)', CASE WHEN prevented THEN 'yes' ELSE 'no' END\(key) FROM \(rows) WHERE status = \(published)"
            ]
        return
            "INSERT INTO \(table) (city, question, answer, n\(keys ? ", k" : "")) SELECT city, question, answer, "
            + "COUNT(*) * \(delta)\(keys ? ", SUM(disclosure_key) * \(delta)" : "") FROM ("
            + answers.joined(separator: " UNION ALL ")
            // In key order, so two transactions that touch the same counters lock them in the
            // same order and never deadlock.
            + ") AS changed GROUP BY city, question, answer ORDER BY city, question, answer "
            + "ON CONFLICT (city, question, answer) DO UPDATE SET n = \(table).n + excluded.n"
            + (keys ? ", k = \(table).k + excluded.k;" : ";")
    }

    static func upsert(_ side: String, delta: Int, keys: Bool) -> String {
        "INSERT INTO \(table) (city, question, answer, n\(keys ? ", k" : "")) VALUES "
            + "\(values(of: side, delta: delta, keys: keys)) "
            + "ON CONFLICT (city, question, answer) DO UPDATE SET n = \(table).n + excluded.n"
            + (keys ? ", k = \(table).k + excluded.k;" : ";")
    }
}

extension StatisticsCounts {
    /// Creates the table, its triggers and the counts of the reports already published. With
    /// `keys`, every counter also keeps the sum of its reports' disclosure keys (column `k`).
    static func install(keys: Bool, on database: any Database) async throws {
        let sql = try database.sql()
        var create = sql.create(table: table)
            .column("city", type: .text, .notNull).column("question", type: .text, .notNull)
            .column("answer", type: .text, .notNull).column("n", type: .bigint, .notNull)
        if keys { create = create.column("k", type: .bigint, .notNull, .default(0)) }
        try await create.run()
        try await sql.create(index: "statistics_counts_key").on(table).column("city").column("question")
            .column("answer").unique().run()
        let published = "'\(ReportStatus.published.rawValue)'"
        if sql.dialect.name == "postgresql" {
            try await sql.raw(
                """
                CREATE FUNCTION statistics_counts_change() RETURNS trigger AS $$
                BEGIN
                    IF TG_OP IN ('UPDATE', 'DELETE') THEN
                        \(unsafeRaw: upsertAll(from: "old_rows", delta: -1, keys: keys))
                    END IF;
                    IF TG_OP IN ('INSERT', 'UPDATE') THEN
                        \(unsafeRaw: upsertAll(from: "new_rows", delta: 1, keys: keys))
                    END IF;
                    RETURN NULL;
                END
                $$ LANGUAGE plpgsql
                """
            ).run()
            // Transition tables allow one event per trigger.
            for (name, event, tables) in [
                ("insert", "INSERT", "NEW TABLE AS new_rows"),
                ("update", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
                ("delete", "DELETE", "OLD TABLE AS old_rows"),
            ] {
                try await sql.raw(
                    """
                    CREATE TRIGGER statistics_counts_\(unsafeRaw: name) AFTER \(unsafeRaw: event) ON reports
                    REFERENCING \(unsafeRaw: tables) FOR EACH STATEMENT EXECUTE FUNCTION statistics_counts_change()
                    """
                ).run()
            }
        } else {
            let triggers = [
                ("insert", "INSERT", "NEW", 1), ("delete", "DELETE", "OLD", -1),
                ("update_old", "UPDATE", "OLD", -1), ("update_new", "UPDATE", "NEW", 1),
            ]
            for (name, event, side, delta) in triggers {
                try await sql.raw(
                    """
                    CREATE TRIGGER statistics_counts_\(unsafeRaw: name) AFTER \(unsafeRaw: event) ON reports
                    WHEN \(unsafeRaw: side).status = \(unsafeRaw: published)
                    BEGIN \(unsafeRaw: upsert(side, delta: delta, keys: keys)) END
                    """
                ).run()
            }
        }
        // The reports already published.
        let keyColumn = keys ? ", k" : ""
        let keySum = keys ? ", SUM(disclosure_key)" : ""
        for column in columns {
            try await sql.raw(
                """
                INSERT INTO \(unsafeRaw: table) (city, question, answer, n\(unsafeRaw: keyColumn))
                SELECT city, '\(unsafeRaw: column)', COALESCE(\(unsafeRaw: column), ''), COUNT(*)\(unsafeRaw: keySum)
                FROM reports WHERE status = \(unsafeRaw: published) GROUP BY city, COALESCE(\(unsafeRaw: column), '')
                """
            ).run()
        }
        try await sql.raw(
            """
            INSERT INTO \(unsafeRaw: table) (city, question, answer, n\(unsafeRaw: keyColumn))
            SELECT city, '\(unsafeRaw: prevented)', CASE WHEN prevented THEN 'yes' ELSE 'no' END,
            COUNT(*)\(unsafeRaw: keySum) FROM reports WHERE status = \(unsafeRaw: published)
            GROUP BY city, CASE WHEN prevented THEN 'yes' ELSE 'no' END
            """
        ).run()
    }

    /// Drops the triggers and the table.
    static func uninstall(on database: any Database) async throws {
        let sql = try database.sql()
        if sql.dialect.name == "postgresql" {
            for name in ["insert", "update", "delete"] {
                try await sql.raw("DROP TRIGGER statistics_counts_\(unsafeRaw: name) ON reports").run()
            }
            try await sql.raw("DROP FUNCTION statistics_counts_change()").run()
        } else {
            for name in ["insert", "delete", "update_old", "update_new"] {
                try await sql.raw("DROP TRIGGER statistics_counts_\(unsafeRaw: name)").run()
            }
        }
        try await sql.drop(table: table).run()
    }
}

/// The counts as issue #14 made them, without key sums; ``AddDisclosureKeys`` replaces them.
struct CreateStatisticsCounts: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await StatisticsCounts.install(keys: false, on: database)
    }

    func revert(on database: any Database) async throws {
        try await StatisticsCounts.uninstall(on: database)
    }
}

/// Gives every report a random disclosure key (``Disclosure``) and rebuilds the kept counts
/// so each counter also sums its reports' keys.
struct AddDisclosureKeys: AsyncMigration {
    func prepare(on database: any Database) async throws {
        // The counts go first: filling the keys would otherwise run the triggers once a row.
        try await StatisticsCounts.uninstall(on: database)
        try await database.schema(Report.schema)
            .field("disclosure_key", .int, .required, .sql(.default(0)))
            .update()
        let sql = try database.sql()
        let random =
            sql.dialect.name == "postgresql"
            ? "1 + floor(random() * 2147483646)::integer" : "1 + abs(random() % 2147483646)"
        try await sql.raw("UPDATE reports SET disclosure_key = \(unsafeRaw: random)").run()
        // The newest reports of an answer, which wait until they make a group of ten, are
        // found from this end of the index (``Disclosure/waiting(_:of:answers:pinsOnly:on:)``).
        try await sql.create(index: "reports_publication_order").on(Report.schema).column("status")
            .column("published_at").column("disclosure_key").run()
        try await StatisticsCounts.install(keys: true, on: database)
    }

    func revert(on database: any Database) async throws {
        try await StatisticsCounts.uninstall(on: database)
        try await database.sql().drop(index: "reports_publication_order").run()
        try await database.schema(Report.schema).deleteField("disclosure_key").update()
        try await StatisticsCounts.install(keys: false, on: database)
    }
}

/// Removes the kept counts and their triggers: the published set counts for every filter set
/// now (issue #22), and the triggers cost every publication and bulk load a write per question.
struct DropStatisticsCounts: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await StatisticsCounts.uninstall(on: database)
    }

    func revert(on database: any Database) async throws {
        try await StatisticsCounts.install(keys: true, on: database)
    }
}
