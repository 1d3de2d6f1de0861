import Fluent
import SQLKit
import Vapor

/// What the database's query planner knows of the tables: how many rows an index's leading
/// columns pick out (issue #22).
///
/// Without it SQLite guesses that `status = 'published'` picks out ten rows, so it read the
/// second step of a small map box's page (a hundred reports by id) through an index over every
/// published report: 11 requests a second at a million. PostgreSQL keeps its own statistics
/// when enough rows change, but not after a restore or a bulk load until then.
///
/// Refreshed when a serving or polling process starts and then hourly (with ``Retention``), and
/// after `demo-data` has written its reports. Running it twice, or on several instances at
/// once, does no harm.
enum PlannerStatistics {
    /// SQLite reads about this many entries of each index instead of all of them. At a million
    /// reports a full `ANALYZE` took 1.2 s on this machine, holding the write lock and one of
    /// the two connections; with the limit, 0.16 s (counting the rows, which it still does, is
    /// most of that). The sample underrates how many reports share a status (10,001 rather
    /// than a million) but still tells the planner what it needs: that an id picks out one
    /// report and a status thousands, and how wide a box is next to the map.
    static let sqliteAnalysisLimit = 10_000

    static func refresh(on database: any Database) async throws {
        try await database.withConnection { connection in
            let sql = try connection.sql()
            if sql.dialect.name == "sqlite" {
                // Per connection, so on the same one as the analysis.
                try await sql.raw("PRAGMA analysis_limit = \(unsafeRaw: String(sqliteAnalysisLimit))").run()
                try await sql.raw("ANALYZE").run()
            } else {
                try await sql.raw("ANALYZE \(ident: Report.schema)").run()
            }
        }
    }

    /// ``refresh(on:)`` for a scheduled run: a failure is logged by type, never thrown.
    static func refreshLogging(on database: any Database, logger: Logger) async {
        do {
            try await refresh(on: database)
        } catch {
            logger.error(
                "planner statistics failed", metadata: ["errorType": .string(String(reflecting: type(of: error)))])
        }
    }
}
