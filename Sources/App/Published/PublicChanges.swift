import Fluent
import NIOConcurrencyHelpers
import NIOCore
import SQLKit
import Vapor

/// A counter that moves whenever the set of published incidents changes: a report published,
/// taken down, merged away or withdrawn while public, its public text edited, demo data added.
/// Each move is logged with the reports it concerns (``logTable``), so every instance's
/// ``PublishedSet`` reads just those reports again instead of the whole set.
///
/// The counter is one row that each change updates in its transaction: changes commit in the
/// counter's order, so a reader that sees version `v` sees every change up to `v` and its log.
enum PublicChanges {
    static let table = "public_changes"
    static let logTable = "public_change_log"
    /// Log entries older than this many versions are pruned; an instance further behind
    /// reads the whole set again.
    static let kept: Int64 = 20_000

    /// Moves the counter and logs the change, inside the transaction that changes the
    /// published set. `reports` are the reports whose public state may have changed; nil
    /// means any (demo data, a migration), and so does an empty list: every instance then reads
    /// the whole set again.
    static func bump(_ reports: [UUID]?, on database: any Database) async throws {
        let sql = try database.sql()
        let row = try await sql.update(table).set(SQLIdentifier("version"), to: SQLRaw("version + 1"))
            .where("id", .equal, 1).returning("version").first()
        let version = try row?.decode(column: "version", as: Int64.self) ?? 0
        let ids = reports.map { Array(Set($0)) } ?? []
        if ids.isEmpty {
            try await sql.insert(into: logTable).columns("version", "report_id")
                .values(SQLBind(version), SQLLiteral.null).run()
        }
        var start = 0
        while start < ids.count {
            let batch = ids[start..<min(start + 500, ids.count)]
            let insert = sql.insert(into: logTable).columns("version", "report_id")
            for id in batch { insert.values(SQLBind(version), SQLBind(id)) }
            try await insert.run()
            start += 500
        }
        if version % 1000 == 0 {
            try await sql.delete(from: logTable).where("version", .lessThan, SQLBind(version - kept)).run()
        }
        localChanges.withLockedValue {
            $0 = Local(last: .now(), expected: max($0.expected, version))
        }
    }

    /// This process's changes: when the last one was made, and the highest version they made.
    struct Local: Sendable, Equatable {
        var last = NIODeadline.uptimeNanoseconds(0)
        var expected: Int64 = 0
    }

    /// This process's changes so far. A change counts here inside its transaction, before its
    /// commit: the published set reads the counter on every request until it has seen the
    /// version this process made (or, if that transaction was rolled back, for a few seconds),
    /// so this instance's own changes show on its next answer after they commit.
    static let localChanges = NIOLockedValueBox(Local())

    /// The counter now: one primary-key read.
    static func current(on database: any Database) async throws -> Int64 {
        try await database.sql().select().column("version").from(table).where("id", .equal, 1).first()?
            .decode(column: "version", as: Int64.self) ?? 0
    }

    /// The log from just after `version` to `upTo`: per version, the reports it concerns
    /// (an empty list for "any").
    static func log(
        after version: Int64, upTo last: Int64, on database: any Database
    ) async throws
        -> [Int64: [UUID]]
    {
        var result: [Int64: [UUID]] = [:]
        for row in try await database.sql().select().column("version").column("report_id").from(logTable)
            .where("version", .greaterThan, SQLBind(version)).where("version", .lessThanOrEqual, SQLBind(last))
            .all()
        {
            let version = try row.decode(column: "version", as: Int64.self)
            if try row.decodeNil(column: "report_id") {
                result[version] = []
            } else if result[version] != [] {
                result[version, default: []].append(try row.decode(column: "report_id", as: UUID.self))
            }
        }
        return result
    }
}

/// The log of changes to the published set (``PublicChanges``), so that caches follow each
/// change instead of being thrown away (issue #22).
struct CreatePublicChangeLog: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(PublicChanges.logTable).field("version", .int64, .required)
            .field("report_id", .uuid).create()
        try await database.sql().create(index: "public_change_log_version").on(PublicChanges.logTable)
            .column("version").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(PublicChanges.logTable).delete()
    }
}

struct CreatePublicChanges: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(PublicChanges.table)
            .field("id", .int, .identifier(auto: false))
            .field("version", .int64, .required)
            .create()
        try await database.sql().insert(into: PublicChanges.table).columns("id", "version").values(
            SQLBind(1), SQLBind(Int64(1))
        ).run()
        // The indexes the public reads use: the map's points, and the newest incidents first.
        // The map's counts read only these columns: the index covers them, so counting a
        // million published points never touches the table.
        try await database.sql().create(index: "reports_published_place").on(Report.schema)
            .column("status").column("public_latitude").column("public_longitude").column("prevented").run()
        try await database.sql().create(index: "reports_published_date").on(Report.schema)
            .column("status").column("incident_date").column("id").run()
    }

    func revert(on database: any Database) async throws {
        try await database.sql().drop(index: "reports_published_date").run()
        try await database.sql().drop(index: "reports_published_place").run()
        try await database.schema(PublicChanges.table).delete()
    }
}

/// A page of incidents in a small map box sorts only that box's rows: with the date and id in
/// the place index, the newest of a box are found in the index alone and only a page of rows is
/// read (issue #14; `IncidentQueries.page`). The map's counts still read the index alone.
struct WidenPublishedPlaceIndex: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.sql().drop(index: "reports_published_place").run()
        try await Self.create(
            on: database,
            columns: [
                "status", "public_latitude", "public_longitude", "prevented", "incident_date", "id",
            ])
    }

    func revert(on database: any Database) async throws {
        try await database.sql().drop(index: "reports_published_place").run()
        try await Self.create(on: database, columns: ["status", "public_latitude", "public_longitude", "prevented"])
    }

    private static func create(on database: any Database, columns: [String]) async throws {
        let index = try database.sql().create(index: "reports_published_place").on(Report.schema)
        for column in columns { index.column(column) }
        try await index.run()
    }
}
