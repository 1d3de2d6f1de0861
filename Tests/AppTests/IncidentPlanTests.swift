import Fluent
import SQLKit
import Testing
import Vapor

@testable import App

/// Issue #22: a small map box's page of incidents is two cheap reads on both databases, the
/// box's ids from the place index and then a page of rows by primary key, never a walk of the
/// date index over every published report (11 requests a second at a million).
@Suite struct IncidentPlanTests {
    /// How the database says it would run `query`, one line per step. SQLite plans with the
    /// statistics a connection last loaded, which running a statement brings up to date, so
    /// the query runs first. PostgreSQL reads a table of a few hundred rows whole rather than
    /// through any index, so it is asked how it would read one too large for that.
    func plan(of query: any SQLExpression, on database: any Database) async throws -> [String] {
        if try database.sql().dialect.name == "sqlite" {
            return try await database.withConnection { connection in
                let sql = try connection.sql()
                _ = try await sql.raw("\(query)").all()
                return try await sql.raw("EXPLAIN QUERY PLAN \(query)").all().map {
                    try $0.decode(column: "detail", as: String.self)
                }
            }
        }
        return try await database.transaction { transaction in
            let sql = try transaction.sql()
            try await sql.raw("SET LOCAL enable_seqscan = off").run()
            return try await sql.raw("EXPLAIN \(query)").all().map {
                try $0.decode(column: "QUERY PLAN", as: String.self)
            }
        }
    }

    /// Reports across the country, the planner told about them, and a box around Almaty's
    /// centre small enough that its ids are read first, holding more than a page of 10.
    func smallBox(_ app: Application) async throws -> IncidentFilters {
        _ = try await DemoData.make(count: 600, published: true, app: app, on: app.db, seed: 22)
        try await PlannerStatistics.refresh(on: app.db)
        var radius = 0.002
        while radius < 1 {
            let box = [76.93 - radius, 43.25 - radius, 76.93 + radius, 43.25 + radius]
            let filters = try IncidentFilters.parse(
                ["bbox": box.map { String($0) }.joined(separator: ","), "perPage": "10"], knownCities: [])
            var unboxed = filters
            unboxed.bbox = nil
            let places = try await ClusterQueries.places(filters, app: app, on: app.db)
            if ClusterQueries.total(of: places, in: filters) > 10 {
                let plan = IncidentQueries.Plan(
                    inBox: ClusterQueries.total(of: places, in: filters),
                    inAll: ClusterQueries.total(of: places, in: unboxed), rows: filters.rowsToRead, boxed: true)
                #expect(plan == .boxFirst)
                return filters
            }
            radius *= 1.1
        }
        Issue.record("no box around Almaty holds a page")
        return IncidentFilters()
    }

    /// Whether a plan reads a box by its latitudes from an index, not by walking the dates:
    /// SQLite from the place index; PostgreSQL from it or from the plain index of points,
    /// as its statistics say.
    func readsTheBox(_ steps: [String]) -> Bool {
        let walksTheDates = steps.contains {
            $0.contains("reports_published_date") || $0.contains(CreateNewestIncidentsIndex.index)
        }
        let sqlite = steps.contains { $0.contains("reports_published_place") && $0.contains("public_latitude>?") }
        let postgres = steps.contains { $0.contains("Index Cond") && $0.contains("public_latitude >=") }
        return !walksTheDates && (sqlite || postgres)
    }

    @Test func aSmallBoxsIdsComeFromThePlaceIndex() async throws {
        try await withApp { app in
            let filters = try await smallBox(app)
            let sql = try app.db.sql()
            let first = IncidentQueries.newestFirst(filters, columns: ["id"], plan: .boxFirst, on: sql)
            let steps = try await plan(of: first.query, on: app.db)
            #expect(readsTheBox(steps), "\(steps)")
            // The next page, walked by key, reads the same way.
            var after = filters
            let ids = try await first.all().map { try $0.decode(column: "id", as: UUID.self) }
            let last = try #require(try await IncidentQueries.publishedRows([ids[9]], on: app.db).first)
            after.after = (try last.decode(column: "incident_date", as: String.self), ids[9])
            let next = try await plan(
                of: IncidentQueries.newestFirst(after, columns: ["id"], plan: .boxFirst, on: sql).query, on: app.db)
            #expect(readsTheBox(next), "\(next)")
        }
    }

