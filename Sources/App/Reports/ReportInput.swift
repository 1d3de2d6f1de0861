import Vapor

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
    var ageBand: AgeBand?
    var gender: Gender?
    var contact: String?
    var publishConsent: Bool
    var language: Language
}

/// Kazakhstan has used one time zone, UTC+5, since 2024-03-01 (kz-help-facts §6).
enum KazakhstanTime {
    static let zone = TimeZone(secondsFromGMT: 5 * 3600)!

    static func today(now: Date = Date()) -> String { dayString(now) }

    /// The time with minutes and seconds dropped. Report times are stored like this so that
    /// they cannot be matched against a proxy's access log (SPEC §6); the zone's offset is a
    /// whole number of hours, so the hour is the same in UTC and in Kazakhstan.
    static func toTheHour(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 3600).rounded(.down) * 3600)
    }

    static func dayString(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
    }

    /// Whether `text` is a real calendar day written `YYYY-MM-DD`.
    static func isValidDay(_ text: String) -> Bool {
        let pieces = text.split(separator: "-", omittingEmptySubsequences: false)
        guard pieces.count == 3, pieces[0].count == 4, pieces[1].count == 2, pieces[2].count == 2,
            pieces.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            let year = Int(pieces[0]), let month = Int(pieces[1]), let day = Int(pieces[2]),
            (1...12).contains(month), day >= 1
        else { return false }
        let isLeap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let lengths = [31, isLeap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= lengths[month - 1]
    }
}

/// Kazakhstan's bounding box (SPEC §2).
enum KazakhstanBounds {
    static let latitude = 40.5...55.5
    static let longitude = 46.4...87.4

    static func contains(latitude: Double, longitude: Double) -> Bool {
        latitude.isFinite && longitude.isFinite && Self.latitude.contains(latitude)
            && Self.longitude.contains(longitude)
    }
}

enum TextRules {
    /// Free text may hold any script and emoji, but no control characters other than line
    /// breaks and tabs (a NUL byte would also be refused by PostgreSQL).
    static func isClean(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { scalar in
            if scalar == "\n" || scalar == "\r" || scalar == "\t" { return true }
            return scalar.properties.generalCategory != .control && !scalar.properties.isNoncharacterCodePoint
        }
    }

    /// Trims and returns nil for blank text.
    static func trimmed(_ text: String?) -> String? {
        guard let text = text?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
        return text
    }

    /// An email address, a phone number or a Telegram handle.
    static func isContact(_ text: String) -> Bool {
        let email = #"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$"#
        let phone = #"^\+?[0-9][0-9 ()\-]{5,19}$"#
        let handle = #"^@?[A-Za-z][A-Za-z0-9_]{4,31}$"#
        return [email, phone, handle].contains { text.range(of: $0, options: .regularExpression) != nil }
    }
}

extension ReportInput {
    static let descriptionLength = 20...5000

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

        let date = TextRules.trimmed(date)
        if let date {
            if !KazakhstanTime.isValidDay(date) {
                errors["date"] = "error_date_format"
            } else if date > today {
                errors["date"] = "error_date_future"
            } else if date < "2000-01-01" {
                errors["date"] = "error_date_too_old"
            }
        } else {
            errors["date"] = "error_required"
        }

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

        let landmark = TextRules.trimmed(landmark)
        if let landmark, landmark.count > 200 || !TextRules.isClean(landmark) { errors["landmark"] = "error_landmark" }

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

        let description = TextRules.trimmed(description)
        if let description {
            if !Self.descriptionLength.contains(description.count) {
                errors["description"] = "error_description_length"
            } else if !TextRules.isClean(description) {
                errors["description"] = "error_text_characters"
            }
        } else {
            errors["description"] = "error_required"
        }

        let ageBand = optional(ageBand, "ageBand", as: AgeBand.self)
        let gender = optional(gender, "gender", as: Gender.self)

        let contact = TextRules.trimmed(contact)
        if let contact, contact.count > 200 || !TextRules.isContact(contact) { errors["contact"] = "error_contact" }

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
                preventedBy: preventedBy, description: description, ageBand: ageBand, gender: gender, contact: contact,
                publishConsent: publishConsent, language: language))
    }
}
