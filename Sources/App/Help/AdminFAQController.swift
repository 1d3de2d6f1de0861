import Fluent
import Vapor

/// Administrators edit, translate, order and hide the questions and answers.
struct AdminFAQController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let faq = routes.grouped("admin", "faq").grouped(AdminPageMiddleware(), AdminRoleMiddleware())
        faq.get(use: list)
        faq.get("new", use: newForm)
        faq.post(use: create)
        faq.get(":id", use: editForm)
        faq.post(":id", use: update)
    }

    struct Row: Encodable {
        var id: String
        var question: String
        var group: String
        var state: String
        var order: Int
    }

    struct ListContent: Encodable {
        var csrf: String
        var rows: [Row]
    }

    @Sendable func list(req: Request) async throws -> View {
        let rows = try await FAQEntry.query(on: req.db).sort(\.$sortOrder).sort(\.$slug).all().map {
            Row(
                id: $0.id?.uuidString ?? "", question: $0.question(req.language),
                group: req.text("faq_group_" + $0.group),
                state: req.text($0.hidden ? "admin_hotline_hidden" : "admin_hotline_public"), order: $0.sortOrder)
        }
        return try await req.view.render(
            "admin/faq-list",
            PageContext(
                req, title: req.text("admin_faq_title"), nav: "admin",
                content: ListContent(csrf: AdminSession.csrfToken(req), rows: rows)))
    }

    struct EntryForm: Content {
        var slug: String?
        var group: String?
        var questionKk: String?
        var questionRu: String?
        var questionEn: String?
        var answerKk: String?
        var answerRu: String?
        var answerEn: String?
        var hidden: String?
        var sortOrder: String?

        init() {}

        init(_ entry: FAQEntry) {
            slug = entry.slug
            group = entry.group
            (questionKk, questionRu, questionEn) = (entry.questionKk, entry.questionRu, entry.questionEn)
            (answerKk, answerRu, answerEn) = (entry.answerKk, entry.answerRu, entry.answerEn)
            hidden = entry.hidden ? "yes" : nil
            sortOrder = String(entry.sortOrder)
        }

        /// Copies a valid form onto the entry; every text is required in all three languages.
        func apply(to entry: FAQEntry) throws {
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
            if !FAQLibrary.groups.contains(group) { errors["group"] = "error_choice" }
            let questions = (
                text(questionKk, "questionKk", max: 300), text(questionRu, "questionRu", max: 300),
                text(questionEn, "questionEn", max: 300)
            )
            let answers = (
                text(answerKk, "answerKk", max: 10000), text(answerRu, "answerRu", max: 10000),
                text(answerEn, "answerEn", max: 10000)
            )
            let order = Int(TextRules.trimmed(sortOrder) ?? "0")
            if order == nil { errors["sortOrder"] = "error_wrong_type" }
            guard errors.isEmpty, let order else { throw AppError.validation(errors) }
            entry.slug = slug
            entry.group = group
            (entry.questionKk, entry.questionRu, entry.questionEn) = questions
            (entry.answerKk, entry.answerRu, entry.answerEn) = answers
            entry.hidden = hidden == "yes"
            entry.sortOrder = order
        }
    }

    struct FormContent: Encodable {
        var csrf: String
        var action: String
        var v: EntryForm
        var errors: MessageList
        var groups: [Choice]
        var isHidden: Bool
    }

    private func render(
        _ req: Request, action: String, values: EntryForm, errors: [String], status: HTTPStatus
    )
        async throws -> Response
    {
        let content = FormContent(
            csrf: AdminSession.csrfToken(req), action: action, v: values, errors: MessageList(errors),
            groups: FAQLibrary.groups.map {
                Choice(value: $0, label: req.text("faq_group_" + $0), selected: $0 == values.group)
            },
            isHidden: values.hidden == "yes")
        return try await req.view.render(
            "admin/faq-entry", PageContext(req, title: req.text("admin_faq_edit_title"), nav: "admin", content: content)
        ).encodeResponse(status: status, for: req)
    }

    private func load(_ req: Request) async throws -> FAQEntry {
        guard let id = req.parameters.get("id", as: UUID.self), let entry = try await FAQEntry.find(id, on: req.db)
        else {
            throw AppError.notFound
        }
        return entry
    }

    @Sendable func newForm(req: Request) async throws -> Response {
        var values = EntryForm()
        values.group = "platform"
        values.sortOrder = "1000"
        return try await render(req, action: "/admin/faq", values: values, errors: [], status: .ok)
    }

    @Sendable func editForm(req: Request) async throws -> Response {
        let entry = try await load(req)
        return try await render(
            req, action: "/admin/faq/\(entry.id?.uuidString ?? "")", values: EntryForm(entry), errors: [], status: .ok)
    }

    @Sendable func create(req: Request) async throws -> Response {
        try await save(req, entry: FAQEntry(), action: "/admin/faq")
    }

    @Sendable func update(req: Request) async throws -> Response {
        let entry = try await load(req)
        return try await save(req, entry: entry, action: "/admin/faq/\(entry.id?.uuidString ?? "")")
    }

    private func save(_ req: Request, entry: FAQEntry, action: String) async throws -> Response {
        let form = (try? req.content.decode(EntryForm.self)) ?? EntryForm()
        let account = try req.requireAccount()
        do {
            try form.apply(to: entry)
            if let other = try await FAQEntry.query(on: req.db).filter(\.$slug == entry.slug).first(),
                other.id != entry.id
            {
                throw AppError.validation(["slug": "error_slug_taken"])
            }
            let isNew = entry.id == nil
            try await req.db.transaction { transaction in
                try await entry.save(on: transaction)
                try await AuditEntry(
                    account: account, action: isNew ? "faq_create" : "faq_update", reportID: nil,
                    detail: "\(entry.slug): hidden \(entry.hidden), order \(entry.sortOrder)"
                ).create(on: transaction)
            }
            return req.redirect(to: "/admin/faq")
        } catch let error as AppError where error.status == .badRequest {
            let messages = error.fields.sorted { $0.key < $1.key }.map {
                req.text("admin_faq_field_" + $0.key) + ": " + req.text($0.value)
            }
            return try await render(req, action: action, values: form, errors: messages, status: .badRequest)
        }
    }
}
