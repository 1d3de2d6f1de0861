import Fluent
import Vapor

/// The moderators' panel: the queue, a report's page with its actions, and the audit log.
struct AdminWebController {
    struct QueueRow: Encodable {
        var id: String
        var submitted: String
        var date: String
        var city: String
        var kinds: String
        var excerpt: String
    }

    struct StatusTab: Encodable {
        var label: String
        var count: Int
        var href: String
        var current: Bool
    }

    struct QueueContent: Encodable {
        var account: String
        var csrf: String
        var tabs: [StatusTab]
        var rows: [QueueRow]
        var hasRows: Bool
        var status: String
        /// "The oldest pending report has waited …", or nil when none waits.
        var oldestWait: String?
        var cities: [Choice]
        var kinds: [Choice]
        var sources: [Choice]
        var languages: [Choice]
        var contact: [Choice]
        var summary: String
        var previous: String?
        var next: String?
        /// Bulk actions, offered on the pending tab.
        var bulk: Bool
        var reasons: [Choice]
        /// What the last action did, line by line; nil when nothing (Leaf counts an empty list
        /// as true).
        var bulkDone: [String]?
    }

    /// What a moderator just did, said at the top of the queue they come back to (issue #15: a
    /// publication gave no sign that it happened). Only these words, never text from the URL.
    static let doneNotices = [
        "published": "admin_done_published", "rejected": "admin_done_rejected", "archived": "admin_done_archived",
    ]

    @Sendable func queue(req: Request) async throws -> View {
        let done = (try? req.query.get(String.self, at: "done")).flatMap { Self.doneNotices[$0] }
        return try await renderQueue(
            req, filter: try QueueFilter.parse(req), bulkDone: done.map { [req.text($0)] } ?? [])
    }

