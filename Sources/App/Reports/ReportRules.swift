import Vapor

// The rules of a report (SPEC §2): the input as it arrives, the per-field checks in
// `ReportRules` that the form, the API and the bot share, and the whole check that turns an
// input into a `ValidReport`.

/// A report as it arrives from the API or the web form, before any checks.
///
/// Everything is optional here so that a missing field gets a clear, translated error naming
/// it, instead of a decoding failure.
struct ReportInput: Content, Sendable {
    var role: String?
    var date: String?
    var time: String?
    var timeBand: String?
    var latitude: Double?
    var longitude: Double?
    var city: String?
    var landmark: String?
    var placeType: String?
    var kinds: [String]?
    var perpetrator: String?
    var perpetratorRelation: String?
    var perpetratorCount: String?
    var prevented: Bool?
    var preventedBy: String?
    var description: String?
    var recurrence: String?
    var toldWhom: [String]?
    var toldOutcome: String?
    var ageBand: String?
    var gender: String?
    var contact: String?
    var publishConsent: Bool?
    var language: String?
}

/// A report that passed every rule of SPEC §2.
struct ValidReport: Sendable, Equatable {
    var role: ReporterRole
    var date: String
    var time: String?
    var timeBand: TimeBand?
    var latitude: Double
    var longitude: Double
    var city: String
    var landmark: String?
    var placeType: PlaceType
    var kinds: [HarassmentKind]
    var perpetrator: Perpetrator
    var perpetratorRelation: PerpetratorRelation?
    var perpetratorCount: PerpetratorCount
    var prevented: Bool
    var preventedBy: PreventedBy?
    var description: String
    var recurrence: Recurrence?
    var toldWhom: [ToldWhom]
    var toldOutcome: ToldOutcome?
    var ageBand: AgeBand?
    var gender: Gender?
    var contact: String?
    var publishConsent: Bool
    var language: Language
}

/// The rules of SPEC §2 for the fields a reporter types. The web form, the API and the bot all
/// check through these, so a limit is written once. Each returns the cleaned value, or the
/// translation key of what is wrong with it.
enum ReportRules {
    static let descriptionLength = 20...5000
    static let landmarkLength = 200
    static let contactLength = 200
    static let earliestDate = "2000-01-01"

    /// A real day written `YYYY-MM-DD`, not in the future and not before 2000.
    static func date(_ raw: String?, today: String) -> Result<String, FieldProblem> {
        guard let date = TextRules.trimmed(raw) else { return .failure("error_required") }
        if !KazakhstanTime.isValidDay(date) { return .failure("error_date_format") }
        if date > today { return .failure("error_date_future") }
        if date < earliestDate { return .failure("error_date_too_old") }
        return .success(date)
    }

    /// Optional; up to 200 characters of clean text.
    static func landmark(_ raw: String?) -> Result<String?, FieldProblem> {
        guard let landmark = TextRules.trimmed(raw) else { return .success(nil) }
        guard landmark.count <= landmarkLength, TextRules.isClean(landmark) else { return .failure("error_landmark") }
        return .success(landmark)
    }

    /// Required; 20–5,000 characters of clean text in any script.
    static func description(_ raw: String?) -> Result<String, FieldProblem> {
        guard let description = TextRules.trimmed(raw) else { return .failure("error_required") }
        guard descriptionLength.contains(description.count) else { return .failure("error_description_length") }
        guard TextRules.isClean(description) else { return .failure("error_text_characters") }
        return .success(description)
    }

    /// Optional; any of police, employer or school, a hotline — or nobody, alone.
    static func toldWhom(_ raw: [String]?) -> Result<[ToldWhom], FieldProblem> {
        let values = (raw ?? []).compactMap(TextRules.trimmed)
        guard values.count <= ToldWhom.allCases.count * 2 else { return .failure("error_choice") }
        var told: [ToldWhom] = []
        for value in values {
            guard let whom = ToldWhom(rawValue: value) else { return .failure("error_choice") }
            if !told.contains(whom) { told.append(whom) }
        }
        if told.contains(.nobody) && told.count > 1 { return .failure("error_told_nobody_and_someone") }
        return .success(told)
    }

    /// Optional; an e-mail address, a phone number or a Telegram handle.
    static func contact(_ raw: String?) -> Result<String?, FieldProblem> {
        guard let contact = TextRules.trimmed(raw) else { return .success(nil) }
        guard contact.count <= contactLength, TextRules.isContact(contact) else { return .failure("error_contact") }
        return .success(contact)
    }
}

/// What is wrong with one field: a translation key.
struct FieldProblem: Error, Equatable, ExpressibleByStringLiteral {
    var key: String
    init(stringLiteral key: String) { self.key = key }
}

extension Result where Failure == FieldProblem {
    /// The translation key of the problem, or nil when the value is fine.
    var problem: String? {
        if case .failure(let problem) = self { return problem.key }
        return nil
    }

    /// The value, or nil after noting the problem under `field` in `errors`.
    func value(noting field: String, in errors: inout [String: String]) -> Success? {
        switch self {
        case .success(let value): return value
        case .failure(let problem):
            errors[field] = problem.key
            return nil
        }
    }
}

