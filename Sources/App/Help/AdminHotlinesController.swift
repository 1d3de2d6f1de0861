import Fluent
import Vapor

/// Administrators keep the help directory: add, edit, translate, order, verify and hide entries.
struct AdminHotlinesController {
    struct Row: Encodable {
        var id: String
        var name: String
        var phones: String
        var place: String
        var state: String
        var order: Int
    }

    struct ListContent: Encodable {
        var csrf: String
        var rows: [Row]
    }

    @Sendable func list(req: Request) async throws -> View {
        let cities = try await cityIndex(req.db)
        let rows = try await Hotline.query(on: req.db).sort(\.$sortOrder).sort(\.$slug).all().map { hotline in
            Row(
                id: hotline.id?.uuidString ?? "", name: hotline.name(req.language),
                phones: hotline.phones.joined(separator: ", "),
                place: hotline.city.flatMap { cities[$0]?.name(req.language) } ?? req.text("help_all_country"),
                state: req.text(
                    hotline.hidden
                        ? "admin_hotline_hidden"
                        : hotline.verified ? "admin_hotline_public" : "admin_hotline_unverified"),
                order: hotline.sortOrder)
        }
        return try await req.view.render(
            "admin/hotlines",
            PageContext(
                req, title: req.text("admin_hotlines_title"), nav: "admin",
                content: ListContent(csrf: AdminSession.csrfToken(req), rows: rows)))
    }

    /// The edit form as posted: the three languages side by side.
    struct HotlineForm: Content {
        var slug: String?
        var category: String?
        var nameKk: String?
        var nameRu: String?
        var nameEn: String?
        var aboutKk: String?
        var aboutRu: String?
        var aboutEn: String?
        var hoursKk: String?
        var hoursRu: String?
        var hoursEn: String?
        var phones: String?
        var city: String?
        var languages: [String]?
        var source: String?
        var lastVerified: String?
        var verified: String?
        var hidden: String?
        var sortOrder: String?

        init() {}

        init(_ hotline: Hotline) {
            slug = hotline.slug
            category = hotline.category
            (nameKk, nameRu, nameEn) = (hotline.nameKk, hotline.nameRu, hotline.nameEn)
            (aboutKk, aboutRu, aboutEn) = (hotline.aboutKk, hotline.aboutRu, hotline.aboutEn)
            (hoursKk, hoursRu, hoursEn) = (hotline.hoursKk, hotline.hoursRu, hotline.hoursEn)
            phones = hotline.phones.joined(separator: ", ")
            city = hotline.city
            languages = hotline.languages
            source = hotline.source
            lastVerified = hotline.lastVerified
            verified = hotline.verified ? "yes" : nil
            hidden = hotline.hidden ? "yes" : nil
            sortOrder = String(hotline.sortOrder)
        }

