import Fluent
import SQLKit
import Vapor

/// Two people reported one incident: a moderator merges the duplicate into the other report.
/// The duplicate is archived and points at the report it joined, so the public map and the
/// statistics count the incident once; its reporter's receipt shows the joined report's status
/// and public version (``ReceiptView/withThread(_:app:on:)``), and its follow-up thread stays
/// its own. Merges never chain: reports merged into the duplicate move to the report it joins.
extension ModerationService {
    /// Reports that may be the same incident as `report`: same city, incident within three days,
    /// not closed as archived, not merged, newest first. A hint for the moderator, who decides.
    static func possibleDuplicates(of report: Report, on database: any Database) async throws -> [Report] {
        let around = KazakhstanTime.noon(ofDay: report.incidentDate) ?? Date()
        let from = KazakhstanTime.dayString(around.addingTimeInterval(-3 * 86_400))
        let to = KazakhstanTime.dayString(around.addingTimeInterval(3 * 86_400))
        return try await Report.query(on: database)
            .filter(\.$city == report.city)
            .filter(\.$id != report.requireID())
            .filter(\.$status != ReportStatus.archived.rawValue).filter(\.$mergedInto == nil)
            .filter(\.$incidentDate >= from).filter(\.$incidentDate <= to)
            .sort(\.$createdAt, .descending).limit(5).all()
    }

    /// Merges `duplicate` into the report `targetID`. The duplicate must still have the status
    /// its moderator saw (compare-and-set, as every decision) and be free of other moderators'
    /// claims; the target must be pending or published and not merged itself — checked by an
    /// UPDATE in the same transaction, so two moderators merging two reports into each other at
    /// once cannot make a loop: the rows are locked in id order, and the second finds the first
    /// archived and is refused.
    static func merge(
        _ duplicate: Report, into targetID: UUID?, seen: ReportStatus? = nil, by account: Account,
        on database: any Database, now: Date = Date()
    ) async throws {
        let seen = seen ?? duplicate.reportStatus
        guard seen != .archived, duplicate.mergedInto == nil else { throw AppError.conflict }
        let duplicateID = try duplicate.requireID()
        guard let targetID else { throw AppError.validation(["into": "error_required"]) }
        guard targetID != duplicateID else { throw AppError.validation(["into": "admin_merge_self"]) }
        guard try await Report.find(targetID, on: database) != nil else {
            throw AppError.validation(["into": "admin_merge_unknown"])
        }
        try await SerialWrites.transaction(on: database) { transaction in
            guard let sql = transaction as? any SQLDatabase else { throw AppError.conflict }
            // Lock the two rows in one global order (lower id first), so crossing merges wait
            // for each other instead of deadlocking.
            func lockTarget() async throws {
                let open = try await sql.update(Report.schema)
                    .set("merged_into", to: SQLLiteral.null)
                    .where("id", .equal, targetID)
                    .where("merged_into", .is, SQLLiteral.null)
                    .where(
                        "status", .in,
                        SQLBind.group([ReportStatus.pending.rawValue, ReportStatus.published.rawValue])
                    )
                    .returning("id").all()
                guard !open.isEmpty else { throw AppError.validation(["into": "admin_merge_target_closed"]) }
            }
            let targetFirst = targetID.uuidString < duplicateID.uuidString
            if targetFirst { try await lockTarget() }
            try await changeStatus(of: duplicate, from: seen, to: .archived, by: account, on: transaction, now: now)
            try await PublicChanges.bump([duplicateID, targetID], on: transaction)
            if !targetFirst { try await lockTarget() }
            duplicate.status = ReportStatus.archived.rawValue
            duplicate.mergedInto = targetID
            duplicate.publicLatitude = nil
            duplicate.publicLongitude = nil
            duplicate.closedAt = duplicate.closedAt ?? KazakhstanTime.toTheHour(now)
            try await duplicate.save(on: transaction)
            let moved = try await sql.update(Report.schema)
                .set("merged_into", to: targetID)
                .where("merged_into", .equal, duplicateID)
                .returning("id").all()
            try await AuditEntry(
                account: account, action: "merge", reportID: duplicateID,
                detail: "status: \(seen.rawValue) → archived; merged into \(targetID.uuidString)"
                    + (moved.isEmpty ? "" : "; \(moved.count) earlier duplicate(s) moved along")
            ).create(on: transaction)
        }
    }

    /// The reports merged into `report`, for its page.
    static func mergedDuplicates(of report: Report, on database: any Database) async throws -> [Report] {
        try await Report.query(on: database).filter(\.$mergedInto == report.requireID())
            .sort(\.$createdAt, .ascending).all()
    }
}

/// The column that records a merge (issue #13).
struct AddMerges: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(Report.schema).field("merged_into", .uuid).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(Report.schema).deleteField("merged_into").update()
    }
}