    private func renderQueue(_ req: Request, filter: QueueFilter, bulkDone: [String] = []) async throws -> View {
        let account = try req.requireAccount()
        let counts = try await ModerationService.counts(filter, on: req.db)
        let cities = try await cityIndex(req.db)
        let (reports, total) = try await ModerationService.queue(filter, on: req.db)
        let rows = reports.map { report in
            let facts = ReportFacts(report, contact: nil)
            func words(_ field: ReportFacts.Field) -> String {
                facts.value(field, cityName: { cities[$0]?.name(req.language) }, text: req.text) ?? ""
            }
            return QueueRow(
                id: report.id?.uuidString ?? "", submitted: report.createdAt.map(Self.timestamp) ?? "",
                date: words(.date), city: words(.city), kinds: words(.kinds),
                excerpt: String(report.description.prefix(140)))
        }
        let tabs = ReportStatus.allCases.map {
            StatusTab(
                label: req.text("status_" + $0.rawValue), count: counts[$0] ?? 0,
                href: "/admin" + filter.query(status: $0), current: $0 == filter.status)
        }
        let oldestWait = try await ModerationService.oldestPending(on: req.db).map { sent in
            let hours = max(0, Int(Date().timeIntervalSince(sent) / 3600))
            return hours < 48
                ? req.text("admin_queue_oldest_hours").replacingOccurrences(of: "{n}", with: String(hours))
                : req.text("admin_queue_oldest_days").replacingOccurrences(of: "{n}", with: String(hours / 24))
        }
        let pages = max(1, (total + QueueFilter.pageSize - 1) / QueueFilter.pageSize)
        let first = total == 0 ? 0 : (filter.page - 1) * QueueFilter.pageSize + 1
        let summary = req.text("admin_queue_showing").replacingOccurrences(of: "{from}", with: String(first))
            .replacingOccurrences(of: "{to}", with: String(first == 0 ? 0 : first + rows.count - 1))
            .replacingOccurrences(of: "{total}", with: String(total))
        let sortedCities = cities.values.sorted { $0.name(req.language) < $1.name(req.language) }
        let content = QueueContent(
            account: account.email, csrf: AdminSession.csrfToken(req), tabs: tabs, rows: rows, hasRows: !rows.isEmpty,
            status: filter.status.rawValue, oldestWait: oldestWait,
            cities: sortedCities.map {
                Choice(value: $0.id ?? "", label: $0.name(req.language), selected: $0.id == filter.city)
            },
            kinds: req.choices(HarassmentKind.self, prefix: "kind", selected: [filter.kind?.rawValue ?? ""]),
            sources: req.choices(ReportSource.self, prefix: "source", selected: [filter.source?.rawValue ?? ""]),
            languages: Language.allCases.map {
                Choice(value: $0.rawValue, label: $0.nativeName, selected: $0 == filter.language)
            },
            contact: [
                Choice(value: "yes", label: req.text("admin_queue_contact_yes"), selected: filter.hasContact == true),
                Choice(value: "no", label: req.text("admin_queue_contact_no"), selected: filter.hasContact == false),
            ],
            summary: summary,
            previous: filter.page > 1 ? "/admin" + filter.query(page: filter.page - 1) : nil,
            next: filter.page < pages ? "/admin" + filter.query(page: filter.page + 1) : nil,
            bulk: filter.status == .pending && !rows.isEmpty,
            reasons: req.choices(RejectionReason.self, prefix: "rejection"), bulkDone: bulkDone.isEmpty ? nil : bulkDone
        )
        return try await req.view.render(
            "admin/queue", PageContext(req, title: req.text("admin_queue_title"), nav: "admin", content: content))
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.timeZone = KazakhstanTime.zone
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: date)
    }

    struct Fact: Encodable {
        var label: String
        var value: String
    }

    /// A run of the original, with the name of what it was found to be when it was marked.
    struct OriginalSegment: Encodable {
        var text: String
        var found: String?
    }

    /// Where it happened, for the small map on the report's page (issue #15: coordinates alone
    /// told a moderator little): the exact point and, once made, the public one.
    struct ReportPlace: Encodable {
        var latitude: Double
        var longitude: Double
        var publicLatitude: Double?
        var publicLongitude: Double?
        var tileURL: String
    }

    struct ReportContent: Encodable {
        var place: ReportPlace
        var id: String
        var csrf: String
        var status: String
        var statusLabel: String
        var facts: [Fact]
        var original: [OriginalSegment]
        /// What the automatic check marked in the original, or nil when it found nothing.
        var foundSummary: String?
        var publicDescription: String
        var contact: String?
        var precisions: [Choice]
        var reasons: [Choice]
        var canPublish: Bool
        var canReject: Bool
        var canArchive: Bool
        var pinNote: String
        var errors: MessageList
        var saved: Bool
        /// Another moderator is working on the report: who, since when, and from when it can be
        /// taken over. The actions wait until then.
        var claimedElsewhere: String?
        /// The follow-up with the reporter, oldest first.
        var messages: [FollowUp.Line]
        var messageDraft: String
        /// The report this one was merged into, when it was.
        var mergedInto: String?
        /// Reports merged into this one, and reports that may be the same incident.
        var duplicates: [MergeLink]
        var candidates: [MergeLink]
        var canMerge: Bool
        var mergeDraft: String
    }

    /// Another report named on a report's page, with what tells it apart at a glance.
    struct MergeLink: Encodable {
        var id: String
        var label: String
    }

    /// - Parameter draft: the public text the moderator just sent, shown again when it was refused.
    private func renderReport(
        _ req: Request, _ report: Report, draft: String? = nil, errors: [String] = [], saved: Bool = false,
        messageDraft: String = "", mergeDraft: String = "", status: HTTPStatus = .ok
    )
        async throws -> Response
    {
        let messages = FollowUp.lines(
            try await FollowUp.thread(of: report, app: req.application, on: req.db), forReporter: false, text: req.text)
        let otherClaim = try await ModerationService.claim(report, by: try req.requireAccount(), on: req.db)
        let free = otherClaim == nil
        let cities = try await cityIndex(req.db)
        var facts = ReportFacts(report, contact: nil).facts(
            [
                .role, .date, .timeBand, .time, .city, .location, .landmark, .placeType, .kinds, .perpetrator,
                .perpetratorRelation, .perpetratorCount, .prevented, .preventedBy, .recurrence, .toldWhom, .toldOutcome,
                .ageBand, .gender, .publishConsent,
            ], cityName: { cities[$0]?.name(req.language) }, text: req.text
        ).map { Fact(label: $0.label, value: $0.value ?? "—") }
        facts += [
            Fact(label: req.text("admin_source"), value: report.source + " · " + report.language),
            Fact(label: req.text("admin_submitted"), value: report.createdAt.map(Self.timestamp) ?? ""),
        ]
        if let code = report.rejectionCode {
            facts.append(
                Fact(
                    label: req.text("admin_rejection"),
                    value: req.text("rejection_" + code) + (report.rejectionReason.map { " — " + $0 } ?? "")))
        }
        func link(_ other: Report) -> MergeLink {
            let facts = ReportFacts(other, contact: nil)
            let words = [ReportFacts.Field.date, .kinds].compactMap {
                facts.value($0, cityName: { cities[$0]?.name(req.language) }, text: req.text)
            }
            return MergeLink(
                id: other.id?.uuidString ?? "",
                label: ([req.text("status_" + other.status)] + words).joined(separator: " · "))
        }
        let mayMerge = free && report.mergedInto == nil && report.reportStatus != .archived
        let duplicates = try await ModerationService.mergedDuplicates(of: report, on: req.db).map(link)
        let candidates =
            mayMerge ? try await ModerationService.possibleDuplicates(of: report, on: req.db).map(link) : []
        let currentPrecision = report.publicPrecision ?? PublicPrecision.grid250.rawValue
        let segments = Redaction.segments(of: report.description)
        let marked = Set(segments.compactMap(\.kind))
        let foundKinds = Redaction.Kind.allCases.filter { marked.contains($0.rawValue) }
        let place = ReportPlace(
            latitude: report.latitude, longitude: report.longitude, publicLatitude: report.publicLatitude,
            publicLongitude: report.publicLongitude, tileURL: TileProxyController.template)
        let content = ReportContent(
            place: place, id: report.id?.uuidString ?? "", csrf: AdminSession.csrfToken(req), status: report.status,
            statusLabel: req.text("status_" + report.status), facts: facts,
            original: segments.map {
                OriginalSegment(text: $0.text, found: $0.kind.map { req.text("redaction_kind_" + $0) })
            },
            foundSummary: foundKinds.isEmpty
                ? nil : foundKinds.map { req.text("redaction_kind_" + $0.rawValue) }.joined(separator: ", "),
            publicDescription: draft
                ?? ModerationService.proposedPublicDescription(report, translations: req.application.translations),
            contact: report.contactSealed.flatMap { ContactSealing.open($0, key: req.secrets.contactKey) },
            precisions: req.choices(PublicPrecision.self, prefix: "precision", selected: [currentPrecision]),
            reasons: req.choices(RejectionReason.self, prefix: "rejection", selected: [report.rejectionCode ?? ""]),
            canPublish: free && (report.reportStatus == .pending || report.reportStatus == .rejected),
            canReject: free && (report.reportStatus == .pending || report.reportStatus == .published),
            canArchive: free && (report.reportStatus == .pending || report.reportStatus == .rejected),
            pinNote: req.text(report.mayHavePin ? "admin_pin_shown" : "admin_pin_hidden"), errors: MessageList(errors),
            saved: saved,
            claimedElsewhere: otherClaim.map {
                req.text("admin_claimed_elsewhere").replacingOccurrences(of: "{email}", with: $0.email)
                    .replacingOccurrences(of: "{since}", with: Self.timestamp($0.since))
                    .replacingOccurrences(of: "{until}", with: Self.timestamp($0.until))
            }, messages: messages, messageDraft: messageDraft, mergedInto: report.mergedInto?.uuidString,
            duplicates: duplicates, candidates: candidates, canMerge: mayMerge, mergeDraft: mergeDraft)
        let view = try await req.view.render(
            "admin/report",
            PageContext(
                req, title: req.text("admin_report_title"), nav: "admin", scripts: ["admin-report-map"],
                usesMap: true, content: content))
        return try await view.encodeResponse(status: status, for: req)
    }

    private func loadReport(_ req: Request) async throws -> Report {
        guard let id = req.parameters.get("id", as: UUID.self) else { throw AppError.notFound }
        return try await ModerationService.report(id, on: req.db)
    }

    @Sendable func show(req: Request) async throws -> Response {
        try await renderReport(req, try await loadReport(req))
    }

    struct PublishForm: Content {
        var publicDescription: String?
        var precision: String?
        var seen: String?
    }

    /// The status the moderator saw on the page the form came from; an action is taken only if
    /// the report still has it (``ModerationService`` compares and sets in one statement).
    private func seenStatus(_ raw: String?) throws -> ReportStatus? {
        guard let raw else { return nil }
        guard let status = ReportStatus(rawValue: raw) else {
            throw AppError.badRequest(field: "seen", key: "error_choice")
        }
        return status
    }

    /// When another moderator acted first: the report as it is now, and what happened.
    private func renderChangedMeanwhile(_ req: Request, draft: String? = nil) async throws -> Response {
        try await renderReport(
            req, try await loadReport(req), draft: draft, errors: [req.text("admin_changed_meanwhile")],
            status: .conflict)
    }

    @Sendable func save(req: Request) async throws -> Response {
        let report = try await loadReport(req)
        let form = (try? req.content.decode(PublishForm.self)) ?? PublishForm()
        do {
            try await ModerationService.savePublicDescription(
                report, text: form.publicDescription, by: try req.requireAccount(), on: req.db)
            return try await renderReport(req, report, saved: true)
        } catch let error as AppError where error.status == .badRequest {
            return try await renderReport(
                req, report, draft: form.publicDescription, errors: Self.messages(error, req), status: .badRequest)
        }
    }

    @Sendable func publish(req: Request) async throws -> Response {
        let report = try await loadReport(req)
        let form = (try? req.content.decode(PublishForm.self)) ?? PublishForm()
        guard let precision = PublicPrecision(rawValue: form.precision ?? "grid250") else {
            return try await renderReport(
                req, report, draft: form.publicDescription, errors: [req.text("error_choice")], status: .badRequest)
        }
        do {
            try await ModerationService.publish(
                report, publicDescription: form.publicDescription, precision: precision,
                seen: try seenStatus(form.seen),
                by: try req.requireAccount(), app: req.application, on: req.db)
            return req.redirect(to: "/admin?status=pending&done=published")
        } catch let error as AppError where error.status == .conflict {
            return try await renderChangedMeanwhile(req, draft: form.publicDescription)
        } catch let error as AppError where error.status == .badRequest {
            return try await renderReport(
                req, report, draft: form.publicDescription, errors: Self.messages(error, req), status: error.status)
        }
    }

    struct RejectForm: Content {
        var reasonCode: String?
        var reason: String?
        var seen: String?
    }

    @Sendable func reject(req: Request) async throws -> Response {
        let report = try await loadReport(req)
        let form = (try? req.content.decode(RejectForm.self)) ?? RejectForm()
        guard let code = form.reasonCode.flatMap(RejectionReason.init(rawValue:)) else {
            return try await renderReport(req, report, errors: [req.text("admin_reason_required")], status: .badRequest)
        }
        do {
            try await ModerationService.reject(
                report, code: code, reason: form.reason, seen: try seenStatus(form.seen), by: try req.requireAccount(),
                on: req.db)
            return req.redirect(to: "/admin?status=pending&done=rejected")
        } catch let error as AppError where error.status == .conflict {
            return try await renderChangedMeanwhile(req)
        } catch let error as AppError where error.status == .badRequest {
            return try await renderReport(req, report, errors: Self.messages(error, req), status: error.status)
        }
    }

    struct MessageForm: Content {
        var text: String?
    }

    @Sendable func ask(req: Request) async throws -> Response {
        let report = try await loadReport(req)
        let form = (try? req.content.decode(MessageForm.self)) ?? MessageForm()
        do {
            try await ModerationService.ask(
                report, text: form.text, by: try req.requireAccount(), app: req.application, on: req.db)
            return req.redirect(to: "/admin/reports/\(try report.requireID())#thread-heading")
        } catch let error as AppError where error.status == .conflict {
            return try await renderChangedMeanwhile(req)
        } catch let error as AppError where error.status == .badRequest {
            return try await renderReport(
                req, report, errors: Self.messages(error, req), messageDraft: String((form.text ?? "").prefix(2000)),
                status: .badRequest)
        }
    }

    struct BulkForm: Content {
        var ids: [String]?
        var action: String?
        var reasonCode: String?
        var reason: String?
    }

    /// Publishes or rejects the reports ticked in the queue, each through the rules of one at a
    /// time; the queue comes back with a line for what was done and for each report left as it was.
    @Sendable func bulk(req: Request) async throws -> View {
        let account = try req.requireAccount()
        let form = (try? req.content.decode(BulkForm.self)) ?? BulkForm()
        let ids = (form.ids ?? []).compactMap(UUID.init(uuidString:))
        guard !ids.isEmpty, ids.count == (form.ids ?? []).count, ids.count <= ModerationService.bulkLimit else {
            throw AppError.badRequest(field: "ids", key: "admin_bulk_choose")
        }
        let outcomes: [ModerationService.BulkOutcome]
        switch form.action {
        case "publish":
            outcomes = try await ModerationService.publishEach(ids, by: account, app: req.application, on: req.db)
        case "reject":
            guard let code = form.reasonCode.flatMap(RejectionReason.init(rawValue:)) else {
                throw AppError.badRequest(field: "reasonCode", key: "admin_reason_required")
            }
            outcomes = try await ModerationService.rejectEach(
                ids, code: code, reason: form.reason, by: account, on: req.db)
        default:
            throw AppError.badRequest(field: "action", key: "error_choice")
        }
        let done = outcomes.filter { $0.problem == nil }.count
        var lines = [
            req.text(form.action == "publish" ? "admin_bulk_published" : "admin_bulk_rejected")
                .replacingOccurrences(of: "{n}", with: String(done))
        ]
        lines += outcomes.compactMap { outcome in
            outcome.problem.map { String(outcome.id.uuidString.prefix(8)) + " — " + req.text($0) }
        }
        return try await renderQueue(req, filter: QueueFilter(), bulkDone: lines)
    }

    struct MergeForm: Content {
        var into: String?
        var seen: String?
    }

    /// Merges this report, a duplicate, into the report the moderator names (SPEC §3).
    @Sendable func merge(req: Request) async throws -> Response {
        let report = try await loadReport(req)
        let form = (try? req.content.decode(MergeForm.self)) ?? MergeForm()
        let typed = TextRules.trimmed(form.into)
        let draft = String((typed ?? "").prefix(60))
        guard typed == nil || typed.flatMap(UUID.init(uuidString:)) != nil else {
            return try await renderReport(
                req, report, errors: [req.text("admin_merge_unknown")], mergeDraft: draft, status: .badRequest)
        }
        do {
            try await ModerationService.merge(
                report, into: typed.flatMap(UUID.init(uuidString:)), seen: try seenStatus(form.seen),
                by: try req.requireAccount(), on: req.db)
            return try await renderReport(req, report, saved: true)
        } catch let error as AppError where error.status == .conflict {
            return try await renderChangedMeanwhile(req)
        } catch let error as AppError where error.status == .badRequest {
            return try await renderReport(
                req, report, errors: Self.messages(error, req), mergeDraft: draft, status: .badRequest)
        }
    }

    struct ArchiveForm: Content {
        var seen: String?
    }

    @Sendable func archive(req: Request) async throws -> Response {
        let report = try await loadReport(req)
        let form = (try? req.content.decode(ArchiveForm.self)) ?? ArchiveForm()
        do {
            try await ModerationService.archive(
                report, seen: try seenStatus(form.seen), by: try req.requireAccount(), on: req.db)
            return req.redirect(to: "/admin?status=pending&done=archived")
        } catch let error as AppError where error.status == .conflict {
            return try await renderChangedMeanwhile(req)
        }
    }

    /// An error's messages for the page: one per field, or the general message.
    static func messages(_ error: AppError, _ req: Request) -> [String] {
        let fields = error.fieldMessages { req.text($0) }
        return fields.isEmpty ? [req.text(error.messageKey)] : fields.keys.sorted().compactMap { fields[$0] }
    }

    struct AuditRow: Encodable {
        var at: String
        var actor: String
        var action: String
        /// Nil for what concerns no report (signing in, accounts, content): no empty link.
        var report: String?
        var detail: String
    }

    struct AuditContent: Encodable {
        var csrf: String
        var rows: [AuditRow]
        var action: String
        var actor: String
        var report: String
    }

    @Sendable func audit(req: Request) async throws -> View {
        let filter = try ModerationService.AuditFilter.parse(req)
        let rows = try await ModerationService.audit(filter, on: req.db).map {
            AuditRow(
                at: $0.createdAt.map(Self.timestamp) ?? "", actor: $0.actorEmail, action: $0.action,
                report: $0.reportID?.uuidString, detail: $0.detail)
        }
        return try await req.view.render(
            "admin/audit",
            PageContext(
                req, title: req.text("admin_audit_title"), nav: "admin",
                content: AuditContent(
                    csrf: AdminSession.csrfToken(req), rows: rows, action: filter.action ?? "",
                    actor: filter.actor ?? "",
                    report: filter.report?.uuidString ?? "")))
    }
}
