import Foundation

/// One published report as the public views count it: its answers as small codes, its public
/// point as an index into the set's ``PlaceTable``, its city as an index into its
/// ``CityTable``, and what orders it among the published (``Disclosure``'s groups of ten).
/// Nothing here is more than the public columns already say; the words are read from the
/// database when a page shows them.
struct PublishedRecord: Sendable {
    var id: UUID
    /// `published_at` in seconds (an hour, SPEC §6), then the key: the publication order.
    var publishedAt: Int64
    var key: Int32
    /// `incident_date` as days since 1970-01-01, or ``PublishedRecord/noDay`` if unreadable.
    var day: Int32
    /// Index into the set's ``PlaceTable``, or -1 for a report without a pin.
    var place: Int32
    var city: UInt16
    /// One bit per ``HarassmentKind`` case, in declaration order.
    var kinds: UInt16
    /// One bit per ``ToldWhom`` case; 0 when not said.
    var toldWhom: UInt16
    var prevented: Bool
    /// The single-answer questions of ``PublishedAnswers/single``, in that order.
    var codes: SIMD16<UInt8>

    static let noDay = Int32.min

    /// Publication order, oldest first: hour, then key, then id (bytes, as both databases
    /// order a UUID).
    static func isBefore(_ a: PublishedRecord, _ b: PublishedRecord) -> Bool {
        if a.publishedAt != b.publishedAt { return a.publishedAt < b.publishedAt }
        if a.key != b.key { return a.key < b.key }
        return a.id.orderingBytes < b.id.orderingBytes
    }
}

extension UUID {
    /// The UUID's 16 bytes as two big-endian numbers: comparing them orders UUIDs as
    /// SQLite (blobs) and PostgreSQL (`uuid`) do.
    var orderingBytes: UInt128 {
        let b = uuid
        let high =
            UInt64(b.0) << 56 | UInt64(b.1) << 48 | UInt64(b.2) << 40 | UInt64(b.3) << 32 | UInt64(b.4) << 24
            | UInt64(b.5) << 16 | UInt64(b.6) << 8 | UInt64(b.7)
        let low =
            UInt64(b.8) << 56 | UInt64(b.9) << 48 | UInt64(b.10) << 40 | UInt64(b.11) << 32 | UInt64(b.12) << 24
            | UInt64(b.13) << 16 | UInt64(b.14) << 8 | UInt64(b.15)
        return UInt128(high) << 64 | UInt128(low)
    }
}

/// The answers the public views count, as codes: 0 for none given, 1… for a known value (its
/// position in the enumeration plus one), ``unrecognized`` for a stored value no enumeration
/// knows (counted nowhere by name, as the database's grouping would leave it out too).
enum PublishedAnswers {
    /// The single-answer questions, by `reports` column.
    static let single: [(column: String, values: [String])] = [
        ("role", ReporterRole.allCases.map(\.rawValue)),
        ("place_type", PlaceType.allCases.map(\.rawValue)),
        ("time_band", TimeBand.allCases.map(\.rawValue)),
        ("perpetrator", Perpetrator.allCases.map(\.rawValue)),
        ("perpetrator_relation", PerpetratorRelation.allCases.map(\.rawValue)),
        ("prevented_by", PreventedBy.allCases.map(\.rawValue)),
        ("recurrence", Recurrence.allCases.map(\.rawValue)),
        ("told_outcome", ToldOutcome.allCases.map(\.rawValue)),
        ("age_band", AgeBand.allCases.map(\.rawValue)),
    ]
    static let kinds = HarassmentKind.allCases.map(\.rawValue)
    static let toldWhom = ToldWhom.allCases.map(\.rawValue)

    static let unrecognized: UInt8 = 255
    /// The key an unrecognized value is tallied under: no row is ever named after it.
    static let unrecognizedKey = "\u{0}unrecognized"

    static let placeType = single.firstIndex { $0.column == "place_type" }!
    static let perpetrator = single.firstIndex { $0.column == "perpetrator" }!

    private static let lookup: [[String: UInt8]] = single.map { question in
        Dictionary(uniqueKeysWithValues: question.values.enumerated().map { ($1, UInt8($0 + 1)) })
    }

    static func code(_ raw: some StringProtocol, question: Int) -> UInt8 {
        raw.isEmpty ? 0 : lookup[question][String(raw)] ?? unrecognized
    }

    /// The stored value a code stands for: nil for none.
    static func value(_ code: UInt8, question: Int) -> String? {
        switch code {
        case 0: nil
        case unrecognized: unrecognizedKey
        default: single[question].values[Int(code) - 1]
        }
    }

