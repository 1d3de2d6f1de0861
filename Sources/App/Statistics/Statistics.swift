import Fluent
import FluentSQL
import SQLKit
import Vapor

/// A count as anyone may see it. Counts of reports beyond their pins are made by
/// ``Disclosure`` (random rounding to 5, "fewer than 5" for 0 to 4, "fewer than 10" for a
/// whole answer below the threshold, hidden cells); counts of pins alone, which are public one
/// by one, are rounded to the nearest 5 by ``init(exact:)``.
struct PublicCount: Content, Equatable, Sendable {
    /// The rounded count; nil when it is not shown as a number.
    var count: Int?
    /// 0 to 4 (or 1 to 4 for pins).
    var fewerThanFive: Bool
    /// A whole answer that selects fewer than 10 reports: no number, no breakdown.
    var fewerThanTen = false
    /// Hidden so that a "fewer than 5" beside it cannot be worked out by subtraction.
    var suppressed = false

    static let fewerThanFiveReports = PublicCount(count: nil, fewerThanFive: true)
    static let fewerThanTenReports = PublicCount(count: nil, fewerThanFive: false, fewerThanTen: true)
    static let suppressedCell = PublicCount(count: nil, fewerThanFive: false, suppressed: true)

    init(count: Int?, fewerThanFive: Bool, fewerThanTen: Bool = false, suppressed: Bool = false) {
        self.count = count
        self.fewerThanFive = fewerThanFive
        self.fewerThanTen = fewerThanTen
        self.suppressed = suppressed
    }

    init(rounded: Int) { self.init(count: rounded, fewerThanFive: false) }

    /// A count of public pins: to the nearest 5, 1 to 4 as "fewer than 5", 0 as 0.
    init(exact: Int) {
        switch exact {
        case ...0: self.init(count: 0, fewerThanFive: false)
        case 1..<5: self.init(count: nil, fewerThanFive: true)
        default: self.init(rounded: Int((Double(exact) / 5).rounded()) * 5)
        }
    }

    /// Releases frozen before the hidden states existed decode with them off.
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        count = try container.decodeIfPresent(Int.self, forKey: .count)
        fewerThanFive = try container.decode(Bool.self, forKey: .fewerThanFive)
        fewerThanTen = try container.decodeIfPresent(Bool.self, forKey: .fewerThanTen) ?? false
        suppressed = try container.decodeIfPresent(Bool.self, forKey: .suppressed) ?? false
    }

    /// What charts and shares are computed from: anything not shown as a number weighs nothing.
    var weight: Int { count ?? 0 }

    /// Whether `exact` reports could have been shown this way (for tests and readers).
    func admits(_ exact: Int) -> Bool { Disclosure.bounds(self).contains(exact) }
}

/// The statistics of SPEC §3 for one set of filters, under ``Disclosure``'s rule. Every
/// published report counts, with or without a pin; nothing here comes from anything but
/// published reports.
struct Statistics: Content, Sendable {
    struct Row: Content, Equatable, Sendable {
        /// The value as the API spells it (`stranger`, `2025-03`, `mon`), or `unknown`.
        var key: String
        var count: PublicCount
    }

    /// A city's own count, as its own answer shows it: in whole groups of ten.
    struct CityRow: Content, Equatable, Sendable {
        var city: String
        var total: PublicCount
    }

    /// One list per question, in the order the questions are asked.
    struct Breakdowns: Content, Sendable {
        var role: [Row]
        var kinds: [Row]
        var placeType: [Row]
        var timeBand: [Row]
        var weekday: [Row]
        var month: [Row]
        var perpetrator: [Row]
        var perpetratorRelation: [Row]
        var prevented: [Row]
        var preventedBy: [Row]
        var recurrence: [Row]
        var toldWhom: [Row]
        var toldOutcome: [Row]
        /// Only for the whole country or a city with no other filter; nil otherwise.
        var ageBand: [Row]?

        /// Every row of every question.
        var allRows: [Row] {
            role + kinds + placeType + timeBand + weekday + month + perpetrator + perpetratorRelation + prevented
                + preventedBy + recurrence + toldWhom + toldOutcome + (ageBand ?? [])
        }
    }

    var total: PublicCount
    /// Nil when the filters select fewer than 10 reports: then nothing but that is shown.
    var breakdowns: Breakdowns?
    /// Cities with at least 10 matching reports, most reports first; the others are not named.
    var cities: [CityRow]
    /// How counts are made safe to publish, in one paragraph for API readers.
    var rounding = Statistics.method

