import Crypto
import Fluent
import Foundation
import SQLKit

/// Moves the pins already published to the displacement field (issue #21, SPEC §6).
///
/// Before it, each 100 m cell had its own displacement, so the pins of a campus or a market
/// spread over several cells averaged back to the place. Every published or archived report
/// with a pin at 250 m or 1 km precision gets its public point again from
/// ``PublicLocation/make(latitude:longitude:precision:cityCentre:key:)``; a city-centre pin
/// stays where it is. The reports are read a page at a time in id order and written a page per
/// transaction, so a million rows never sit in memory or in one transaction; each page moves
/// ``PublicChanges`` as a publication does, so no cached map, list or count keeps old points.
/// Releases frozen before keep the points they were frozen with.
struct RederivePublicPoints: AsyncMigration {
    let locationKey: SymmetricKey
    /// Reports read per page and written per transaction.
    var pageSize = 1000

    /// The precisions whose point depends on the displacement.
    static let moved: [PublicPrecision] = [.grid250, .km1]

    func prepare(on database: any Database) async throws {
        let centres = Dictionary(
            uniqueKeysWithValues: try await City.query(on: database).all().map {
                ($0.id ?? "", PublicLocation.Point(latitude: $0.latitude, longitude: $0.longitude))
            })
        for status in [ReportStatus.published, .archived] {
            var after: UUID?
            while true {
                // Only the columns needed, by the (status, id) index.
                var page = Report.query(on: database).field(\.$id).field(\.$city).field(\.$latitude)
                    .field(\.$longitude).field(\.$publicPrecision)
                    .filter(\.$status == status.rawValue).filter(\.$publicLatitude != nil)
                    .filter(\.$publicPrecision ~~ Self.moved.map(\.rawValue))
                    .sort(\.$id).limit(pageSize)
                if let after { page = page.filter(\.$id > after) }
                let reports = try await page.all()
                guard let last = reports.last else { break }
                let moves = reports.compactMap { report -> Move? in
                    guard let id = report.id, let raw = report.publicPrecision,
                        let precision = PublicPrecision(rawValue: raw)
                    else { return nil }
                    // The city centre is used only if a place had no candidate cell; a report
                    // whose city is gone keeps its point rather than getting another's.
                    guard let centre = centres[report.city] else { return nil }
                    let point = PublicLocation.make(
                        latitude: report.latitude, longitude: report.longitude, precision: precision,
                        cityCentre: centre, key: locationKey)
                    return Move(id: id, precision: raw, point: point)
                }
                try await SerialWrites.transaction(on: database) { transaction in
                    try await Self.write(moves, status: status, on: transaction)
                    try await PublicChanges.bump(nil, on: transaction)
                }
                after = try last.requireID()
            }
        }
    }

    func revert(on database: any Database) async throws {}

    struct Move: Sendable {
        var id: UUID
        var precision: String
        var point: PublicLocation.Point
    }

    /// One statement for the whole page: each row is changed only if it still has the status,
    /// a pin and the precision it was read with, so a report taken down or re-published by a
    /// moderator meanwhile keeps what the moderator made.
    static func write(_ moves: [Move], status: ReportStatus, on database: any Database) async throws {
        guard !moves.isEmpty else { return }
        let rows = moves.map { move -> SQLQueryString in
            "(\(bind: move.id), \(bind: move.point.latitude), \(bind: move.point.longitude), \(bind: move.precision), \(bind: status.rawValue))"
        }
        // `column1`… are the names SQLite and PostgreSQL both give a VALUES list's columns. Every
        // condition names the list, so SQLite walks the list and finds each row by its id
        // instead of walking every published report for each row of the list.
        let update: SQLQueryString =
            "UPDATE \(ident: Report.schema) SET public_latitude = v.column2, public_longitude = v.column3 FROM (VALUES "
            + rows.joined(separator: ", ")
            + ") AS v WHERE \(ident: Report.schema).id = v.column1 AND \(ident: Report.schema).public_precision = v.column4"
            + " AND \(ident: Report.schema).status = v.column5 AND \(ident: Report.schema).public_latitude IS NOT NULL"
            // A row already in place is left alone: the statistics triggers fire for nothing.
            + " AND (\(ident: Report.schema).public_latitude <> v.column2"
            + " OR \(ident: Report.schema).public_longitude <> v.column3)"
        try await database.sql().raw(update).run()
    }
}
