import Fluent
import Vapor

/// Administrators write and translate the guides: the three languages side by side.
struct AdminGuidesController {
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
            var form = FormChecker()
            let slug = form.slug(self.slug)
            let group = self.group ?? ""
            if !["setting", "kind"].contains(group) { form.fail("group", "error_choice") }
            let titles = form.texts(titleKk, titleRu, titleEn, "title", max: 200)
            let summaries = form.texts(summaryKk, summaryRu, summaryEn, "summary", max: 500)
            let bodies = form.texts(bodyKk, bodyRu, bodyEn, "body", max: 20000)
            let source = form.text(self.source, "source", max: 500)
            let lastVerified = form.text(self.lastVerified, "lastVerified", max: 10)
            if !lastVerified.isEmpty && !KazakhstanTime.isValidDay(lastVerified) {
                form.fail("lastVerified", "error_date_format")
            }
            let order = form.order(sortOrder)
            try form.check()
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
        do {
            try await AdminContentSaving.save(
                guide, apply: form.apply(to:), auditAction: "guide",
                detail: { "\($0.slug): hidden \($0.hidden), order \($0.sortOrder)" }, req: req)
            return req.redirect(to: "/admin/guides")
        } catch let error as AppError where error.status == .badRequest {
            let messages = AdminContentSaving.messages(error, fieldPrefix: "admin_guide_field_", req: req)
            return try await render(req, action: action, values: form, errors: messages, status: .badRequest)
        }
    }
}
