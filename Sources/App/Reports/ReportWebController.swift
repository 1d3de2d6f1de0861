import Fluent
import Vapor

/// The report form and "check my report" pages. Both work without JavaScript.
struct ReportWebController {
    /// The form as the browser posts it: every value a string, checkboxes as `kinds[]`.
    struct ReportForm: Content {
        var role: String?
        var date: String?
        var time: String?
        var timeBand: String?
        var latitude: String?
        var longitude: String?
        var city: String?
        var landmark: String?
        var placeType: String?
        var kinds: [String]?
        var perpetrator: String?
        var perpetratorRelation: String?
        var perpetratorCount: String?
        var prevented: String?
        var preventedBy: String?
        var description: String?
        var ageBand: String?
        var gender: String?
        var contact: String?
        var publishConsent: String?

        /// The API's input, plus errors for values that are not even numbers or yes/no.
        func input(language: Language) -> (ReportInput, [String: String]) {
            var errors: [String: String] = [:]
            func number(_ raw: String?, _ field: String) -> Double? {
                guard let raw = TextRules.trimmed(raw) else { return nil }
                guard let value = Double(raw), value.isFinite else {
                    errors[field] = "error_wrong_type"
                    return nil
                }
                return value
            }
            func yesNo(_ raw: String?) -> Bool? {
                switch TextRules.trimmed(raw) {
                case "yes": true
                case "no": false
                default: nil
                }
            }
            // The relation and "who stopped it" belong to one answer of the question before.
            let input = ReportInput(
                role: role, date: date, time: time, timeBand: timeBand,
                latitude: number(latitude, "latitude"), longitude: number(longitude, "longitude"), city: city,
                landmark: landmark, placeType: placeType, kinds: kinds, perpetrator: perpetrator,
                perpetratorRelation: perpetrator == "known" ? perpetratorRelation : nil,
                perpetratorCount: perpetratorCount, prevented: yesNo(prevented),
                preventedBy: prevented == "yes" ? preventedBy : nil, description: description, ageBand: ageBand,
                gender: gender, contact: contact, publishConsent: yesNo(publishConsent), language: language.rawValue)
            return (input, errors)
        }
    }

    struct FormContent: Encodable {
        var v: ReportForm
        var e: [String: String]
        var errorList: MessageList
        var today: String
        var tileURL: String
        var citiesJSON: String
        var roles: [Choice]
        var timeBands: [Choice]
        var cities: [Choice]
        var placeTypes: [Choice]
        var kinds: [Choice]
        var perpetrators: [Choice]
        var relations: [Choice]
        var counts: [Choice]
        var prevented: [Choice]
        var preventedBy: [Choice]
        var ageBands: [Choice]
        var genders: [Choice]
        var consent: [Choice]
    }

    private func renderForm(
        _ req: Request, values: ReportForm, errors: [String: String], status: HTTPStatus
    )
        async throws -> Response
    {
        let cities = try await allCities(on: req.db)
        let citiesJSON = try cityCentresJSON(cities)
        func yesNo(_ yes: String, _ no: String, selected: String?) -> [Choice] {
            [
                Choice(value: "no", label: req.text(no), selected: selected == "no"),
                Choice(value: "yes", label: req.text(yes), selected: selected == "yes"),
            ]
        }
        let fieldOrder = [
            "role", "date", "time", "timeBand", "city", "latitude", "longitude", "landmark", "placeType", "kinds",
            "description", "perpetrator", "perpetratorRelation", "perpetratorCount", "prevented", "preventedBy",
            "ageBand", "gender", "contact", "publishConsent",
        ]
        let localized = errors.mapValues { req.text($0) }
        let content = FormContent(
            v: values, e: localized,
            errorList: MessageList(
                fieldOrder.compactMap { field in localized[field].map { req.text("field_" + field) + ": " + $0 } }),
            today: KazakhstanTime.today(), tileURL: TileProxyController.template, citiesJSON: citiesJSON,
            roles: req.choices(ReporterRole.self, prefix: "role", selected: [values.role ?? ""]),
            timeBands: req.choices(TimeBand.self, prefix: "band", selected: [values.timeBand ?? ""]),
            cities: cities.map {
                Choice(value: $0.id ?? "", label: $0.name(req.language), selected: $0.id == values.city)
            },
            placeTypes: req.choices(PlaceType.self, prefix: "place", selected: [values.placeType ?? ""]),
            kinds: req.choices(HarassmentKind.self, prefix: "kind", selected: values.kinds ?? []),
            perpetrators: req.choices(Perpetrator.self, prefix: "perpetrator", selected: [values.perpetrator ?? ""]),
            relations: req.choices(
                PerpetratorRelation.self, prefix: "relation", selected: [values.perpetratorRelation ?? ""]),
            counts: req.choices(PerpetratorCount.self, prefix: "count", selected: [values.perpetratorCount ?? "one"]),
            prevented: yesNo("answer_prevented_yes", "answer_prevented_no", selected: values.prevented),
            preventedBy: req.choices(PreventedBy.self, prefix: "prevented_by", selected: [values.preventedBy ?? ""]),
            ageBands: req.choices(AgeBand.self, prefix: "age", selected: [values.ageBand ?? ""]),
            genders: req.choices(Gender.self, prefix: "gender", selected: [values.gender ?? ""]),
            consent: yesNo("answer_consent_yes", "answer_consent_no", selected: values.publishConsent))
        let view = try await req.view.render(
            "report",
            PageContext(
                req, title: req.text("report_title"), nav: "report", scripts: ["report"], usesMap: true,
                content: content))
        return try await view.encodeResponse(status: status, for: req)
    }