    static let method =
        "An answer that selects fewer than 10 published reports shows only fewerThanTen. "
        + "Every other count is rounded to a multiple of 5, up or down at random (always the same way for the same "
        + "reports); 0 to 4 shows as fewerThanFive; a count is suppressed where it could otherwise be worked out "
        + "by subtraction. Age is shown only for the whole country or a city without other filters. Shares are of "
        + "reports, from the rounded counts, so parts may not add up to the total, and a report with several "
        + "answers counts under each."

    init(total: PublicCount, breakdowns: Breakdowns?, cities: [CityRow]) {
        self.total = total
        self.breakdowns = breakdowns
        self.cities = cities
    }

    /// Releases frozen before the rule existed decode too (their `rounding` line is older).
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        total = try container.decode(PublicCount.self, forKey: .total)
        breakdowns = try container.decodeIfPresent(Breakdowns.self, forKey: .breakdowns)
        cities = try container.decode([CityRow].self, forKey: .cities)
        rounding = try container.decodeIfPresent(String.self, forKey: .rounding) ?? Statistics.method
    }
}

/// The statistics' queries: one grouped count (and key sum, see ``Disclosure``) per question
/// over the filtered published reports.
enum StatisticsQueries {
    static let unknown = "unknown"
    /// The `reports` columns the statistics count, besides the city and the outcome.
    static let answerColumns = [
        "role", "kinds", "place_type", "time_band", "incident_date", "perpetrator", "perpetrator_relation",
        "prevented_by", "recurrence", "told_whom", "told_outcome", "age_band",
    ]
    static let weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

    /// The statistics as the public pages, the API and the bot show them: kept per filter set
    /// until the published set changes, so a busy page does not count the reports again.
    static func cached(
        _ filters: IncidentFilters, app: Application, on database: any Database
    ) async throws
        -> Statistics
    {
        try requireNoBox(filters)
        let (snapshot, tallies) = try await app.publishedSet.answerTallies(filters, on: database)
        return try await app.statisticsCache.value(for: filters.cacheKey, version: snapshot.version) {
            try await compute(filters, snapshot: snapshot, tallies: tallies)
        }
    }

    /// The statistics from the published set's kept tallies (``PublishedSet``): what every
    /// public page, the API and the bot show. The newest reports that wait for their group of
    /// ten are read from the snapshot's end, in publication order.
    static func compute(
        _ filters: IncidentFilters, snapshot: PublishedSet.Snapshot, tallies: AnswerTallies, now: Date = Date()
    ) async throws -> Statistics {
        try requireNoBox(filters)
        return try await assemble(
            filters, now: now, byCity: tallies.byCity(in: snapshot.cities), allTallies: { tallies.byValue($0) },
            waiting: { count in
                let filter = RecordFilter(filters, cities: snapshot.cities)
                return snapshot.records.newest(count, where: filter.matches).map { record in
                    var answers: [String: String?] = [:]
                    for (question, entry) in PublishedAnswers.single.enumerated() {
                        answers[entry.column] = PublishedAnswers.value(record.codes[question], question: question)
                    }
                    answers["kinds"] = PublishedAnswers.list(record.kinds, of: PublishedAnswers.kinds)
                    answers["told_whom"] = PublishedAnswers.list(record.toldWhom, of: PublishedAnswers.toldWhom)
                    answers["incident_date"] =
                        record.day == PublishedRecord.noDay ? nil : DayNumber.string(record.day)
                    return Disclosure.Waiting(
                        tally: Disclosure.Tally(reports: 1, keys: Int64(record.key)), prevented: record.prevented,
                        answers: answers)
                }
            })
    }

    /// The statistics as the API sends them, encoded once per filter set and version:
    /// encoding them for every request cost more than reading them from the cache.
    static func cachedJSON(
        _ filters: IncidentFilters, app: Application, on database: any Database
    ) async throws -> ByteBuffer {
        try requireNoBox(filters)
        return try await app.statisticsJSONCache.value(for: filters.cacheKey, on: database) {
            ByteBuffer(data: try JSONEncoder().encode(try await cached(filters, app: app, on: database)))
        }
    }

    /// Statistics take no box (SPEC §6): a box drawn around one public point would count the
    /// reports behind it, pinless ones of its city included. The map is for places.
    static func requireNoBox(_ filters: IncidentFilters) throws {
        if filters.bbox != nil { throw AppError.validation(["bbox": "error_stats_no_box"]) }
    }

