import Fluent
import Vapor

/// Administrators write and translate the guides: the three languages side by side.
struct AdminGuidesController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let guides = routes.grouped("admin", "guides").grouped(AdminPageMiddleware(), AdminRoleMiddleware())
        guides.get(use: list)
        guides.get("new", use: newForm)
        guides.post(use: create)
        guides.get(":id", use: editForm)
        guides.post(":id", use: update)
    }

    struct Row: Encodable {
        var id: String
        var title: String
        var slug: String
        var state: String
        var order: Int
    }

    struct ListContent: Encodable {
        var csrf: String
        var rows: [Row]
    }

    @Sendable func list(req: Request) async throws -> View {
        let rows = try await Guide.query(on: req.db).sort(\.$sortOrder).sort(\.$slug).all().map {
            Row(
                id: $0.id?.uuidString ?? "", title: $0.title(req.language), slug: $0.slug,
                state: req.text($0.hidden ? "admin_hotline_hidden" : "admin_hotline_public"), order: $0.sortOrder)
        }
        return try await req.view.render(
            "admin/guides",
            PageContext(
                req, title: req.text("admin_guides_title"), nav: "admin",
                content: ListContent(csrf: AdminSession.csrfToken(req), rows: rows)))
    }

    struct GuideForm: Content {
        var slug: String?
        var group: String?
        var titleKk: String?
        var titleRu: String?
        var titleEn: String?
        var summaryKk: String?
        var summaryRu: String?
        var summaryEn: String?
        var bodyKk: String?
        var bodyRu: String?
        var bodyEn: String?
        var source: String?
        var lastVerified: String?
        var hidden: String?
        var sortOrder: String?

        init() {}

        init(_ guide: Guide) {
            slug = guide.slug
            group = guide.group
            (titleKk, titleRu, titleEn) = (guide.titleKk, guide.titleRu, guide.titleEn)
            (summaryKk, summaryRu, summaryEn) = (guide.summaryKk, guide.summaryRu, guide.summaryEn)
            (bodyKk, bodyRu, bodyEn) = (guide.bodyKk, guide.bodyRu, guide.bodyEn)
            source = guide.source
            lastVerified = guide.lastVerified
            hidden = guide.hidden ? "yes" : nil
            sortOrder = String(guide.sortOrder)
        }

        /// Copies a valid form onto the guide, or names every problem. Every text is required
        /// in all three languages, so no visitor ever meets a missing translation.
        func apply(to guide: Guide) throws {
            var errors: [String: String] = [:]
            func text(_ value: String?, _ field: String, max: Int) -> String {
                guard let value = TextRules.trimmed(value) else {
                    errors[field] = "error_required"
                    return ""
                }
                if value.count > max || !TextRules.isClean(value) { errors[field] = "error_text_too_long" }
                return value
            }
            let slug = text(self.slug, "slug", max: 60)
            if !slug.isEmpty && slug.range(of: "^[a-z0-9][a-z0-9-]*$", options: .regularExpression) == nil {
                errors["slug"] = "error_slug"
            }
            let group = self.group ?? ""
            if !["setting", "kind"].contains(group) { errors["group"] = "error_choice" }
            let titles = (
                text(titleKk, "titleKk", max: 200), text(titleRu, "titleRu", max: 200),
                text(titleEn, "titleEn", max: 200)
            )
            let summaries = (
                text(summaryKk, "summaryKk", max: 500), text(summaryRu, "summaryRu", max: 500),
                text(summaryEn, "summaryEn", max: 500)
            )
            let bodies = (
                text(bodyKk, "bodyKk", max: 20000), text(bodyRu, "bodyRu", max: 20000),
                text(bodyEn, "bodyEn", max: 20000)
            )
            let source = text(self.source, "source", max: 500)
            let lastVerified = text(self.lastVerified, "lastVerified", max: 10)
            if !lastVerified.isEmpty && !KazakhstanTime.isValidDay(lastVerified) {
                errors["lastVerified"] = "error_date_format"
            }
            let order = Int(TextRules.trimmed(sortOrder) ?? "0")
            if order == nil { errors["sortOrder"] = "error_wrong_type" }
            guard errors.isEmpty, let order else { throw AppError.validation(errors) }
            guide.slug = slug
            guide.group = group
            (guide.titleKk, guide.titleRu, guide.titleEn) = titles
            (guide.summaryKk, guide.summaryRu, guide.summaryEn) = summaries
            (guide.bodyKk, guide.bodyRu, guide.bodyEn) = bodies
            guide.source = source
            guide.lastVerified = lastVerified
            guide.hidden = hidden == "yes"
            guide.sortOrder = order
        }
    }

    struct FormContent: Encodable {
        var csrf: String
        var action: String
        var v: GuideForm
        var errors: MessageList
        var isKind: Bool
        var isHidden: Bool
    }

    private func render(
        _ req: Request, action: String, values: GuideForm, errors: [String], status: HTTPStatus
    )
        async throws -> Response
    {
        let content = FormContent(
            csrf: AdminSession.csrfToken(req), action: action, v: values, errors: MessageList(errors),
            isKind: values.group == "kind", isHidden: values.hidden == "yes")
        return try await req.view.render(
            "admin/guide", PageContext(req, title: req.text("admin_guide_edit_title"), nav: "admin", content: content)
        ).encodeResponse(status: status, for: req)
    }

    private func load(_ req: Request) async throws -> Guide {
        guard let id = req.parameters.get("id", as: UUID.self), let guide = try await Guide.find(id, on: req.db) else {
            throw AppError.notFound
        }
        return guide
    }

    @Sendable func newForm(req: Request) async throws -> Response {
        var values = GuideForm()
        values.group = "setting"
        values.sortOrder = "1000"
        values.lastVerified = KazakhstanTime.today()
        return try await render(req, action: "/admin/guides", values: values, errors: [], status: .ok)
    }

    @Sendable func editForm(req: Request) async throws -> Response {
        let guide = try await load(req)
        return try await render(
            req, action: "/admin/guides/\(guide.id?.uuidString ?? "")", values: GuideForm(guide), errors: [],
            status: .ok)
    }

    @Sendable func create(req: Request) async throws -> Response {
        try await save(req, guide: Guide(), action: "/admin/guides")
    }

    @Sendable func update(req: Request) async throws -> Response {
        let guide = try await load(req)
        return try await save(req, guide: guide, action: "/admin/guides/\(guide.id?.uuidString ?? "")")
    }

    private func save(_ req: Request, guide: Guide, action: String) async throws -> Response {
        let form = (try? req.content.decode(GuideForm.self)) ?? GuideForm()
        let account = try req.requireAccount()
        do {
            try form.apply(to: guide)
            if let other = try await Guide.query(on: req.db).filter(\.$slug == guide.slug).first(), other.id != guide.id
            {
                throw AppError.validation(["slug": "error_slug_taken"])
            }
            let isNew = guide.id == nil
            try await req.db.transaction { transaction in
                try await guide.save(on: transaction)
                try await AuditEntry(
                    account: account, action: isNew ? "guide_create" : "guide_update", reportID: nil,
                    detail: "\(guide.slug): hidden \(guide.hidden), order \(guide.sortOrder)"
                ).create(on: transaction)
            }
            return req.redirect(to: "/admin/guides")
        } catch let error as AppError where error.status == .badRequest {
            let messages = error.fields.sorted { $0.key < $1.key }.map {
                req.text("admin_guide_field_" + $0.key) + ": " + req.text($0.value)
            }
            return try await render(req, action: action, values: form, errors: messages, status: .badRequest)
        }
    }
}