    @Sendable func form(req: Request) async throws -> Response {
        var values = ReportForm()
        values.date = KazakhstanTime.today()
        values.perpetratorCount = "one"
        return try await renderForm(req, values: values, errors: [:], status: .ok)
    }

    struct ReceiptContent: Encodable {
        var code: String
        /// The personal action plan: step texts, then whom to call.
        var steps: [String]
        var lines: [ActionPlan.Line]
        /// The guide for the setting of what happened.
        var guideURL: String
        var guideTitle: String
        /// Guides for the kinds reported.
        var kindGuides: [Choice]
        var hasKindGuides: Bool
    }

    @Sendable func submit(req: Request) async throws -> Response {
        let values: ReportForm
        do {
            values = try req.content.decode(ReportForm.self)
        } catch {
            throw AppError(status: .badRequest, code: "bad_request", messageKey: "error_bad_body")
        }
        let (input, formErrors) = values.input(language: req.language)
        let cities = try await cityIndex(req.db)
        switch input.validate(cities: cities, fallbackLanguage: req.language) {
        case .failure(let error):
            return try await renderForm(
                req, values: values, errors: error.fields.merging(formErrors) { first, _ in first }, status: .badRequest
            )
        case .success(let valid):
            if !formErrors.isEmpty {
                return try await renderForm(req, values: values, errors: formErrors, status: .badRequest)
            }
            let receipt = try await ReportService.submit(valid, source: .web, app: req.application, on: req.db)
            req.application.telegramBot?.reportArrived()
            let situation = ActionPlan.Situation(valid)
            var kindGuides: [Choice] = []
            for kind in valid.kinds {
                if let guide = try await GuideLibrary.find(kind.rawValue, on: req.db) {
                    kindGuides.append(
                        Choice(value: "/guides/" + guide.slug, label: guide.title(req.language), selected: false))
                }
            }
            let content = ReceiptContent(
                code: receipt.receipt, steps: ActionPlan.steps(for: situation).map { req.text($0) },
                lines: try await ActionPlan.lines(for: situation, language: req.language, on: req.db),
                guideURL: "/guides/"
                    + GuideLibrary.settingSlug(placeType: valid.placeType, relation: valid.perpetratorRelation),
                guideTitle: try await GuideLibrary.find(
                    GuideLibrary.settingSlug(placeType: valid.placeType, relation: valid.perpetratorRelation),
                    on: req.db
                )?.title(req.language) ?? req.text("guides_title"),
                kindGuides: kindGuides, hasKindGuides: !kindGuides.isEmpty)
            let view = try await req.view.render(
                "receipt",
                PageContext(req, title: req.text("receipt_title"), nav: "report", scripts: ["print"], content: content))
            return try await view.encodeResponse(status: .created, for: req)
        }
    }

    struct CheckForm: Content {
        var code: String?
        var confirm: String?
    }

    struct CheckContent: Encodable {
        var code: String
        var error: String?
        /// The report found with the code, as a reporter may see it.
        var receipt: ReceiptView?
        var words: ReceiptView.Words?
        var deleted: Bool
    }

    private func renderCheck(_ req: Request, _ content: CheckContent, status: HTTPStatus) async throws -> Response {
        let view = try await req.view.render(
            "check", PageContext(req, title: req.text("check_title"), nav: "check", content: content))
        return try await view.encodeResponse(status: status, for: req)
    }

    private func emptyCheck(code: String = "", error: String? = nil, deleted: Bool = false) -> CheckContent {
        CheckContent(code: code, error: error, deleted: deleted)
    }

    @Sendable func checkForm(req: Request) async throws -> Response {
        try await renderCheck(req, emptyCheck(), status: .ok)
    }

    @Sendable func check(req: Request) async throws -> Response {
        let typed = (try? req.content.decode(CheckForm.self))?.code ?? ""
        guard ReceiptCode.normalize(typed) != nil else {
            return try await renderCheck(
                req, emptyCheck(code: String(typed.prefix(40)), error: req.text("error_receipt_format")),
                status: .badRequest)
        }
        guard let report = try await ReportService.find(receipt: typed, app: req.application, on: req.db) else {
            return try await renderCheck(
                req, emptyCheck(code: String(typed.prefix(40)), error: req.text("error_receipt_not_found")),
                status: .notFound)
        }
        let receipt = ReceiptView(report)
        let content = CheckContent(
            code: ReceiptCode.normalize(typed) ?? "", receipt: receipt, words: receipt.words { req.text($0) },
            deleted: false)
        return try await renderCheck(req, content, status: .ok)
    }

    @Sendable func withdraw(req: Request) async throws -> Response {
        let form = (try? req.content.decode(CheckForm.self)) ?? CheckForm()
        let typed = form.code ?? ""
        guard form.confirm == "yes" else {
            return try await renderCheck(
                req, emptyCheck(code: String(typed.prefix(40)), error: req.text("error_delete_confirm")),
                status: .badRequest)
        }
        guard let report = try await ReportService.find(receipt: typed, app: req.application, on: req.db) else {
            return try await renderCheck(
                req, emptyCheck(code: String(typed.prefix(40)), error: req.text("error_receipt_not_found")),
                status: .notFound)
        }
        try await ReportService.withdraw(report, on: req.db)
        return try await renderCheck(req, emptyCheck(deleted: true), status: .ok)
    }
}
