import Fluent
import SQLKit
import Vapor

/// The moderators' actions on reports: plain functions over a `Database`, each audited, each
/// refused while another moderator holds the report (see Claims).
enum ModerationService {
    /// One page of the queue: reports with the filter's status and fields, oldest first (SPEC §3).
    /// Creation times are kept to the hour only, so reports of one hour follow in an order that
    /// says nothing about which came first. Also how many match in all.
    static func queue(_ filter: QueueFilter, on database: any Database) async throws -> (reports: [Report], total: Int)
    {
        let matching = filter.narrow(Report.query(on: database).filter(\.$status == filter.status.rawValue))
        let total = try await matching.copy().count()
        let reports = try await matching.sort(\.$createdAt, .ascending).sort(\.$id)
            .offset((filter.page - 1) * QueueFilter.pageSize).limit(QueueFilter.pageSize).all()
        return (reports, total)
    }

    /// How many reports each status holds, within the filter's other fields.
    static func counts(
        _ filter: QueueFilter = QueueFilter(), on database: any Database
    ) async throws -> [ReportStatus: Int] {
        var counts: [ReportStatus: Int] = [:]
        for status in ReportStatus.allCases {
            counts[status] = try await filter.narrow(Report.query(on: database).filter(\.$status == status.rawValue))
                .count()
        }
        return counts
    }

    /// When the oldest report still waiting for a decision was sent (to the hour), if any waits.
    static func oldestPending(on database: any Database) async throws -> Date? {
        try await Report.query(on: database).filter(\.$status == ReportStatus.pending.rawValue)
            .sort(\.$createdAt, .ascending).first()?.createdAt
    }

    static func report(_ id: UUID, on database: any Database) async throws -> Report {
        guard let report = try await Report.find(id, on: database) else { throw AppError.notFound }
        return report
    }

    /// A public text follows the same rules as a reporter's description.
    static func validPublicDescription(_ raw: String?) throws -> String {
        switch ReportRules.description(raw) {
        case .success(let text): return text
        case .failure(let problem): throw AppError.validation(["publicDescription": problem.key])
        }
    }

    /// The one check every saved public text passes, in any status and on any path (publish,
    /// bulk, save, the API; SPEC §6): a valid length, not the reporter's own words — neither the
    /// original nor a run of ``PublicText/quotedRunLength`` of its words in a row — and nothing
    /// left that identifies anyone. The refusal names what it found; nothing is changed.
    static func publishablePublicDescription(_ raw: String?, original: String) throws -> String {
        let text = try validPublicDescription(raw)
        if Redaction.isSameText(text, original) {
            throw AppError.validation(["publicDescription": "error_public_is_original"])
        }
        if let quoted = PublicText.quotedRun(in: text, from: original) {
            var error = AppError.validation(["publicDescription": "error_public_quotes_original"])
            error.fieldArguments = ["publicDescription": [quoted]]
            throw error
        }
        let kinds = Redaction.blockingKinds(in: text)
        if !kinds.isEmpty {
            var error = AppError.validation(["publicDescription": "error_public_identifying"])
            error.fieldArguments = ["publicDescription": kinds.map { "redaction_kind_" + $0.rawValue }]
            throw error
        }
        return text
    }

    /// What the publish form (and bulk publishing) starts with: the text a moderator saved, as
    /// it is, or else one written from the report's answers in its language
    /// (``PublicText/proposal(for:translations:)``) — never a word of the description.
    static func proposedPublicDescription(_ report: Report, translations: Translations) -> String {
        report.publicDescription ?? PublicText.proposal(for: report, translations: translations)
    }

    /// Saves an edited public version without publishing it: a draft, or the live text of a
    /// published report. Either way it passes the publication check first.
    static func savePublicDescription(
        _ report: Report, text: String?, by account: Account, on database: any Database, now: Date = Date()
    )
        async throws
    {
        let cleaned = try publishablePublicDescription(text, original: report.description)
        let before = report.publicDescription
        try await SerialWrites.transaction(on: database) { transaction in
            try await holdClaim(of: report, by: account, on: transaction, now: now)
            report.publicDescription = cleaned
            try await report.save(on: transaction)
            // A published report's text is public at once: the map and lists read it anew.
            if report.reportStatus == .published {
                try await PublicChanges.bump([try report.requireID()], on: transaction)
            }
            try await AuditEntry(
                account: account, action: "edit_public_description", reportID: report.id,
                detail: AuditEntry.changes([("public description", before, cleaned)])
            ).create(on: transaction)
        }
    }

