/// The enumerations of SPEC §2. Raw values are the API's spellings and never change.

enum ReporterRole: String, CaseIterable, Codable, Sendable { case victim, witness }

enum TimeBand: String, CaseIterable, Codable, Sendable {
    case morning, afternoon, evening, night

    /// The band an exact `HH:MM` falls in: morning 06–12, afternoon 12–18, evening 18–23, night 23–06.
    init(hour: Int) {
        switch hour {
        case 6..<12: self = .morning
        case 12..<18: self = .afternoon
        case 18..<23: self = .evening
        default: self = .night
        }
    }
}

enum PlaceType: String, CaseIterable, Codable, Sendable {
    case street, public_transport, taxi, workplace, education, shop_cafe, park, residential, online, other
}

enum HarassmentKind: String, CaseIterable, Codable, Sendable {
    case catcalling, verbal, nonverbal, physical, stalking, coercion, gender, cyber, bullying, discrimination
    /// Financial pressure, obstructing economic independence (seed 003, type 5).
    case economic
    case other
}

enum Perpetrator: String, CaseIterable, Codable, Sendable { case stranger, known }

enum PerpetratorRelation: String, CaseIterable, Codable, Sendable {
    case colleague, superior, relative, partner, neighbour, acquaintance

    /// Relations close enough that a pin could point at the victim's home (SPEC §6).
    var hidesPin: Bool { self == .relative || self == .partner || self == .neighbour }
}

enum PerpetratorCount: String, CaseIterable, Codable, Sendable { case one, group }

enum PreventedBy: String, CaseIterable, Codable, Sendable { case `self`, bystander, staff, police, other }

enum AgeBand: String, CaseIterable, Codable, Sendable {
    case under16, age16to17 = "16-17", age18to24 = "18-24", age25to34 = "25-34", age35to44 = "35-44"
    case age45to54 = "45-54", age55plus = "55+"
}

enum Gender: String, CaseIterable, Codable, Sendable { case woman, man, other, unsaid }

/// Whether it happened once or keeps happening. Not given counts as unknown.
enum Recurrence: String, CaseIterable, Codable, Sendable { case once, repeated }

/// Whom the person told, officially; `nobody` stands alone.
enum ToldWhom: String, CaseIterable, Codable, Sendable { case police, employer_school, hotline, nobody }

/// What came of telling someone.
enum ToldOutcome: String, CaseIterable, Codable, Sendable {
    case nothing_yet, no_reaction, stopped, action_taken, blamed
}

enum ReportSource: String, CaseIterable, Codable, Sendable { case web, telegram, moderator }

enum ReportStatus: String, CaseIterable, Codable, Sendable { case pending, published, rejected, archived }

/// Why a moderator did not publish a report; the reporter reads the matching text.
enum RejectionReason: String, CaseIterable, Codable, Sendable {
    case duplicate, not_harassment, insufficient_detail, identifying_details, outside_kazakhstan, spam, other
}

/// How precisely a published report is shown on the public map (SPEC §6).
enum PublicPrecision: String, CaseIterable, Codable, Sendable {
    /// Displaced 100–400 m and snapped to a 250 m grid: the finest anyone ever sees.
    case grid250
    /// Displaced, then snapped to a 1 km grid.
    case km1
    /// Only the city centre.
    case city
}