        /// Copies a valid form onto the entry, or names every problem.
        func apply(to hotline: Hotline, cities: [String: City]) throws {
            var form = FormChecker()
            let slug = form.slug(self.slug)
            let category = HotlineCategory(rawValue: self.category ?? "")
            if category == nil { form.fail("category", "error_choice") }
            let names = form.texts(nameKk, nameRu, nameEn, "name", max: 200)
            let abouts = form.texts(aboutKk, aboutRu, aboutEn, "about", max: 2000)
            let hours = form.texts(hoursKk, hoursRu, hoursEn, "hours", max: 200)
            let phones = (self.phones ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }
            if phones.contains(where: { $0.range(of: #"^\+?[0-9]{3,15}$"#, options: .regularExpression) == nil }) {
                form.fail("phones", "error_phones")
            }
            let city = TextRules.trimmed(self.city)
            if let city, cities[city] == nil { form.fail("city", "error_choice") }
            let languages = (self.languages ?? []).filter { !$0.isEmpty }
            if languages.contains(where: { Language(rawValue: $0) == nil }) { form.fail("languages", "error_choice") }
            let source = form.text(self.source, "source", max: 500)
            let lastVerified = TextRules.trimmed(self.lastVerified)
            if let lastVerified, !KazakhstanTime.isValidDay(lastVerified) {
                form.fail("lastVerified", "error_date_format")
            }
            let verified = self.verified == "yes"
            // An entry reaches the public only with the date someone last checked it.
            if verified && lastVerified == nil { form.fail("lastVerified", "error_verified_needs_date") }
            let order = form.order(sortOrder)
            try form.check()
            guard let category else { return }

            hotline.slug = slug
            hotline.category = category.rawValue
            (hotline.nameKk, hotline.nameRu, hotline.nameEn) = names
            (hotline.aboutKk, hotline.aboutRu, hotline.aboutEn) = abouts
            (hotline.hoursKk, hotline.hoursRu, hotline.hoursEn) = hours
            hotline.phones = phones
            hotline.city = city
            hotline.languages = languages
            hotline.source = source
            hotline.lastVerified = lastVerified
            hotline.verified = verified
            hotline.hidden = hidden == "yes"
            hotline.sortOrder = order
        }
    }

    struct FormContent: Encodable {
        var csrf: String
        var action: String
        var v: HotlineForm
        var errors: MessageList
        var categories: [Choice]
        var cities: [Choice]
        var languages: [Choice]
        var isVerified: Bool
        var isHidden: Bool
    }

    private func renderForm(
        _ req: Request, action: String, values: HotlineForm, errors: [String], status: HTTPStatus
    )
        async throws -> Response
    {
        let cities = try await allCities(on: req.db)
        let content = FormContent(
            csrf: AdminSession.csrfToken(req), action: action, v: values, errors: MessageList(errors),
            categories: req.choices(
                HotlineCategory.self, prefix: "hotline_category", selected: [values.category ?? ""]),
            cities: cities.map {
                Choice(value: $0.id ?? "", label: $0.name(req.language), selected: $0.id == values.city)
            },
            languages: Language.allCases.map {
                Choice(
                    value: $0.rawValue, label: $0.nativeName, selected: (values.languages ?? []).contains($0.rawValue))
            },
            isVerified: values.verified == "yes", isHidden: values.hidden == "yes")
        return try await req.view.render(
            "admin/hotline",
            PageContext(req, title: req.text("admin_hotline_edit_title"), nav: "admin", content: content)
        ).encodeResponse(status: status, for: req)
    }

    @Sendable func newForm(req: Request) async throws -> Response {
        var values = HotlineForm()
        values.sortOrder = "1000"
        return try await renderForm(req, action: "/admin/hotlines", values: values, errors: [], status: .ok)
    }

    @Sendable func editForm(req: Request) async throws -> Response {
        let hotline = try await load(req)
        return try await renderForm(
            req, action: "/admin/hotlines/\(hotline.id?.uuidString ?? "")", values: HotlineForm(hotline), errors: [],
            status: .ok)
    }

    private func load(_ req: Request) async throws -> Hotline {
        guard let id = req.parameters.get("id", as: UUID.self), let hotline = try await Hotline.find(id, on: req.db)
        else {
            throw AppError.notFound
        }
        return hotline
    }

    @Sendable func create(req: Request) async throws -> Response {
        try await save(req, hotline: Hotline(), action: "/admin/hotlines")
    }

    @Sendable func update(req: Request) async throws -> Response {
        let hotline = try await load(req)
        return try await save(req, hotline: hotline, action: "/admin/hotlines/\(hotline.id?.uuidString ?? "")")
    }

    private func save(_ req: Request, hotline: Hotline, action: String) async throws -> Response {
        let form = (try? req.content.decode(HotlineForm.self)) ?? HotlineForm()
        let cities = try await cityIndex(req.db)
        do {
            try await AdminContentSaving.save(
                hotline, apply: { try form.apply(to: $0, cities: cities) }, auditAction: "hotline",
                detail: { "\($0.slug): verified \($0.verified), hidden \($0.hidden), order \($0.sortOrder)" }, req: req)
            return req.redirect(to: "/admin/hotlines")
        } catch let error as AppError where error.status == .badRequest {
            let messages = AdminContentSaving.messages(error, fieldPrefix: "admin_hotline_field_", req: req)
            return try await renderForm(req, action: action, values: form, errors: messages, status: .badRequest)
        }
    }
}