    /// The public fields of a report, made once at publication (SPEC §6). `text` has passed
    /// ``publishablePublicDescription(_:original:)``; demo data uses it too, with synthetic
    /// retellings that pass it (``DemoData/stories``).
    static func applyPublicVersion(
        to report: Report, text: String, precision: PublicPrecision, cityCentre: PublicLocation.Point,
        key: SymmetricKey, now: Date
    ) {
        let point =
            report.mayHavePin
            ? PublicLocation.make(
                latitude: report.latitude, longitude: report.longitude, precision: precision, cityCentre: cityCentre,
                key: key) : nil
        report.status = ReportStatus.published.rawValue
        report.publicDescription = text
        report.publicPrecision = precision.rawValue
        report.publicLatitude = point?.latitude
        report.publicLongitude = point?.longitude
        report.publishedAt = KazakhstanTime.toTheHour(now)
        report.closedAt = report.closedAt ?? KazakhstanTime.toTheHour(now)
        report.rejectionCode = nil
        report.rejectionReason = nil
    }

    /// Publishes a report with a public text the moderator wrote or accepted (the saved draft
    /// when none is given); the original is never the default.
    ///
    /// - Parameter seen: the status the moderator saw when deciding (the loaded one by default);
    ///   if the report no longer has it, nothing changes and the answer is a conflict.
    static func publish(
        _ report: Report, publicDescription: String?, precision: PublicPrecision, seen: ReportStatus? = nil,
        by account: Account, app: Application, on database: any Database, now: Date = Date()
    ) async throws {
        let seen = seen ?? report.reportStatus
        guard seen == .pending || seen == .rejected else { throw AppError.conflict }
        let text = try publishablePublicDescription(
            publicDescription ?? report.publicDescription, original: report.description)
        guard let city = try await City.find(report.city, on: database) else { throw AppError.conflict }
        let textBefore = report.publicDescription
        applyPublicVersion(
            to: report, text: text, precision: precision,
            cityCentre: .init(latitude: city.latitude, longitude: city.longitude), key: app.secrets.locationKey,
            now: now)
        let hasPin = report.publicLatitude != nil
        try await SerialWrites.transaction(on: database) { transaction in
            try await changeStatus(of: report, from: seen, to: .published, by: account, on: transaction, now: now)
            try await PublicChanges.bump([try report.requireID()], on: transaction)
            try await report.save(on: transaction)
            try await AuditEntry(
                account: account, action: "publish", reportID: report.id,
                detail:
                    "status: \(seen.rawValue) → published; precision: \(precision.rawValue); pin: \(hasPin ? "shown" : "none")"
                    + (textBefore == text ? "" : "\n" + AuditEntry.changes([("public description", textBefore, text)]))
            ).create(on: transaction)
        }
    }

    /// Rejects a report with a reason the reporter can read when checking the receipt.
    static func reject(
        _ report: Report, code: RejectionReason, reason: String?, seen: ReportStatus? = nil, by account: Account,
        on database: any Database, now: Date = Date()
    ) async throws {
        let seen = seen ?? report.reportStatus
        guard seen == .pending || seen == .published else { throw AppError.conflict }
        let note = TextRules.trimmed(reason)
        if let note, note.count > 1000 || !TextRules.isClean(note) {
            throw AppError.validation(["reason": "error_reason"])
        }
        try await SerialWrites.transaction(on: database) { transaction in
            try await changeStatus(of: report, from: seen, to: .rejected, by: account, on: transaction, now: now)
            try await PublicChanges.bump([try report.requireID()], on: transaction)
            report.status = ReportStatus.rejected.rawValue
            report.rejectionCode = code.rawValue
            report.rejectionReason = note
            report.publicLatitude = nil
            report.publicLongitude = nil
            report.closedAt = report.closedAt ?? KazakhstanTime.toTheHour(now)
            try await report.save(on: transaction)
            try await AuditEntry(
                account: account, action: "reject", reportID: report.id,
                detail: "status: \(seen.rawValue) → rejected; reason: \(code.rawValue)"
            ).create(on: transaction)
        }
    }

    /// Closes a case that will not be published: a pending report leaves the queue, a rejected
    /// one is filed away, and the contact is deleted 90 days after the first decision (SPEC §2).
    /// A published report stays public evidence; to take it down, a moderator rejects it.
    static func archive(
        _ report: Report, seen: ReportStatus? = nil, by account: Account, on database: any Database, now: Date = Date()
    )
        async throws
    {
        let seen = seen ?? report.reportStatus
        guard seen == .pending || seen == .rejected else { throw AppError.conflict }
        try await SerialWrites.transaction(on: database) { transaction in
            try await changeStatus(of: report, from: seen, to: .archived, by: account, on: transaction, now: now)
            try await PublicChanges.bump([try report.requireID()], on: transaction)
            report.status = ReportStatus.archived.rawValue
            report.publicLatitude = nil
            report.publicLongitude = nil
            report.closedAt = report.closedAt ?? KazakhstanTime.toTheHour(now)
            try await report.save(on: transaction)
            try await AuditEntry(
                account: account, action: "archive", reportID: report.id, detail: "status: \(seen.rawValue) → archived"
            ).create(on: transaction)
        }
    }

