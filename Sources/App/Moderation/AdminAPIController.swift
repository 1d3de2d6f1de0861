import Fluent
import Vapor

/// Moderation through the API, `/api/v1/admin`, with bearer tokens from `dauys admin token`.
struct AdminAPIController {
    /// Everything a moderator sees of a report, the originals included (never the public API).
    struct ReportDTO: Content {
        var id: UUID
        var status: String
        var role: String
        var date: String
        var time: String?
        var timeBand: String?
        var latitude: Double
        var longitude: Double
        var city: String
        var landmark: String?
        var placeType: String
        var kinds: [String]
        var perpetrator: String
        var perpetratorRelation: String?
        var perpetratorCount: String
        var prevented: Bool
        var preventedBy: String?
        var description: String
        var recurrence: String?
        var toldWhom: [String]
        var toldOutcome: String?
        var ageBand: String?
        var gender: String?
        var contact: String?
        var publishConsent: Bool
        var source: String
        var language: String
        var publicDescription: String?
        /// What the public text would start as: the saved draft, or a text written from the
        /// report's answers alone (never a word of the original). Bulk publishing uses it; a
        /// single publication needs it sent as `publicDescription`.
        var proposedPublicDescription: String
        /// What the check marked in the original.
        var findings: [FindingDTO]
        var publicLatitude: Double?
        var publicLongitude: Double?
        var publicPrecision: String?
        var rejectionCode: String?
        var rejectionReason: String?
        var createdAt: Date?
        var publishedAt: Date?
        /// The report this one was merged into as a duplicate, if it was.
        var mergedInto: UUID?

        struct FindingDTO: Content {
            var kind: String
            var text: String
        }

        init(_ report: Report, contactKey: SymmetricKey, translations: Translations) {
            id = report.id ?? UUID()
            status = report.status
            role = report.role
            date = report.incidentDate
            time = report.incidentTime
            timeBand = report.timeBand
            latitude = report.latitude
            longitude = report.longitude
            city = report.city
            landmark = report.landmark
            placeType = report.placeType
            kinds = report.kinds.map(\.rawValue)
            perpetrator = report.perpetrator
            perpetratorRelation = report.perpetratorRelation
            perpetratorCount = report.perpetratorCount
            prevented = report.prevented
            preventedBy = report.preventedBy
            description = report.description
            recurrence = report.recurrence
            toldWhom = report.toldWhom.map(\.rawValue)
            toldOutcome = report.toldOutcome
            ageBand = report.ageBand
            gender = report.gender
            contact = report.contactSealed.flatMap { ContactSealing.open($0, key: contactKey) }
            publishConsent = report.publishConsent
            source = report.source
            language = report.language
            publicDescription = report.publicDescription
            proposedPublicDescription = ModerationService.proposedPublicDescription(
                report, translations: translations)
            findings = Redaction.findings(in: report.description).map {
                FindingDTO(kind: $0.kind.rawValue, text: String(report.description[$0.range]))
            }
            publicLatitude = report.publicLatitude
            publicLongitude = report.publicLongitude
            publicPrecision = report.publicPrecision
            rejectionCode = report.rejectionCode
            rejectionReason = report.rejectionReason
            createdAt = report.createdAt
            publishedAt = report.publishedAt
            mergedInto = report.mergedInto
        }
    }

    struct ReportListDTO: Content {
        var status: String
        var counts: [String: Int]
        /// How many match the filter, of which `reports` is page `page` of `pageSize`.
        var total: Int
        var page: Int
        var pageSize: Int
        var reports: [ReportDTO]
    }