    /// Whether age may be broken down: only for the whole country or a city with no other
    /// filter, where no narrower answer can be subtracted from it.
    static func showsAge(_ filters: IncidentFilters) -> Bool {
        filters.bbox == nil && filters.from == nil && filters.to == nil && filters.kinds.isEmpty
            && filters.placeTypes.isEmpty && filters.perpetrator == nil && filters.prevented == nil
            && filters.releaseMembers == nil
    }

    /// The statistics counted from the reports table: how a frozen release's statistics are
    /// made (and, in tests, what the published set's kept tallies are checked against).
    static func compute(
        _ filters: IncidentFilters, now: Date = Date(), on database: any Database
    ) async throws
        -> Statistics
    {
        try requireNoBox(filters)
        // Every query reads one snapshot: the reports that wait for their group of ten are
        // read after the counts, and a publication in between must not shift one against the other.
        if database.inTransaction {
            return try await compute(filters, now: now, inSnapshot: database)
        }
        return try await database.transaction { transaction in
            if let sql = transaction as? any SQLDatabase, sql.dialect.name == "postgresql" {
                try await sql.raw("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").run()
            }
            return try await compute(filters, now: now, inSnapshot: transaction)
        }
    }

    private static func compute(
        _ filters: IncidentFilters, now: Date, inSnapshot database: any Database
    ) async throws -> Statistics {
        let sql = try database.sql()
        /// Exact tallies per value of one column (nil for an empty column), of every report
        /// that matches the filters.
        @Sendable func allTallies(_ column: String) async throws -> [String?: Disclosure.Tally] {
            let column = SQLColumn(column)
            let rows = try await filters.apply(
                to: sql.select().column(column, as: "k").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
                    .column(Disclosure.keySum, as: "s")
                    .from(Report.schema).groupBy(column),
                pinsOnly: false
            ).all()
            var result: [String?: Disclosure.Tally] = [:]
            for row in rows {
                result[
                    try row.decodeNil(column: "k") ? nil : try row.decode(column: "k", as: String.self), default: .zero] +=
                    Disclosure.Tally(
                        reports: try row.decode(column: "n", as: Int.self),
                        keys: try row.decode(column: "s", as: Int64?.self) ?? 0)
            }
            return result
        }

        // Cities and the outcome in one pass: the totals come from it too.
        var byCity: [String: (prevented: Disclosure.Tally, notPrevented: Disclosure.Tally)] = [:]
        let rows = try await filters.apply(
            to: sql.select().column("city").column("prevented")
                .column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
                .column(Disclosure.keySum, as: "s")
                .from(Report.schema).groupBy("city").groupBy("prevented"),
            pinsOnly: false
        ).all()
        for row in rows {
            let tally = Disclosure.Tally(
                reports: try row.decode(column: "n", as: Int.self),
                keys: try row.decode(column: "s", as: Int64?.self) ?? 0)
            if try row.decode(column: "prevented", as: Bool.self) {
                byCity[try row.decode(column: "city", as: String.self), default: (.zero, .zero)].prevented += tally
            } else {
                byCity[try row.decode(column: "city", as: String.self), default: (.zero, .zero)].notPrevented +=
                    tally
            }
        }
        return try await assemble(
            filters, now: now, byCity: byCity, allTallies: allTallies,
            waiting: { try await Disclosure.waiting($0, of: filters, answers: answerColumns, on: database) })
    }