    // MARK: Claims

    /// How long a moderator's claim keeps others from acting on a report.
    static let claimLifetime: TimeInterval = 30 * 60

    /// Who else is working on a report, and since when, when they keep it from this moderator.
    struct OtherClaim: Equatable {
        var email: String
        var since: Date
        var until: Date { since.addingTimeInterval(ModerationService.claimLifetime) }
    }

    /// The WHERE part every claim-respecting change shares: nobody holds the report, this
    /// moderator does, or the holder's claim is older than 30 minutes.
    private static func free(
        for account: Account, now: Date
    ) throws -> (SQLPredicateGroupBuilder) -> SQLPredicateGroupBuilder {
        let id = try account.requireID(), cutoff = now.addingTimeInterval(-claimLifetime)
        return {
            $0.where("claimed_by", .is, SQLLiteral.null).orWhere("claimed_by", .equal, id)
                .orWhere("claimed_at", .lessThan, cutoff)
        }
    }

    /// Opening a report claims it for the moderator, unless another moderator's claim is younger
    /// than 30 minutes: then nothing changes and the answer says whose it is. One UPDATE, so two
    /// moderators opening a report at once cannot both hold it. The view is audited.
    static func claim(
        _ report: Report, by account: Account, on database: any Database, now: Date = Date()
    ) async throws -> OtherClaim? {
        guard let sql = database as? any SQLDatabase else { return nil }
        let taken = try await sql.update(Report.schema)
            .set("claimed_by", to: try account.requireID()).set("claimed_at", to: now)
            .where("id", .equal, try report.requireID())
            .where(group: try free(for: account, now: now))
            .returning("id").all()
        try await AuditEntry(account: account, action: "view_original", reportID: report.id, detail: "report opened")
            .create(on: database)
        guard taken.isEmpty else {
            report.claimedBy = account.id
            report.claimedAt = now
            return nil
        }
        guard let current = try await Report.find(report.requireID(), on: database), let holder = current.claimedBy,
            let since = current.claimedAt
        else { return nil }
        let email = try await Account.find(holder, on: database)?.email ?? "—"
        return OtherClaim(email: email, since: since)
    }

    /// Compare-and-set: the report moves to `next` only if it still has the status its moderator
    /// saw. The check and the change are one UPDATE at the start of the action's transaction, so
    /// of two moderators acting on one report at once exactly one succeeds: the other's UPDATE
    /// waits for the first to commit (PostgreSQL's row lock, SQLite's single writer), then finds
    /// the status changed and matches nothing. A report withdrawn meanwhile matches nothing too.
    ///
    /// Another moderator's live claim also makes it match nothing; a decision ends every claim.
    static func changeStatus(
        of report: Report, from seen: ReportStatus, to next: ReportStatus, by account: Account,
        on transaction: any Database, now: Date
    ) async throws {
        guard let sql = transaction as? any SQLDatabase else { throw AppError.conflict }
        let changed = try await sql.update(Report.schema)
            .set("status", to: next.rawValue)
            .set("claimed_by", to: SQLLiteral.null).set("claimed_at", to: SQLLiteral.null)
            .where("id", .equal, try report.requireID())
            .where("status", .equal, seen.rawValue)
            .where(group: try free(for: account, now: now))
            .returning("id")
            .all()
        guard !changed.isEmpty else { throw AppError.conflict }
        report.claimedBy = nil
        report.claimedAt = nil
    }

    /// Takes or renews the claim for an edit that changes no status; refused while another
    /// moderator's claim is live.
    static func holdClaim(
        of report: Report, by account: Account, on transaction: any Database, now: Date
    ) async throws {
        guard let sql = transaction as? any SQLDatabase else { throw AppError.conflict }
        let held = try await sql.update(Report.schema)
            .set("claimed_by", to: try account.requireID()).set("claimed_at", to: now)
            .where("id", .equal, try report.requireID())
            .where(group: try free(for: account, now: now))
            .returning("id").all()
        guard !held.isEmpty else { throw AppError.conflict }
        report.claimedBy = account.id
        report.claimedAt = now
    }

    // MARK: Many at once

    /// What became of one report in a bulk action: done, or why not.
    struct BulkOutcome: Equatable {
        var id: UUID
        /// Nil when done; else a message key saying why it was left as it was.
        var problem: String?
    }

    static let bulkLimit = QueueFilter.pageSize

    /// Publishes each report with the public text a moderator saved for it, or else the one
    /// written from its answers (never the original), through the same checks as one at a time:
    /// a report whose text does not pass, or that changed or is held by another moderator, is
    /// left as it was and named.
    static func publishEach(
        _ ids: [UUID], by account: Account, app: Application, on database: any Database
    ) async throws -> [BulkOutcome] {
        try await each(ids, on: database) { report in
            let precision = report.publicPrecision.flatMap(PublicPrecision.init(rawValue:)) ?? .grid250
            let text = proposedPublicDescription(report, translations: app.translations)
            return try await problem {
                try await publish(
                    report, publicDescription: text, precision: precision, by: account, app: app, on: database)
            }
        }
    }

