import Fluent
import NIOConcurrencyHelpers
import NIOCore
import SQLKit
import Vapor

/// A counter that moves whenever the set of published incidents changes: a report published,
/// taken down, merged away or withdrawn while public, demo data added. Views computed from the
/// published set (the map's clusters) are cached under it, so a cache is right the moment the
/// counter moves — on every instance, since the counter lives in the database.
enum PublicChanges {
    static let table = "public_changes"

    /// Moves the counter, inside the transaction that changes the published set.
    static func bump(on database: any Database) async throws {
        try await database.sql().update(table).set(SQLIdentifier("version"), to: SQLRaw("version + 1"))
            .where("id", .equal, 1).run()
        localChanges.withLockedValue { $0 = Local(count: $0.count + 1, last: .now()) }
    }

    /// This process's changes: how many, and when the last one was made.
    struct Local: Sendable, Equatable {
        var count = 0
        var last = NIODeadline.uptimeNanoseconds(0)
    }

    /// This process's changes so far: a cache that saw the count move reads the counter again at
    /// once, so this instance's own changes show on its next answer; changes made by other
    /// instances show within ``PublicViewCache/versionLifetime``. The count moves inside the
    /// change's transaction, before its commit: a reader in between would read the old version
    /// under the new count, so caches read the version on every request for a while after.
    static let localChanges = NIOLockedValueBox(Local())

    /// The counter now: one primary-key read.
    static func current(on database: any Database) async throws -> Int64 {
        try await database.sql().select().column("version").from(table).where("id", .equal, 1).first()?
            .decode(column: "version", as: Int64.self) ?? 0
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
