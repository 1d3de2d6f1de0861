import Fluent
import Vapor

/// A report taken by phone or in person (SPEC §2, `source: moderator`): a moderator asks the
/// person the website's questions and enters the answers. No contact is kept unless the
/// moderator ticks that the person asked for it. The receipt code is shown once, to be passed on.
struct ReportEntryWebController {
    struct EntryContent: Encodable {
        var csrf: String
        var form: ReportWebController.FormContent
        var languages: [Choice]
        var keepContact: Bool
    }

    /// What the panel's form adds to the website's questions.
    struct EntryExtras: Content {
        /// The language the person speaks: their receipt, messages and bot answers use it.
        var reportLanguage: String?
        /// "yes" when the person asked to be contacted and agreed that the contact is kept.
        var keepContact: String?
    }

    @Sendable func form(req: Request) async throws -> View {
        var values = ReportWebController.ReportForm()
        values.date = KazakhstanTime.today()
        values.perpetratorCount = "one"
        return try await render(req, values: values, extras: EntryExtras(), errors: [:])
    }

    private func render(
        _ req: Request, values: ReportWebController.ReportForm, extras: EntryExtras, errors: [String: String]
    ) async throws -> View {
        var form = try await ReportWebController.formContent(req, values: values, errors: errors)
        form.fields["contact"]?.label = req.text("admin_entry_contact")
        form.fields["contact"]?.hint = req.text("admin_entry_contact_hint")
        let chosen = extras.reportLanguage ?? req.language.rawValue
        let content = EntryContent(
            csrf: AdminSession.csrfToken(req), form: form,
            languages: Language.allCases.map {
                Choice(value: $0.rawValue, label: $0.nativeName, selected: $0.rawValue == chosen)
            }, keepContact: extras.keepContact == "yes")
        return try await req.view.render(
            "admin/report-new", PageContext(req, title: req.text("admin_entry_title"), nav: "admin", content: content))
    }

    struct EnteredContent: Encodable {
        var csrf: String
        var code: String
        var id: String
    }

    @Sendable func submit(req: Request) async throws -> Response {
        let account = try req.requireAccount()
        let values: ReportWebController.ReportForm
        let extras: EntryExtras
        do {
            values = try req.content.decode(ReportWebController.ReportForm.self)
            extras = try req.content.decode(EntryExtras.self)
        } catch {
            throw AppError(status: .badRequest, code: "bad_request", messageKey: "error_bad_body")
        }
        var errors: [String: String] = [:]
        let language = Language(rawValue: extras.reportLanguage ?? "")
        if language == nil { errors["language"] = "error_choice" }
        var (input, formErrors) = values.input(language: language ?? req.language)
        errors.merge(formErrors) { first, _ in first }
        // No contact by default: one typed in without the person's agreement is refused, not
        // silently kept or silently dropped.
        if TextRules.trimmed(values.contact) != nil && extras.keepContact != "yes" {
            errors["contact"] = "admin_entry_contact_unconfirmed"
        }
        if extras.keepContact != "yes" { input.contact = nil }
        let cities = try await cityIndex(req.db)
        switch input.validate(cities: cities, fallbackLanguage: language ?? req.language) {
        case .failure(let error):
            errors.merge(error.fields) { first, _ in first }
        case .success(let valid) where errors.isEmpty:
            let receipt = try await ReportService.submit(valid, source: .moderator, app: req.application, on: req.db)
            let report = try await ReportService.find(receipt: receipt.receipt, app: req.application, on: req.db)
            try await AuditEntry(
                account: account, action: "enter_report", reportID: report?.id,
                detail: "report taken by phone or in person; contact: \(valid.contact == nil ? "none" : "kept")"
            ).create(on: req.db)
            let view = try await req.view.render(
                "admin/report-entered",
                PageContext(
                    req, title: req.text("admin_entry_done_title"), nav: "admin",
                    content: EnteredContent(
                        csrf: AdminSession.csrfToken(req), code: receipt.receipt, id: report?.id?.uuidString ?? "")))
            return try await view.encodeResponse(status: .created, for: req)
        case .success:
            break
        }
        return try await render(req, values: values, extras: extras, errors: errors)
            .encodeResponse(status: .badRequest, for: req)
    }
}
