import Fluent
import Vapor

/// The moderators' actions on reports: plain functions over a `Database`, each audited.
enum ModerationService {
    /// Reports with the given status, oldest first (SPEC §3 moderation queue).
    static func queue(status: ReportStatus, limit: Int = 200, on database: any Database) async throws -> [Report] {
        try await Report.query(on: database).filter(\.$status == status.rawValue)
            .sort(\.$createdAt, .ascending).sort(\.$id).limit(limit).all()
    }

    static func counts(on database: any Database) async throws -> [ReportStatus: Int] {
        var counts: [ReportStatus: Int] = [:]
        for status in ReportStatus.allCases {
            counts[status] = try await Report.query(on: database).filter(\.$status == status.rawValue).count()
        }
        return counts
    }

    static func report(_ id: UUID, on database: any Database) async throws -> Report {
        guard let report = try await Report.find(id, on: database) else { throw AppError.notFound }
        return report
    }

    static func validPublicDescription(_ raw: String?) throws -> String {
        guard let text = TextRules.trimmed(raw) else {
            throw AppError.validation(["publicDescription": "error_required"])
        }
        guard ReportInput.descriptionLength.contains(text.count) else {
            throw AppError.validation(["publicDescription": "error_description_length"])
        }
        guard TextRules.isClean(text) else { throw AppError.validation(["publicDescription": "error_text_characters"]) }
        return text
    }

    /// Saves an edited public version without publishing it yet.
    static func savePublicDescription(
        _ report: Report, text: String?, by account: Account, on database: any Database
    )
        async throws
    {
        let cleaned = try validPublicDescription(text)
        try await database.transaction { transaction in
            report.publicDescription = cleaned
            try await report.save(on: transaction)
            try await AuditEntry(
                account: account, action: "edit_public_description", reportID: report.id,
                detail: "public description edited (\(cleaned.count) characters)"
            ).create(on: transaction)
        }
    }

    /// Publishes a report: fixes the public text and makes the public point (SPEC §6).
    static func publish(
        _ report: Report, publicDescription: String?, precision: PublicPrecision, by account: Account,
        app: Application, on database: any Database
    ) async throws {
        guard report.reportStatus == .pending || report.reportStatus == .rejected else { throw AppError.conflict }
        let text = try validPublicDescription(publicDescription ?? report.publicDescription)
        var point: PublicLocation.Point?
        if report.mayHavePin {
            guard let city = try await City.find(report.city, on: database) else { throw AppError.conflict }
            point = PublicLocation.make(
                reportID: try report.requireID(), latitude: report.latitude, longitude: report.longitude,
                precision: precision, cityCentre: .init(latitude: city.latitude, longitude: city.longitude),
                key: app.secrets.locationKey)
        }
        let previous = report.status
        let publicPoint = point
        try await database.transaction { transaction in
            report.status = ReportStatus.published.rawValue
            report.publicDescription = text
            report.publicPrecision = precision.rawValue
            report.publicLatitude = publicPoint?.latitude
            report.publicLongitude = publicPoint?.longitude
            report.publishedAt = Date()
            report.closedAt = nil
            report.rejectionCode = nil
            report.rejectionReason = nil
            try await report.save(on: transaction)
            try await AuditEntry(
                account: account, action: "publish", reportID: report.id,
                detail:
                    "status: \(previous) → published; precision: \(precision.rawValue); pin: \(publicPoint == nil ? "none" : "shown")"
            ).create(on: transaction)
        }
    }

    /// Rejects a report with a reason the reporter can read when checking the receipt.
    static func reject(
        _ report: Report, code: RejectionReason, reason: String?, by account: Account, on database: any Database
    ) async throws {
        guard report.reportStatus == .pending || report.reportStatus == .published else { throw AppError.conflict }
        let note = TextRules.trimmed(reason)
        if let note, note.count > 1000 || !TextRules.isClean(note) {
            throw AppError.validation(["reason": "error_reason"])
        }
        let previous = report.status
        try await database.transaction { transaction in
            report.status = ReportStatus.rejected.rawValue
            report.rejectionCode = code.rawValue
            report.rejectionReason = note
            report.publicLatitude = nil
            report.publicLongitude = nil
            report.closedAt = Date()
            try await report.save(on: transaction)
            try await AuditEntry(
                account: account, action: "reject", reportID: report.id,
                detail: "status: \(previous) → rejected; reason: \(code.rawValue)"
            ).create(on: transaction)
        }
    }

    static func audit(limit: Int = 200, on database: any Database) async throws -> [AuditEntry] {
        try await AuditEntry.query(on: database).sort(\.$createdAt, .descending).limit(limit).all()
    }
}