    /// Rejects each report with one reason, as one at a time would.
    static func rejectEach(
        _ ids: [UUID], code: RejectionReason, reason: String?, by account: Account, on database: any Database
    ) async throws -> [BulkOutcome] {
        try await each(ids, on: database) { report in
            try await problem { try await reject(report, code: code, reason: reason, by: account, on: database) }
        }
    }

    /// Runs `act` on each report still there (at most `bulkLimit`); `act` answers nil when done
    /// or the key of why not.
    private static func each(
        _ ids: [UUID], on database: any Database, _ act: (Report) async throws -> String?
    ) async throws -> [BulkOutcome] {
        var outcomes: [BulkOutcome] = []
        for id in ids.prefix(bulkLimit) {
            guard let report = try await Report.find(id, on: database) else {
                outcomes.append(BulkOutcome(id: id, problem: "admin_bulk_gone"))
                continue
            }
            outcomes.append(BulkOutcome(id: id, problem: try await act(report)))
        }
        return outcomes
    }

    /// Nil when `act` succeeds; the key of why not when it is refused as one report would be.
    private static func problem(_ act: () async throws -> Void) async throws -> String? {
        do {
            try await act()
            return nil
        } catch let error as AppError where error.status == .conflict {
            return "admin_bulk_changed"
        } catch let error as AppError where error.status == .badRequest {
            return error.fields["publicDescription"] == nil ? "admin_bulk_refused" : "admin_bulk_public_text_refused"
        }
    }

    /// A moderator's question (or note) to the reporter, beside the report; the reporter reads it
    /// with the receipt code. Holds the claim like any other act on the report.
    static func ask(
        _ report: Report, text raw: String?, by account: Account, app: Application, on database: any Database,
        now: Date = Date()
    ) async throws {
        let text = try FollowUp.text(raw)
        try await SerialWrites.transaction(on: database) { transaction in
            try await holdClaim(of: report, by: account, on: transaction, now: now)
            try await FollowUp.append(
                to: report, text: text, fromModerator: true, accountID: account.id, app: app, on: transaction, now: now)
            try await AuditEntry(
                account: account, action: "message", reportID: report.id,
                detail: "question to the reporter (\(text.count) characters)"
            ).create(on: transaction)
        }
        app.telegramBot?.questionAsked(reportID: try report.requireID())
    }

    /// What an administrator narrows the audit log to: an action, who did it, which report.
    struct AuditFilter: Equatable {
        var action: String?
        var actor: String?
        var report: UUID?

        static func parse(_ req: Request) throws -> AuditFilter {
            func value(_ name: String) -> String? {
                (try? req.query.get(String.self, at: name)).flatMap { $0.isEmpty ? nil : $0 }
            }
            var filter = AuditFilter()
            if let action = value("action") {
                guard action.count <= 40, action.allSatisfy({ $0.isASCII && ($0.isLowercase || $0 == "_") }) else {
                    throw AppError.badRequest(field: "action", key: "error_choice")
                }
                filter.action = action
            }
            if let actor = value("actor") {
                guard let email = AccountService.normalizedEmail(actor) else {
                    throw AppError.badRequest(field: "actor", key: "error_email")
                }
                filter.actor = email
            }
            if let report = value("report") {
                guard let id = UUID(uuidString: report) else {
                    throw AppError.badRequest(field: "report", key: "error_choice")
                }
                filter.report = id
            }
            return filter
        }
    }

    /// The audit log, newest first, as narrowed; never deleted from.
    static func audit(
        _ filter: AuditFilter = AuditFilter(), limit: Int = 200, on database: any Database
    ) async throws
        -> [AuditEntry]
    {
        let query = AuditEntry.query(on: database)
        if let action = filter.action { query.filter(\.$action == action) }
        if let actor = filter.actor { query.filter(\.$actorEmail == actor) }
        if let report = filter.report { query.filter(\.$reportID == report) }
        return try await query.sort(\.$createdAt, .descending).limit(limit).all()
    }
}

/// The columns of a moderator's claim on a report (issue #13).
struct AddClaims: AsyncMigration {
    func prepare(on database: any Database) async throws {
        // One column per statement: SQLite adds a single column per ALTER TABLE.
        try await database.schema(Report.schema).field("claimed_by", .uuid).update()
        try await database.schema(Report.schema).field("claimed_at", .datetime).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(Report.schema).deleteField("claimed_at").update()
        try await database.schema(Report.schema).deleteField("claimed_by").update()
    }
}