    /// A comma-framed list (`,verbal,physical,`) as bits of `values`; unknown items are dropped.
    static func bits(_ list: Substring, of values: [String]) -> UInt16 {
        var bits: UInt16 = 0
        for item in list.split(separator: ",") {
            if let index = values.firstIndex(where: { $0 == item }) { bits |= 1 << index }
        }
        return bits
    }

    /// The bits back as a comma-framed list, nil for none (as the database holds it).
    static func list(_ bits: UInt16, of values: [String]) -> String? {
        guard bits != 0 else { return nil }
        return "," + values.indices.filter { bits & (1 << $0) != 0 }.map { values[$0] }.joined(separator: ",") + ","
    }
}

/// Days since 1970-01-01 for `YYYY-MM-DD` days (Howard Hinnant's civil calendar algorithms).
enum DayNumber {
    static func of(_ day: String) -> Int32? {
        let parts = day.split(separator: "-")
        guard parts.count == 3, parts[0].count == 4, let y = Int(parts[0]), let m = Int(parts[1]),
            let d = Int(parts[2]), (1...12).contains(m), (1...31).contains(d)
        else { return nil }
        return Int32(days(year: y, month: m, day: d))
    }

    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146097 + dayOfEra - 719468
    }

    /// The day back as `YYYY-MM-DD`.
    static func string(_ number: Int32) -> String {
        let z = Int(number) + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let dayOfEra = z - era * 146097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return String(format: "%04d-%02d-%02d", year, month, day)
    }
}

/// The public filters (``IncidentFilters`` without a box or paging) compiled against one
/// snapshot's tables: the same rule as ``IncidentFilters/apply(to:pinsOnly:boxByIndex:)``.
struct RecordFilter: Sendable {
    var fromDay: Int32?
    var toDay: Int32?
    var kinds: UInt16 = 0
    /// One bit per place-type code; 0 for any.
    var placeTypes: UInt32 = 0
    var perpetrator: UInt8?
    var prevented: Bool?
    var city: UInt16?
    /// A city the set has never seen: nothing matches.
    var matchesNothing = false

    init(_ filters: IncidentFilters, cities: CityTable) {
        if let from = filters.from {
            if let day = DayNumber.of(from) { fromDay = day } else { matchesNothing = true }
        }
        if let to = filters.to {
            if let day = DayNumber.of(to) { toDay = day } else { matchesNothing = true }
        }
        for kind in filters.kinds {
            if let index = HarassmentKind.allCases.firstIndex(of: kind) { kinds |= 1 << index }
        }
        for type in filters.placeTypes {
            placeTypes |= 1 << UInt32(PublishedAnswers.code(type.rawValue, question: PublishedAnswers.placeType))
        }
        perpetrator = filters.perpetrator.map {
            PublishedAnswers.code($0.rawValue, question: PublishedAnswers.perpetrator)
        }
        prevented = filters.prevented
        if let name = filters.city {
            if let code = cities.codes[name] { city = code } else { matchesNothing = true }
        }
    }

    @inline(__always)
    func matches(_ record: PublishedRecord) -> Bool {
        if let city, record.city != city { return false }
        if let prevented, record.prevented != prevented { return false }
        if let perpetrator, record.codes[PublishedAnswers.perpetrator] != perpetrator { return false }
        if placeTypes != 0, placeTypes & (1 << UInt32(min(record.codes[PublishedAnswers.placeType], 31))) == 0 {
            return false
        }
        if kinds != 0, record.kinds & kinds == 0 { return false }
        if let fromDay, record.day == PublishedRecord.noDay || record.day < fromDay { return false }
        if let toDay, record.day == PublishedRecord.noDay || record.day > toDay { return false }
        return !matchesNothing
    }
}

/// The distinct public points, each numbered once (published points lie on a grid, so there
/// are few): aggregates count per number instead of hashing coordinates.
struct PlaceTable: Sendable {
    struct Point: Hashable, Sendable {
        var latitude: Double
        var longitude: Double
    }
    private(set) var points: [Point] = []
    private var numbers: [Point: Int32] = [:]

    var count: Int { points.count }

    mutating func number(latitude: Double, longitude: Double) -> Int32 {
        let point = Point(latitude: latitude, longitude: longitude)
        if let number = numbers[point] { return number }
        let number = Int32(points.count)
        points.append(point)
        numbers[point] = number
        return number
    }
}

/// City slugs, each numbered once.
struct CityTable: Sendable {
    private(set) var names: [String] = []
    private(set) var codes: [String: UInt16] = [:]

    var count: Int { names.count }

    mutating func code(_ name: String) -> UInt16 {
        if let code = codes[name] { return code }
        let code = UInt16(names.count)
        names.append(name)
        codes[name] = code
        return code
    }
}
