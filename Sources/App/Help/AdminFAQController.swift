import Fluent
import Vapor

/// Administrators edit, translate, order and hide the questions and answers.
struct AdminFAQController {
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
            var form = FormChecker()
            let slug = form.slug(self.slug)
            let group = self.group ?? ""
            if !FAQLibrary.groups.contains(group) { form.fail("group", "error_choice") }
            let questions = form.texts(questionKk, questionRu, questionEn, "question", max: 300)
            let answers = form.texts(answerKk, answerRu, answerEn, "answer", max: 10000)
            let order = form.order(sortOrder)
            try form.check()
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
        do {
            try await AdminContentSaving.save(
                entry, apply: form.apply(to:), auditAction: "faq",
                detail: { "\($0.slug): hidden \($0.hidden), order \($0.sortOrder)" }, req: req)
            return req.redirect(to: "/admin/faq")
        } catch let error as AppError where error.status == .badRequest {
            let messages = AdminContentSaving.messages(error, fieldPrefix: "admin_faq_field_", req: req)
            return try await render(req, action: action, values: form, errors: messages, status: .badRequest)
        }
    }
}
