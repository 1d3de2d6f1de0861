import Fluent
import FluentSQL
import SQLKit
import Vapor

/// A count as anyone may see it (SPEC §6): rounded to the nearest 5, and shown as "fewer
/// than 5" from 1 to 4.
///
/// Every public count is rounded, national totals included, so that no small group shows and
/// subtracting one answer from another never uncovers one: each number carries ±2 of doubt,
/// and a difference of two carries up to ±4. Shares are computed from the rounded counts only.
struct PublicCount: Content, Equatable, Sendable {
    /// The rounded count; nil when there were fewer than 5 (but some).
    var count: Int?
    var fewerThanFive: Bool

    init(exact: Int) {
        switch exact {
        case ...0:
            count = 0
            fewerThanFive = false
        case 1..<5:
            count = nil
            fewerThanFive = true
        default:
            count = Int((Double(exact) / 5).rounded()) * 5
            fewerThanFive = false
        }
    }

    /// What shares are computed from: "fewer than 5" weighs nothing.
    var weight: Int { count ?? 0 }
}

/// The statistics of SPEC §3 for one set of filters. Every published report counts, with or
/// without a pin; nothing here comes from anything but published reports.
struct Statistics: Content, Sendable {
    struct Row: Content, Equatable, Sendable {
        /// The value as the API spells it (`stranger`, `2025-03`, `mon`), or `unknown`.
        var key: String
        var count: PublicCount
    }

    struct CityRow: Content, Equatable, Sendable {
        var city: String
        var total: PublicCount
        var prevented: PublicCount
        var notPrevented: PublicCount
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
        var ageBand: [Row]
    }

    var total: PublicCount
    var breakdowns: Breakdowns
    /// Cities with reports, most reports first.
    var cities: [CityRow]
    /// How counts are made safe to publish, in one line for API readers.
    var rounding = "Counts are rounded to the nearest 5; 1 to 4 shows as fewerThanFive."
}

/// The statistics' queries: one grouped count per question over the filtered published reports.
enum StatisticsQueries {
    static let unknown = "unknown"
    static let weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

    /// The statistics as the public pages, the API and the bot show them: kept per filter set
    /// until the published set changes, so a busy page does not count the reports again.
    static func cached(
        _ filters: IncidentFilters, app: Application, on database: any Database
    ) async throws
        -> Statistics
    {
        try await app.statisticsCache.value(for: cacheKey(filters), on: database) {
            try await compute(filters, on: database)
        }
    }

    /// The statistics as the API sends them, encoded once per filter set and version:
    /// encoding them for every request cost more than reading them from the cache.
    static func cachedJSON(
        _ filters: IncidentFilters, app: Application, on database: any Database
    ) async throws -> ByteBuffer {
        try await app.statisticsJSONCache.value(for: cacheKey(filters), on: database) {
            ByteBuffer(data: try JSONEncoder().encode(try await cached(filters, app: app, on: database)))
        }
    }

    private static func cacheKey(_ filters: IncidentFilters) -> String {
        var key = filters.cacheKey
        if let box = filters.bbox { key += "|\(box.minLon),\(box.minLat),\(box.maxLon),\(box.maxLat)" }
        return key
    }