    @Test func aSmallBoxsRowsAreReadByPrimaryKey() async throws {
        try await withApp { app in
            let filters = try await smallBox(app)
            let sql = try app.db.sql()
            let ids = try await IncidentQueries.newestFirst(filters, columns: ["id"], plan: .boxFirst, on: sql).all()
                .prefix(10).map { try $0.decode(column: "id", as: UUID.self) }
            #expect(ids.count == 10)
            let steps = try await plan(of: IncidentQueries.secondRead(ids: ids, on: sql).query, on: app.db)
            #expect(!steps.contains { $0.contains("reports_published_date") }, "\(steps)")
            #expect(!steps.contains { $0.contains("reports_published_place") }, "\(steps)")
            if sql.dialect.name == "sqlite" {
                // Each id looked up in an index that starts with it or with the status before it.
                #expect(
                    steps.allSatisfy {
                        $0.contains("sqlite_autoindex_reports_1") || $0.contains("PRIMARY KEY")
                            || $0.contains("id=?")
                    }, "\(steps)")
                #expect(!steps.contains { $0.contains("SCAN") || $0.contains("TEMP B-TREE") }, "\(steps)")
            } else {
                // The ids are the index condition: of the key, or of the status and then the id.
                #expect(steps.contains { $0.contains("Index Cond") && $0.contains("id = ANY") }, "\(steps)")
                #expect(!steps.contains { $0.contains("Seq Scan") || $0.contains("Sort") }, "\(steps)")
            }
        }
    }

    /// A box holding much of the map walks the newest incidents and skips, in the index alone,
    /// those outside it: nothing is sorted, no row read but the page's.
    @Test func aLargeBoxWalksTheNewestIncidentsIndex() async throws {
        try await withApp { app in
            _ = try await DemoData.make(count: 600, published: true, app: app, on: app.db, seed: 23)
            try await PlannerStatistics.refresh(on: app.db)
            let filters = try IncidentFilters.parse(["bbox": "46.4,40.5,87.4,55.5", "perPage": "10"], knownCities: [])
            let sql = try app.db.sql()
            for columns in [["id"], PublicIncident.columns] {
                let steps = try await plan(
                    of: IncidentQueries.newestFirst(filters, columns: columns, plan: .dateFirst, on: sql).query,
                    on: app.db)
                #expect(steps.contains { $0.contains(CreateNewestIncidentsIndex.index) }, "\(steps)")
                #expect(!steps.contains { $0.contains("TEMP B-TREE") || $0.contains("Sort") }, "\(steps)")
            }
        }
    }

    /// The planner's statistics are there after a refresh, for the reports table at least.
    @Test func aRefreshLeavesStatisticsAboutTheReports() async throws {
        try await withApp { app in
            _ = try await DemoData.make(count: 50, published: true, app: app, on: app.db, seed: 5)
            try await PlannerStatistics.refresh(on: app.db)
            let sql = try app.db.sql()
            if sql.dialect.name == "sqlite" {
                let rows = try await sql.raw("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'reports'").all()
                let stats = try rows.map {
                    (try $0.decode(column: "idx", as: String.self), try $0.decode(column: "stat", as: String.self))
                }
                let place = try #require(stats.first { $0.0 == "reports_published_place" })
                // The first number is how many rows the index holds.
                #expect(place.1.split(separator: " ").first.flatMap { Int($0) } ?? 0 >= 50, "\(stats)")
            } else {
                let analyzed = try await sql.raw(
                    """
                    SELECT count(*) AS n FROM pg_stats WHERE tablename = 'reports' AND schemaname = current_schema()
                    """
                ).first()?.decode(column: "n", as: Int.self)
                #expect((analyzed ?? 0) > 0)
            }
        }
    }
}