    /// The statistics from exact tallies, under ``Disclosure``'s rule: the one place the rule
    /// is applied, whether the tallies come from the database or the published set.
    /// - Parameters:
    ///   - byCity: every matching report per city, stopped and not.
    ///   - allTallies: per column, every matching report's tally per stored value.
    ///   - waiting: the given number of newest matching reports, which wait for their group.
    private static func assemble(
        _ filters: IncidentFilters, now: Date,
        byCity: [String: (prevented: Disclosure.Tally, notPrevented: Disclosure.Tally)],
        allTallies: (String) async throws -> [String?: Disclosure.Tally],
        waiting: (Int) async throws -> [Disclosure.Waiting]
    ) async throws -> Statistics {
        // Reports are counted in whole groups of ten, in the order they were published: the
        // newest that do not yet make a group of ten wait (``Disclosure/group``).
        var tail: [Disclosure.Waiting] = []
        /// Exact tallies per value of one column, of the reports counted.
        func tallies(_ column: String) async throws -> [String?: Disclosure.Tally] {
            var result = try await allTallies(column)
            for waiting in tail {
                let value = waiting.answers[column] ?? nil
                result[value, default: .zero] = result[value, default: .zero] - waiting.tally
            }
            return result
        }
        /// Exact tallies per value of a comma-framed list column: a report counts once per value.
        func listTallies(_ column: String) async throws -> [String?: Disclosure.Tally] {
            var result: [String?: Disclosure.Tally] = [:]
            for (list, tally) in try await tallies(column) {
                let values = (list ?? "").split(separator: ",").map(String.init)
                if values.isEmpty { result[nil, default: .zero] += tally }
                for value in values { result[value, default: .zero] += tally }
            }
            return result
        }

        let matching = byCity.values.reduce(0) { $0 + $1.prevented.reports + $1.notPrevented.reports }
        // Below the threshold the answer is that, and nothing else.
        guard matching >= Disclosure.minimumReports else {
            return Statistics(total: .fewerThanTenReports, breakdowns: nil, cities: [])
        }
        // A city is named with its own reports in whole groups of ten, as its own answer is.
        let cities = byCity.compactMap { city, tallies -> Statistics.CityRow? in
            let cityTotal = Disclosure.groupedTotal(tallies.prevented.reports + tallies.notPrevented.reports)
            return cityTotal.count == nil ? nil : Statistics.CityRow(city: city, total: cityTotal)
        }.sorted { ($0.total.weight, $1.city) > ($1.total.weight, $0.city) }

        tail = try await waiting(matching % Disclosure.group)
        var prevented = Disclosure.Tally.zero
        var notPrevented = Disclosure.Tally.zero
        for tallies in byCity.values {
            prevented += tallies.prevented
            notPrevented += tallies.notPrevented
        }
        for waiting in tail {
            if waiting.prevented {
                prevented = prevented - waiting.tally
            } else {
                notPrevented = notPrevented - waiting.tally
            }
        }
        // The counted reports are whole groups of ten, a number no rounding changes.
        let total = Disclosure.groupedTotal(matching)

        /// Rows for every value of an enumeration, then `unknown` for optional questions (always,
        /// so that its presence says nothing), with secondary suppression when the rows add up
        /// to `whole`.
        func rows<E: RawRepresentable & CaseIterable>(
            _ type: E.Type, _ exact: [String?: Disclosure.Tally], unknown: Bool = true, addingUpTo whole: PublicCount?,
            isAnswer: Bool = false
        )
            -> [Statistics.Row] where E.RawValue == String
        {
            var keys = E.allCases.map(\.rawValue)
            var counts = keys.map { Disclosure.round(exact[$0] ?? .zero) }
            if unknown {
                keys.append(Self.unknown)
                counts.append(Disclosure.round(exact[nil] ?? .zero))
            }
            if let whole { counts = Disclosure.protect(counts, addingUpTo: whole, isAnswer: isAnswer) }
            return zip(keys, counts).map { Statistics.Row(key: $0, count: $1) }
        }
        func count(_ rows: [Statistics.Row], _ key: String) -> PublicCount {
            rows.first { $0.key == key }?.count ?? .fewerThanFiveReports
        }

        // Weekdays and months from the days themselves, the same way on every database.
        var byWeekday: [String?: Disclosure.Tally] = [:]
        var byMonth: [String: Disclosure.Tally] = [:]
        for (day, tally) in try await tallies("incident_date") {
            guard let day, let weekday = Self.weekday(day) else { continue }
            byWeekday[weekdays[weekday], default: .zero] += tally
            byMonth[String(day.prefix(7)), default: .zero] += tally
        }
        // From the filter's first month (or the first month the counted reports hold) to its
        // last (or this month). The counted reports change only by whole groups of ten.
        let firstMonth =
            filters.from.map { String($0.prefix(7)) } ?? byMonth.filter { $0.value.reports > 0 }.keys.min()
        let lastMonth = String((filters.to ?? KazakhstanTime.today(now: now)).prefix(7))
        let monthKeys = firstMonth.map { Self.monthRange([$0, lastMonth]) } ?? []
        let months = Disclosure.protect(
            monthKeys.map { Disclosure.round(byMonth[$0] ?? .zero) }, addingUpTo: total, isAnswer: true)

        let perpetrator = rows(
            Perpetrator.self, try await tallies("perpetrator"), unknown: false, addingUpTo: total, isAnswer: true)
        let outcome = Disclosure.protect(
            [Disclosure.round(prevented), Disclosure.round(notPrevented)], addingUpTo: total, isAnswer: true)
        let breakdowns = Statistics.Breakdowns(
            role: rows(ReporterRole.self, try await tallies("role"), unknown: false, addingUpTo: total, isAnswer: true),
            kinds: rows(HarassmentKind.self, try await listTallies("kinds"), unknown: false, addingUpTo: nil),
            placeType: rows(
                PlaceType.self, try await tallies("place_type"), unknown: false, addingUpTo: total, isAnswer: true),
            timeBand: rows(TimeBand.self, try await tallies("time_band"), addingUpTo: total, isAnswer: true),
            weekday: zip(
                weekdays,
                Disclosure.protect(
                    weekdays.map { Disclosure.round(byWeekday[$0] ?? .zero) }, addingUpTo: total, isAnswer: true)
            ).map { Statistics.Row(key: $0, count: $1) },
            month: zip(monthKeys, months).map { Statistics.Row(key: $0, count: $1) },
            perpetrator: perpetrator,
            perpetratorRelation: rows(
                PerpetratorRelation.self, try await tallies("perpetrator_relation").filter { $0.key != nil },
                unknown: false, addingUpTo: count(perpetrator, Perpetrator.known.rawValue)),
            prevented: [
                Statistics.Row(key: "yes", count: outcome[0]), Statistics.Row(key: "no", count: outcome[1]),
            ],
            preventedBy: rows(
                PreventedBy.self, try await tallies("prevented_by").filter { $0.key != nil }, unknown: false,
                addingUpTo: outcome[0]),
            recurrence: rows(Recurrence.self, try await tallies("recurrence"), addingUpTo: total, isAnswer: true),
            toldWhom: rows(ToldWhom.self, try await listTallies("told_whom"), addingUpTo: nil),
            toldOutcome: rows(
                ToldOutcome.self, try await tallies("told_outcome").filter { $0.key != nil }, unknown: false,
                addingUpTo: nil),
            ageBand: showsAge(filters)
                ? rows(AgeBand.self, try await tallies("age_band"), addingUpTo: total, isAnswer: true) : nil)
        return Statistics(total: total, breakdowns: breakdowns, cities: cities)
    }