    /// - Parameter keptCounts: whether the whole country or a city may be read from
    ///   ``StatisticsCounts`` (tests compare both ways).
    static func compute(
        _ filters: IncidentFilters, keptCounts: Bool = true, on database: any Database
    ) async throws
        -> Statistics
    {
        let sql = try database.sql()
        // The whole country or one city: from the counts the database keeps; anything narrower
        // counts the reports.
        let kept =
            keptCounts && StatisticsCounts.canAnswer(filters)
            ? try await StatisticsCounts.read(city: filters.city, on: database) : nil

        /// Exact counts per value of one column (nil for an empty column).
        func counts(_ column: String) async throws -> [String?: Int] {
            if let kept { return kept[column] ?? [:] }
            let column = SQLColumn(column)
            let rows = try await filters.apply(
                to: sql.select().column(column, as: "k").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
                    .from(Report.schema).groupBy(column),
                pinsOnly: false
            ).all()
            var result: [String?: Int] = [:]
            for row in rows {
                result[
                    try row.decodeNil(column: "k") ? nil : try row.decode(column: "k", as: String.self), default: 0] +=
                    try row.decode(column: "n", as: Int.self)
            }
            return result
        }
        /// Exact counts per value of a comma-framed list column: a report counts once per value.
        func listCounts(_ column: String) async throws -> [String?: Int] {
            var result: [String?: Int] = [:]
            for (list, count) in try await counts(column) {
                let values = (list ?? "").split(separator: ",").map(String.init)
                if values.isEmpty { result[nil, default: 0] += count }
                for value in values { result[value, default: 0] += count }
            }
            return result
        }
        /// Rows for every value of an enumeration, then `unknown` when some did not say.
        func rows<E: RawRepresentable & CaseIterable>(
            _ type: E.Type, _ exact: [String?: Int], unknown: Bool = true
        )
            -> [Statistics.Row] where E.RawValue == String
        {
            var rows = E.allCases.map {
                Statistics.Row(key: $0.rawValue, count: PublicCount(exact: exact[$0.rawValue] ?? 0))
            }
            if unknown, let missing = exact[nil], missing > 0 {
                rows.append(Statistics.Row(key: Self.unknown, count: PublicCount(exact: missing)))
            }
            return rows
        }

        // Cities and the outcome in one pass: the totals come from it too.
        var cityCounts: [String: (prevented: Int, notPrevented: Int)] = [:]
        func count(city: String, prevented: Bool, _ n: Int) {
            if prevented {
                cityCounts[city, default: (0, 0)].prevented += n
            } else {
                cityCounts[city, default: (0, 0)].notPrevented += n
            }
        }
        if let kept {
            for (key, n) in kept[StatisticsCounts.prevented] ?? [:] {
                guard let parts = key?.split(separator: "|"), parts.count == 2 else { continue }
                count(city: String(parts[0]), prevented: parts[1] == "yes", n)
            }
        } else {
            let byCity = try await filters.apply(
                to: sql.select().column("city").column("prevented")
                    .column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
                    .from(Report.schema).groupBy("city").groupBy("prevented"),
                pinsOnly: false
            ).all()
            for row in byCity {
                count(
                    city: try row.decode(column: "city", as: String.self),
                    prevented: try row.decode(column: "prevented", as: Bool.self),
                    try row.decode(column: "n", as: Int.self))
            }
        }
        let prevented = cityCounts.values.reduce(0) { $0 + $1.prevented }
        let notPrevented = cityCounts.values.reduce(0) { $0 + $1.notPrevented }
        let cities = cityCounts.map { city, counts in
            Statistics.CityRow(
                city: city, total: PublicCount(exact: counts.prevented + counts.notPrevented),
                prevented: PublicCount(exact: counts.prevented), notPrevented: PublicCount(exact: counts.notPrevented))
        }.sorted { ($0.total.weight, $1.city) > ($1.total.weight, $0.city) }

        // Weekdays and months from the days themselves, the same way on every database.
        var byWeekday: [String?: Int] = [:]
        var byMonth: [String: Int] = [:]
        for (day, count) in try await counts("incident_date") {
            guard let day, let weekday = Self.weekday(day) else { continue }
            byWeekday[weekdays[weekday], default: 0] += count
            byMonth[String(day.prefix(7)), default: 0] += count
        }
        let months = Self.monthRange(Array(byMonth.keys)).map {
            Statistics.Row(key: $0, count: PublicCount(exact: byMonth[$0] ?? 0))
        }

        let breakdowns = Statistics.Breakdowns(
            role: rows(ReporterRole.self, try await counts("role"), unknown: false),
            kinds: rows(HarassmentKind.self, try await listCounts("kinds"), unknown: false),
            placeType: rows(PlaceType.self, try await counts("place_type"), unknown: false),
            timeBand: rows(TimeBand.self, try await counts("time_band")),
            weekday: weekdays.map { Statistics.Row(key: $0, count: PublicCount(exact: byWeekday[$0] ?? 0)) },
            month: months,
            perpetrator: rows(Perpetrator.self, try await counts("perpetrator"), unknown: false),
            perpetratorRelation: rows(
                PerpetratorRelation.self, try await counts("perpetrator_relation").filter { $0.key != nil },
                unknown: false),
            prevented: [
                Statistics.Row(key: "yes", count: PublicCount(exact: prevented)),
                Statistics.Row(key: "no", count: PublicCount(exact: notPrevented)),
            ],
            preventedBy: rows(
                PreventedBy.self, try await counts("prevented_by").filter { $0.key != nil }, unknown: false),
            recurrence: rows(Recurrence.self, try await counts("recurrence")),
            toldWhom: rows(ToldWhom.self, try await listCounts("told_whom")),
            toldOutcome: rows(
                ToldOutcome.self, try await counts("told_outcome").filter { $0.key != nil }, unknown: false),
            ageBand: rows(AgeBand.self, try await counts("age_band")))
        return Statistics(
            total: PublicCount(exact: prevented + notPrevented), breakdowns: breakdowns, cities: cities)
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
