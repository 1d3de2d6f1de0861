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
        var recurrence: String?
        var toldWhom: [String]?
        var toldOutcome: String?
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
            // The relation, "who stopped it" and "what came of it" belong to one answer of the
            // question before; hidden by the page's script, they may still be sent ticked.
            let toldSomeone = (toldWhom ?? []).contains { $0 != ToldWhom.nobody.rawValue }
            let input = ReportInput(
                role: role, date: date, time: time, timeBand: timeBand,
                latitude: number(latitude, "latitude"), longitude: number(longitude, "longitude"), city: city,
                landmark: landmark, placeType: placeType, kinds: kinds, perpetrator: perpetrator,
                perpetratorRelation: perpetrator == "known" ? perpetratorRelation : nil,
                perpetratorCount: perpetratorCount, prevented: yesNo(prevented),
                preventedBy: prevented == "yes" ? preventedBy : nil, description: description, recurrence: recurrence,
                toldWhom: toldWhom, toldOutcome: toldSomeone ? toldOutcome : nil, ageBand: ageBand,
                gender: gender, contact: contact, publishConsent: yesNo(publishConsent), language: language.rawValue)
            return (input, errors)
        }
    }

    /// The form's questions, each with its value and error, as the partials draw them.
    struct FormContent: Encodable {
        var v: ReportForm
        var e: [String: String]
        var errors: MessageList
        var tileURL: String
        var citiesJSON: String
        var groups: [String: ChoiceGroup]
        var fields: [String: FormField]
    }

    /// The form's fields in the order they are asked, for the error summary.
    static let fieldOrder = [
        "role", "date", "time", "timeBand", "city", "latitude", "longitude", "landmark", "placeType", "kinds",
        "description", "recurrence", "perpetrator", "perpetratorRelation", "perpetratorCount", "prevented",
        "preventedBy", "toldWhom", "toldOutcome", "ageBand", "gender", "contact", "publishConsent", "language",
    ]

    private func renderForm(
        _ req: Request, values: ReportForm, errors: [String: String], status: HTTPStatus
    )
        async throws -> Response
    {
        let content = try await Self.formContent(req, values: values, errors: errors)
        let view = try await req.view.render(
            "report",
            PageContext(
                req, title: req.text("report_title"), nav: "report", scripts: ["report"], compactHeader: true,
                content: content))
        return try await view.encodeResponse(status: status, for: req)
    }

    /// The form's questions with the values and errors given; the panel's form for a report
    /// taken by phone or in person asks the same questions.
    static func formContent(_ req: Request, values: ReportForm, errors: [String: String]) async throws -> FormContent {
        let cities = try await allCities(on: req.db)
        let citiesJSON = try cityCentresJSON(cities, language: req.language)
        let e = errors.mapValues { req.text($0) }
        let optional = req.text("optional")
        func yesNo(_ yes: String, _ no: String, selected: String?) -> [Choice] {
            [
                Choice(value: "no", label: req.text(no), selected: selected == "no"),
                Choice(value: "yes", label: req.text(yes), selected: selected == "yes"),
            ]
        }
        func group(
            _ field: String, name: String? = nil, prefix: String, choices: [Choice], required: Bool = true,
            note: String? = nil, hint: String? = nil, multiple: Bool = false, id: String? = nil
        ) -> ChoiceGroup {
            ChoiceGroup(
                name: name ?? field, field: field, idPrefix: prefix, legend: req.text("field_" + field), note: note,
                hint: hint, multiple: multiple, required: required, choices: choices, error: e[field], groupID: id)
        }
        let groups = [
            "role": group(
                "role", prefix: "role",
                choices: req.choices(ReporterRole.self, prefix: "role", selected: [values.role ?? ""])),
            "timeBand": group(
                "timeBand", prefix: "band",
                choices: req.choices(TimeBand.self, prefix: "band", selected: [values.timeBand ?? ""]), required: false,
                note: optional),
            "placeType": group(
                "placeType", prefix: "place",
                choices: req.choices(PlaceType.self, prefix: "place", selected: [values.placeType ?? ""])),
            "kinds": group(
                "kinds", name: "kinds[]", prefix: "kind",
                choices: req.choices(HarassmentKind.self, prefix: "kind", selected: values.kinds ?? []),
                required: false, hint: req.text("kinds_hint"), multiple: true, id: "kinds-group"),
            "recurrence": group(
                "recurrence", prefix: "recurrence",
                choices: req.choices(Recurrence.self, prefix: "recurrence", selected: [values.recurrence ?? ""]),
                required: false, note: optional),
            "toldWhom": group(
                "toldWhom", name: "toldWhom[]", prefix: "told",
                choices: req.choices(ToldWhom.self, prefix: "told", selected: values.toldWhom ?? []), required: false,
                note: optional, hint: req.text("told_hint"), multiple: true),
            "toldOutcome": group(
                "toldOutcome", prefix: "told-outcome",
                choices: req.choices(ToldOutcome.self, prefix: "told_outcome", selected: [values.toldOutcome ?? ""]),
                required: false, note: optional, id: "told-outcome-group"),
            "perpetrator": group(
                "perpetrator", prefix: "perpetrator",
                choices: req.choices(Perpetrator.self, prefix: "perpetrator", selected: [values.perpetrator ?? ""])),
            "perpetratorRelation": group(
                "perpetratorRelation", prefix: "relation",
                choices: req.choices(
                    PerpetratorRelation.self, prefix: "relation", selected: [values.perpetratorRelation ?? ""]),
                required: false, note: req.text("relation_hint"), id: "relation-group"),
            "perpetratorCount": group(
                "perpetratorCount", prefix: "count",
                choices: req.choices(
                    PerpetratorCount.self, prefix: "count", selected: [values.perpetratorCount ?? "one"])),
            "prevented": group(
                "prevented", prefix: "prevented",
                choices: yesNo("answer_prevented_yes", "answer_prevented_no", selected: values.prevented)),
            "preventedBy": group(
                "preventedBy", prefix: "prevented-by",
                choices: req.choices(PreventedBy.self, prefix: "prevented_by", selected: [values.preventedBy ?? ""]),
                required: false, note: req.text("prevented_by_hint"), id: "prevented-by-group"),
            "publishConsent": group(
                "publishConsent", prefix: "consent",
                choices: yesNo("answer_consent_yes", "answer_consent_no", selected: values.publishConsent),
                hint: req.text("consent_hint")),
        ]
        func field(_ id: String, _ kind: FormField.Kind, value: String? = nil) -> FormField {
            FormField(id: id, kind: kind, label: req.text("field_" + id), value: value, error: e[id])
        }
        var fields = [
            "date": field("date", .date, value: values.date),
            "time": field("time", .time, value: values.time),
            "city": field("city", .select),
            "landmark": field("landmark", .text, value: values.landmark),
            "description": field("description", .textarea, value: values.description),
            "ageBand": field("ageBand", .select),
            "gender": field("gender", .select),
            "contact": field("contact", .text, value: values.contact),
        ]
        fields["date"]?.required = true
        fields["date"]?.min = ReportRules.earliestDate
        fields["date"]?.max = KazakhstanTime.today()
        fields["time"]?.note = optional
        fields["city"]?.required = true
        fields["city"]?.emptyOption = req.text("choose_city")
        fields["city"]?.options = cities.map {
            Choice(value: $0.id ?? "", label: $0.name(req.language), selected: $0.id == values.city)
        }
        fields["landmark"]?.note = optional
        fields["landmark"]?.hint = req.text("landmark_hint")
        fields["landmark"]?.maxLength = ReportRules.landmarkLength
        fields["description"]?.hint = req.text("description_hint")
        fields["description"]?.required = true
        fields["description"]?.minLength = ReportRules.descriptionLength.lowerBound
        fields["description"]?.maxLength = ReportRules.descriptionLength.upperBound
        fields["description"]?.rows = 7
        for (id, type, prefix, selected) in [
            ("ageBand", AgeBand.allCases.map(\.rawValue), "age_", values.ageBand),
            ("gender", Gender.allCases.map(\.rawValue), "gender_", values.gender),
        ] {
            fields[id]?.note = optional
            fields[id]?.emptyOption = req.text("prefer_not_say")
            fields[id]?.options = type.map { Choice(value: $0, label: req.text(prefix + $0), selected: $0 == selected) }
        }
        fields["contact"]?.note = optional
        fields["contact"]?.hint = req.text("contact_hint")
        fields["contact"]?.maxLength = ReportRules.contactLength
        fields["contact"]?.autocompleteOff = true

        // Each message in the summary links to its field: a group's first choice, a field itself,
        // and for the point on the map the city, which stands for it without JavaScript.
        func target(_ field: String) -> String {
            if let group = groups[field] { return "#" + group.firstID }
            if field == "latitude" || field == "longitude" { return "#city" }
            return "#" + field
        }
        let summary = MessageList(
            linked: Self.fieldOrder.compactMap { field in
                e[field].map { MessageList.Message(text: req.text("field_" + field) + ": " + $0, href: target(field)) }
            }, heading: req.text("error_summary_heading"))
        return FormContent(
            v: values, e: e, errors: summary, tileURL: TileProxyController.template, citiesJSON: citiesJSON,
            groups: groups, fields: fields)
    }

    /// The empty form, the same for every visitor in a language (issue #22): the page has no
    /// form token (cross-site posts are refused by ``SameOriginMiddleware``) and nothing typed,
    /// so it is kept per language for the day (today is its date and the date's limit) and the
    /// city list it offers. A form sent back with errors, and the receipt, are drawn each time.
    @Sendable func form(req: Request) async throws -> Response {
        guard req.url.path == "/report" else { return try await renderEmptyForm(req) }
        let page = try await req.application.reportFormCache.page(
            req.language, generation: Self.formGeneration(try await allCities(on: req.db))
        ) {
            try await renderEmptyForm(req).body.buffer ?? ByteBuffer()
        }
        return Response(status: .ok, headers: ["Content-Type": "text/html; charset=utf-8"], body: .init(buffer: page))
    }

    /// What the empty form is drawn from besides the language: the day in Kazakhstan and the
    /// city list (no panel edits cities; ``seedCities(on:)`` adds a release's new ones at start,
    /// and the form follows the list the process serves rather than assume it never moves).
    static func formGeneration(_ cities: [City], now: Date = Date()) -> String {
        var hasher = Hasher()
        for city in cities {
            hasher.combine(city.id)
            hasher.combine(city.nameKk)
            hasher.combine(city.nameRu)
            hasher.combine(city.nameEn)
            hasher.combine(city.latitude)
            hasher.combine(city.longitude)
        }
        return String(PublicPageKey.kazakhstanDay(now: now)) + "|" + String(hasher.finalize())
    }

    private func renderEmptyForm(_ req: Request) async throws -> Response {
        req.application.pageRenders.note(.reportForm)
        var values = ReportForm()
        values.date = KazakhstanTime.today()
        values.perpetratorCount = "one"
        return try await renderForm(req, values: values, errors: [:], status: .ok)
    }

    struct ReceiptContent: Encodable {
        var code: String
        /// The personal action plan: step texts (numbers in them dialable), then whom to call.
        var steps: [[ActionPlan.StepPart]]
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
            let plan = try await ActionPlan.plan(
                for: situation, steps: ActionPlan.steps(for: situation).map { req.text($0) }, language: req.language,
                on: req.db)
            let content = ReceiptContent(
                code: receipt.receipt, steps: plan.steps, lines: plan.lines,
                guideURL: "/guides/"
                    + GuideLibrary.settingSlug(placeType: valid.placeType, relation: valid.perpetratorRelation),
                guideTitle: try await GuideLibrary.find(
                    GuideLibrary.settingSlug(placeType: valid.placeType, relation: valid.perpetratorRelation),
                    on: req.db
                )?.title(req.language) ?? req.text("guides_title"),
                kindGuides: kindGuides, hasKindGuides: !kindGuides.isEmpty)
            let view = try await req.view.render(
                "receipt",
                PageContext(
                    req, title: req.text("receipt_title"), nav: "report", scripts: ["print", "receipt"],
                    content: content))
            return try await view.encodeResponse(status: .created, for: req)
        }
    }

    struct CheckForm: Content {
        var code: String?
        var confirm: String?
        var text: String?
    }

    struct CheckContent: Encodable {
        var code: String
        var error: String?
        /// The report found with the code, as a reporter may see it.
        var receipt: ReceiptView?
        var words: ReceiptView.Words?
        var deleted: Bool
        var thread: [FollowUp.Line] = []
        var messageSent = false
        var messageError: String?
        var messageDraft = ""
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
        return try await renderFound(req, report, code: typed)
    }

    /// The check page for a found report, with its follow-up thread.
    private func renderFound(
        _ req: Request, _ report: Report, code typed: String, sent: Bool = false, error: String? = nil,
        draft: String = "", status: HTTPStatus = .ok
    ) async throws -> Response {
        let receipt = try await ReceiptView.withThread(report, app: req.application, on: req.db)
        var content = CheckContent(
            code: ReceiptCode.normalize(typed) ?? "", receipt: receipt, words: receipt.words { req.text($0) },
            deleted: false)
        content.thread = FollowUp.lines(receipt.messages, forReporter: true, text: req.text)
        content.messageSent = sent
        content.messageError = error
        content.messageDraft = draft
        return try await renderCheck(req, content, status: status)
    }

    /// The reporter answers a question or adds information, with the receipt code.
    @Sendable func answer(req: Request) async throws -> Response {
        let form = (try? req.content.decode(CheckForm.self)) ?? CheckForm()
        let typed = form.code ?? ""
        guard let report = try await ReportService.find(receipt: typed, app: req.application, on: req.db) else {
            return try await renderCheck(
                req, emptyCheck(code: String(typed.prefix(40)), error: req.text("error_receipt_not_found")),
                status: .notFound)
        }
        do {
            try await FollowUp.answer(report, text: form.text, app: req.application, on: req.db)
            return try await renderFound(req, report, code: typed, sent: true)
        } catch let error as AppError where error.status == .badRequest {
            return try await renderFound(
                req, report, code: typed, error: AdminWebController.messages(error, req).first,
                draft: String((form.text ?? "").prefix(FollowUp.maxLength)), status: .badRequest)
        }
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