    /// The day of the week of a `YYYY-MM-DD` day, 0 for Monday (Sakamoto's method).
    static func weekday(_ day: String) -> Int? {
        let parts = day.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, (1...12).contains(parts[1]) else { return nil }
        let offsets = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4]
        let year = parts[1] < 3 ? parts[0] - 1 : parts[0]
        let sundayFirst = (year + year / 4 - year / 100 + year / 400 + offsets[parts[1] - 1] + parts[2]) % 7
        return (sundayFirst + 6) % 7
    }

    /// Every month from the first to the last with reports, so a trend line has no gaps.
    static func monthRange(_ months: [String]) -> [String] {
        guard let first = months.min(), let last = months.max(),
            let firstYear = Int(first.prefix(4)), let firstMonth = Int(first.suffix(2)),
            let lastYear = Int(last.prefix(4)), let lastMonth = Int(last.suffix(2))
        else { return [] }
        var result: [String] = []
        var (year, month) = (firstYear, firstMonth)
        while (year, month) <= (lastYear, lastMonth) && result.count < 1200 {
            result.append(String(format: "%04d-%02d", year, month))
            (year, month) = month == 12 ? (year + 1, 1) : (year, month + 1)
        }
        return result
    }
}

extension Application {
    private struct StatisticsCacheKey: StorageKey { typealias Value = PublicViewCache<Statistics> }

    /// Set once in `configure`.
    var statisticsCache: PublicViewCache<Statistics> {
        get { storage[StatisticsCacheKey.self] ?? PublicViewCache() }
        set { storage[StatisticsCacheKey.self] = newValue }
    }

    private struct StatisticsJSONCacheKey: StorageKey { typealias Value = PublicViewCache<ByteBuffer> }

    /// Set once in `configure`.
    var statisticsJSONCache: PublicViewCache<ByteBuffer> {
        get { storage[StatisticsJSONCacheKey.self] ?? PublicViewCache() }
        set { storage[StatisticsJSONCacheKey.self] = newValue }
    }
}
