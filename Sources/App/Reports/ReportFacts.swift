import Foundation

/// A report's answers in words, with their labels, in one language: the one place that turns
/// stored values into text. The panel's report page, the bot's summary, the public list and
/// the map's popup each pick the fields they show from here.
struct ReportFacts {
    enum Field: String, CaseIterable, Sendable {
        case outcome, role, date, time, timeBand, city, location, landmark, placeType, kinds, perpetrator
        case perpetratorRelation, perpetratorCount, prevented, preventedBy, description, recurrence, toldWhom
        case toldOutcome, ageBand, gender, contact, publishConsent

        /// Fields that only apply to some answers; they are left out when they have no value.
        var isConditional: Bool { [.time, .landmark, .perpetratorRelation, .preventedBy, .toldOutcome].contains(self) }

        var labelKey: String {
            switch self {
            case .outcome: "field_prevented"
            default: "field_" + rawValue
            }
        }
    }

    struct Fact: Codable, Equatable, Sendable {
        var field: String
        var label: String
        /// Nil when the reporter did not answer.
        var value: String?
    }

    // The answers as stored: raw values, or nil when not given.
    var role: String?
    var date: String?
    var time: String?
    var timeBand: String?
    var city: String?
    var point: (latitude: Double, longitude: Double)?
    var landmark: String?
    var placeType: String?
    var kinds: [String] = []
    var perpetrator: String?
    var perpetratorRelation: String?
    var perpetratorCount: String?
    var prevented: Bool?
    var preventedBy: String?
    var description: String?
    var recurrence: String?
    var toldWhom: [String] = []
    var toldOutcome: String?
    var ageBand: String?
    var gender: String?
    var contact: String?
    var publishConsent: Bool?

    /// A stored report as moderators see it; `contact` is the opened contact, if any.
    init(_ report: Report, contact: String?) {
        role = report.role
        date = report.incidentDate
        time = report.incidentTime
        timeBand = report.timeBand
        city = report.city
        point = (report.latitude, report.longitude)
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
        self.contact = contact
        publishConsent = report.publishConsent
    }

    /// A report still being written in the bot.
    init(_ draft: ReportInput, contact: String?) {
        role = draft.role
        date = draft.date
        time = draft.time
        timeBand = draft.timeBand
        city = draft.city
        point = draft.latitude.flatMap { latitude in draft.longitude.map { (latitude, $0) } }
        landmark = draft.landmark
        placeType = draft.placeType
        kinds = draft.kinds ?? []
        perpetrator = draft.perpetrator
        perpetratorRelation = draft.perpetratorRelation
        perpetratorCount = draft.perpetratorCount
        prevented = draft.prevented
        preventedBy = draft.preventedBy
        description = draft.description
        recurrence = draft.recurrence
        toldWhom = draft.toldWhom ?? []
        toldOutcome = draft.toldOutcome
        ageBand = draft.ageBand
        gender = draft.gender
        self.contact = contact
        publishConsent = draft.publishConsent
    }

    /// A published report's public version: only what SPEC §6 lets anyone see.
    init(_ incident: PublicIncident) {
        role = incident.role
        date = incident.date
        timeBand = incident.timeBand
        city = incident.city
        placeType = incident.placeType
        kinds = incident.kinds
        perpetrator = incident.perpetrator
        perpetratorRelation = incident.perpetratorRelation
        perpetratorCount = incident.perpetratorCount
        prevented = incident.prevented
        preventedBy = incident.preventedBy
        recurrence = incident.recurrence
        toldWhom = incident.toldWhom
        toldOutcome = incident.toldOutcome
        description = incident.description
    }

    /// One field's value in words, or nil when not given.
    func value(_ field: Field, cityName: (String) -> String?, text: (String) -> String) -> String? {
        func label(_ prefix: String, _ raw: String?) -> String? { raw.map { text(prefix + $0) } }
        switch field {
        case .outcome: return prevented.map { text($0 ? "legend_prevented" : "legend_not_prevented") }
        case .role: return label("role_", role)
        case .date: return date
        case .time:
            let parts = [time, label("band_", timeBand)].compactMap { $0 }
            return time == nil ? nil : parts.joined(separator: " · ")
        case .timeBand: return label("band_", timeBand)
        case .city: return city.map { cityName($0) ?? $0 }
        case .location: return point.map { String(format: "%.5f, %.5f", $0.latitude, $0.longitude) }
        case .landmark: return landmark
        case .placeType: return label("place_", placeType)
        case .kinds: return kinds.isEmpty ? nil : kinds.map { text("kind_" + $0) }.joined(separator: ", ")
        case .perpetrator: return label("perpetrator_", perpetrator)
        case .perpetratorRelation: return label("relation_", perpetratorRelation)
        case .perpetratorCount: return label("count_", perpetratorCount)
        case .prevented: return prevented.map { text($0 ? "answer_prevented_yes" : "answer_prevented_no") }
        case .preventedBy: return label("prevented_by_", preventedBy)
        case .description: return description
        case .recurrence: return label("recurrence_", recurrence)
        case .toldWhom: return toldWhom.isEmpty ? nil : toldWhom.map { text("told_" + $0) }.joined(separator: ", ")
        case .toldOutcome: return label("told_outcome_", toldOutcome)
        case .ageBand: return label("age_", ageBand)
        case .gender: return label("gender_", gender)
        case .contact: return contact
        case .publishConsent: return publishConsent.map { text($0 ? "bot_consent_yes" : "bot_consent_no") }
        }
    }

    /// The chosen fields in order, labelled; conditional fields without a value are left out.
    func facts(_ fields: [Field], cityName: (String) -> String?, text: (String) -> String) -> [Fact] {
        fields.compactMap { field in
            let value = value(field, cityName: cityName, text: text)
            if value == nil && field.isConditional { return nil }
            return Fact(field: field.rawValue, label: text(field.labelKey), value: value)
        }
    }
}