extension ReportInput {
    /// Checks every rule and reports every broken one at once, keyed by API field name.
    func validate(
        cities: [String: City], fallbackLanguage: Language, today: String = KazakhstanTime.today()
    )
        -> Result<ValidReport, AppError>
    {
        var errors: [String: String] = [:]

        func required<E: RawRepresentable>(_ value: String?, _ field: String, as type: E.Type) -> E?
        where E.RawValue == String {
            guard let value = TextRules.trimmed(value) else {
                errors[field] = "error_required"
                return nil
            }
            guard let parsed = E(rawValue: value) else {
                errors[field] = "error_choice"
                return nil
            }
            return parsed
        }
        func optional<E: RawRepresentable>(_ value: String?, _ field: String, as type: E.Type) -> E?
        where E.RawValue == String {
            guard let value = TextRules.trimmed(value) else { return nil }
            guard let parsed = E(rawValue: value) else {
                errors[field] = "error_choice"
                return nil
            }
            return parsed
        }

        let role = required(role, "role", as: ReporterRole.self)

        let date = ReportRules.date(date, today: today).value(noting: "date", in: &errors)

        var band = optional(timeBand, "timeBand", as: TimeBand.self)
        let time = TextRules.trimmed(time)
        if let time {
            let parts = time.split(separator: ":", omittingEmptySubsequences: false)
            if parts.count == 2, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
                let hour = Int(parts[0]), let minute = Int(parts[1]), hour < 24, minute < 60
            {
                let derived = TimeBand(hour: hour)
                if let band, band != derived { errors["timeBand"] = "error_time_band_mismatch" }
                band = derived
            } else {
                errors["time"] = "error_time_format"
            }
        }

        let citySlug = TextRules.trimmed(city)
        let chosenCity = citySlug.flatMap { cities[$0] }
        if citySlug == nil {
            errors["city"] = "error_required"
        } else if chosenCity == nil {
            errors["city"] = "error_choice"
        }

        var point: (Double, Double)?
        switch (latitude, longitude) {
        case (let lat?, let lon?):
            if KazakhstanBounds.contains(latitude: lat, longitude: lon) {
                point = (lat, lon)
            } else {
                errors[KazakhstanBounds.latitude.contains(lat) && lat.isFinite ? "longitude" : "latitude"] =
                    "error_outside_kazakhstan"
            }
        case (nil, nil):
            if let chosenCity { point = (chosenCity.latitude, chosenCity.longitude) }
        case (nil, _):
            errors["latitude"] = "error_required"
        case (_, nil):
            errors["longitude"] = "error_required"
        }

        let landmark = ReportRules.landmark(landmark).value(noting: "landmark", in: &errors) ?? nil

        let placeType = required(placeType, "placeType", as: PlaceType.self)

        var kinds: [HarassmentKind] = []
        let rawKinds = (self.kinds ?? []).compactMap(TextRules.trimmed)
        if rawKinds.isEmpty {
            errors["kinds"] = "error_kinds_required"
        } else if rawKinds.count > HarassmentKind.allCases.count * 2 {
            errors["kinds"] = "error_choice"
        } else {
            for raw in rawKinds {
                guard let kind = HarassmentKind(rawValue: raw) else {
                    errors["kinds"] = "error_choice"
                    break
                }
                if !kinds.contains(kind) { kinds.append(kind) }
            }
        }

        let perpetrator = required(perpetrator, "perpetrator", as: Perpetrator.self)
        var relation: PerpetratorRelation?
        if perpetrator == .known {
            relation = required(perpetratorRelation, "perpetratorRelation", as: PerpetratorRelation.self)
        } else if perpetrator == .stranger, TextRules.trimmed(perpetratorRelation) != nil {
            errors["perpetratorRelation"] = "error_relation_for_stranger"
        }
        let count = required(perpetratorCount, "perpetratorCount", as: PerpetratorCount.self)

        var preventedBy: PreventedBy?
        if let prevented {
            if prevented {
                preventedBy = required(self.preventedBy, "preventedBy", as: PreventedBy.self)
            } else if TextRules.trimmed(self.preventedBy) != nil {
                errors["preventedBy"] = "error_prevented_by_when_not"
            }
        } else {
            errors["prevented"] = "error_required"
        }

        let description = ReportRules.description(description).value(noting: "description", in: &errors)

        let recurrence = optional(recurrence, "recurrence", as: Recurrence.self)
        let told = ReportRules.toldWhom(toldWhom).value(noting: "toldWhom", in: &errors) ?? []
        let toldOutcome = optional(toldOutcome, "toldOutcome", as: ToldOutcome.self)
        if toldOutcome != nil && told.allSatisfy({ $0 == .nobody }) {
            errors["toldOutcome"] = "error_outcome_without_telling"
        }

        let ageBand = optional(ageBand, "ageBand", as: AgeBand.self)
        let gender = optional(gender, "gender", as: Gender.self)

        let contact = ReportRules.contact(contact).value(noting: "contact", in: &errors) ?? nil

        if publishConsent == nil { errors["publishConsent"] = "error_required" }
        let language = optional(language, "language", as: Language.self) ?? fallbackLanguage

        guard errors.isEmpty, let role, let date, let chosenCity, let point, let placeType, let perpetrator, let count,
            let prevented, let description, let publishConsent
        else {
            return .failure(.validation(errors))
        }
        return .success(
            ValidReport(
                role: role, date: date, time: time, timeBand: band, latitude: point.0, longitude: point.1,
                city: chosenCity.id ?? "", landmark: landmark, placeType: placeType, kinds: kinds,
                perpetrator: perpetrator, perpetratorRelation: relation, perpetratorCount: count, prevented: prevented,
                preventedBy: preventedBy, description: description, recurrence: recurrence, toldWhom: told,
                toldOutcome: toldOutcome, ageBand: ageBand, gender: gender, contact: contact,
                publishConsent: publishConsent, language: language))
    }
}
