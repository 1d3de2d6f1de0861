import Fluent
import Vapor

/// Submitting, finding and withdrawing reports: plain functions over a `Database`, so they are
/// testable without HTTP and shared by the API, the website and (later) the Telegram bot.
enum ReportService {
    struct Receipt: Content, Equatable {
        var receipt: String
        var status: String
    }

    /// Stores a validated report and returns its receipt code.
    ///
    /// The insert is committed before this returns, and callers answer only after that, so an
    /// acknowledged report is durable (SPEC rule 3).
    static func submit(
        _ valid: ValidReport, source: ReportSource, app: Application, on database: any Database, now: Date = Date()
    )
        async throws -> Receipt
    {
        let code = ReceiptCode.generate()
        let report = Report()
        report.disclosureKey = Disclosure.newRecordKey()
        report.status = ReportStatus.pending.rawValue
        report.role = valid.role.rawValue
        report.incidentDate = valid.date
        report.incidentTime = valid.time
        report.timeBand = valid.timeBand?.rawValue
        report.latitude = valid.latitude
        report.longitude = valid.longitude
        report.city = valid.city
        report.landmark = valid.landmark
        report.placeType = valid.placeType.rawValue
        report.kinds = valid.kinds
        report.perpetrator = valid.perpetrator.rawValue
        report.perpetratorRelation = valid.perpetratorRelation?.rawValue
        report.perpetratorCount = valid.perpetratorCount.rawValue
        report.prevented = valid.prevented
        report.preventedBy = valid.preventedBy?.rawValue
        report.description = valid.description
        report.recurrence = valid.recurrence?.rawValue
        report.toldWhom = valid.toldWhom
        report.toldOutcome = valid.toldOutcome?.rawValue
        report.ageBand = valid.ageBand?.rawValue
        report.gender = valid.gender?.rawValue
        report.contactSealed = try valid.contact.map { try ContactSealing.seal($0, key: app.secrets.contactKey) }
        report.publishConsent = valid.publishConsent
        report.source = source.rawValue
        report.language = valid.language.rawValue
        report.isDemo = false
        report.createdAt = KazakhstanTime.toTheHour(now)
        report.receiptLookup = ReceiptCode.lookupKey(for: code, key: app.secrets.receiptLookupKey)
        report.receiptHash = ReceiptCode.keyedHash(for: code, key: app.secrets.receiptHashKey)
        report.id = UUID()
        // Inside a caller's transaction the report joins it; otherwise it goes in the next
        // group commit, and this returns once that commit did.
        if database.inTransaction {
            try await ReportRows.insert([report], randomRowIDs: true, on: database)
        } else {
            try await app.submissionWriter.store(report, on: database)
        }
        return Receipt(receipt: code, status: report.status)
    }

    /// The report a typed receipt code belongs to, or nil. Deleted reports are gone for good.
    static func find(receipt typed: String, app: Application, on database: any Database) async throws -> Report? {
        guard let code = ReceiptCode.normalize(typed) else { return nil }
        let lookup = ReceiptCode.lookupKey(for: code, key: app.secrets.receiptLookupKey)
        let candidates = try await Report.query(on: database).filter(\.$receiptLookup == lookup).limit(20).all()
        for candidate in candidates where try await ReceiptCode.matches(code, stored: candidate.receiptHash, app: app) {
            return candidate
        }
        return nil
    }

    /// The reporter withdraws the report: it is deleted with everything attached to it, and
    /// its text is wiped from the database files too (SQLite overwrites the freed space and
    /// folds the write-ahead log back; PostgreSQL's space is reclaimed by the retention job's
    /// VACUUM). Every channel — website, API, bot — withdraws through here.
    ///
    /// Reports merged into this one were other people's accounts of the same incident: they go
    /// back to the queue, so the incident is still counted once a moderator decides again.
    static func withdraw(_ report: Report, on database: any Database) async throws {
        try await database.transaction { transaction in
            try await StorageHygiene.overwriteDeletedContent(on: transaction)
            try await Report.query(on: transaction).filter(\.$mergedInto == report.requireID())
                .set(\.$mergedInto, to: nil).set(\.$status, to: ReportStatus.pending.rawValue)
                .set(\.$closedAt, to: nil).update()
            try await AuditEntry.query(on: transaction).filter(\.$reportID == report.requireID())
                .filter(\.$action ~~ AuditEntry.actionsQuotingText).set(\.$detail, to: AuditEntry.withdrawnDetail)
                .update()
            try await report.delete(on: transaction)
            try await PublicChanges.bump([try report.requireID()], on: transaction)
        }
        try await StorageHygiene.foldWriteAheadLog(on: database)
    }
}

/// Contact details are sealed with AES-GCM; only moderators' views open them.
enum ContactSealing {
    static func seal(_ contact: String, key: SymmetricKey) throws -> String {
        guard let combined = try AES.GCM.seal(Data(contact.utf8), using: key).combined else {
            throw AppError.internalError
        }
        return combined.base64EncodedString()
    }

    static func open(_ sealed: String, key: SymmetricKey) -> String? {
        guard let data = Data(base64Encoded: sealed), let box = try? AES.GCM.SealedBox(combined: data),
            let plain = try? AES.GCM.open(box, using: key)
        else { return nil }
        return String(decoding: plain, as: UTF8.self)
    }
}