    /// The queue with the panel's filters: `status`, `city`, `kind`, `source`, `language`,
    /// `contact` (yes/no) and `page`.
    @Sendable func list(req: Request) async throws -> ReportListDTO {
        let filter = try QueueFilter.parse(req)
        let (reports, total) = try await ModerationService.queue(filter, on: req.db)
        let counts = try await ModerationService.counts(filter, on: req.db)
        return ReportListDTO(
            status: filter.status.rawValue,
            counts: Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) }),
            total: total, page: filter.page, pageSize: QueueFilter.pageSize,
            reports: reports.map { ReportDTO($0, for: req) })
    }

    private func report(_ req: Request) async throws -> Report {
        guard let id = req.parameters.get("id", as: UUID.self) else { throw AppError.notFound }
        return try await ModerationService.report(id, on: req.db)
    }

    struct ThreadDTO: Content {
        var messages: [FollowUp.Entry]
    }

    struct AskRequest: Content {
        var text: String?
    }

    @Sendable func thread(req: Request) async throws -> ThreadDTO {
        ThreadDTO(messages: try await FollowUp.thread(of: try await report(req), app: req.application, on: req.db))
    }

    /// A question to the reporter, who reads it with the receipt code.
    @Sendable func ask(req: Request) async throws -> Response {
        let report = try await report(req)
        let body = try req.jsonBody(AskRequest.self)
        try await ModerationService.ask(
            report, text: body.text, by: try req.requireAccount(), app: req.application, on: req.db)
        return try await ThreadDTO(messages: try await FollowUp.thread(of: report, app: req.application, on: req.db))
            .encodeResponse(status: .created, for: req)
    }

    @Sendable func show(req: Request) async throws -> ReportDTO {
        ReportDTO(try await report(req), for: req)
    }

    struct PublishRequest: Content {
        var publicDescription: String?
        var precision: String?
    }

    @Sendable func publish(req: Request) async throws -> ReportDTO {
        let report = try await report(req)
        let body = try req.jsonBody(PublishRequest.self)
        var precision = PublicPrecision.grid250
        if let raw = body.precision {
            guard let parsed = PublicPrecision(rawValue: raw) else {
                throw AppError.validation(["precision": "error_choice"])
            }
            precision = parsed
        }
        try await ModerationService.publish(
            report, publicDescription: body.publicDescription, precision: precision, by: try req.requireAccount(),
            app: req.application, on: req.db)
        return ReportDTO(report, for: req)
    }

    struct RejectRequest: Content {
        var reasonCode: String?
        var reason: String?
    }

    @Sendable func reject(req: Request) async throws -> ReportDTO {
        let report = try await report(req)
        let body = try req.jsonBody(RejectRequest.self)
        guard let raw = TextRules.trimmed(body.reasonCode) else {
            throw AppError.validation(["reasonCode": "error_required"])
        }
        guard let code = RejectionReason(rawValue: raw) else {
            throw AppError.validation(["reasonCode": "error_choice"])
        }
        try await ModerationService.reject(
            report, code: code, reason: body.reason, by: try req.requireAccount(), on: req.db)
        return ReportDTO(report, for: req)
    }

    @Sendable func archive(req: Request) async throws -> ReportDTO {
        let report = try await report(req)
        try await ModerationService.archive(report, by: try req.requireAccount(), on: req.db)
        return ReportDTO(report, for: req)
    }

    struct MergeRequest: Content {
        var into: String?
    }

    /// Merges the report, a duplicate, into the report `into`; it is archived.
    @Sendable func merge(req: Request) async throws -> ReportDTO {
        let report = try await report(req)
        let body = try req.jsonBody(MergeRequest.self)
        let typed = TextRules.trimmed(body.into)
        guard typed == nil || typed.flatMap(UUID.init(uuidString:)) != nil else {
            throw AppError.validation(["into": "admin_merge_unknown"])
        }
        try await ModerationService.merge(
            report, into: typed.flatMap(UUID.init(uuidString:)), by: try req.requireAccount(), on: req.db)
        return ReportDTO(report, for: req)
    }

    struct AuditDTO: Content {
        var at: Date?
        var actor: String
        var action: String
        var reportId: UUID?
        var detail: String
    }

    /// The audit log, newest first, narrowed by `action`, `actor` (an e-mail) and `report`.
    @Sendable func audit(req: Request) async throws -> [AuditDTO] {
        try await ModerationService.audit(try ModerationService.AuditFilter.parse(req), on: req.db).map {
            AuditDTO(
                at: $0.createdAt, actor: $0.actorEmail, action: $0.action, reportId: $0.reportID, detail: $0.detail)
        }
    }
}

extension AdminAPIController.ReportDTO {
    init(_ report: Report, for req: Request) {
        self.init(report, contactKey: req.secrets.contactKey, translations: req.application.translations)
    }
}
