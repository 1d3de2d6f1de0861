import Fluent
import Vapor

/// `/stats` and `GET /api/v1/stats`: the statistics for the map's filters, as a page (tables,
/// charts drawn from them, and the headline in words) and as JSON.
struct StatisticsController {
    @Sendable func api(req: Request) async throws -> Response {
        let filters = try IncidentFilters.parse(
            try req.filterQuery(), knownCities: Set(try await cityIndex(req.db).keys))
        let body = try await StatisticsQueries.cachedJSON(filters, app: req.application, on: req.db)
        return Response(
            status: .ok, headers: ["Content-Type": "application/json; charset=utf-8"], body: .init(buffer: body))
    }

    /// A row of a table: the answer in words, the count as it may be shown, and its share.
    struct RowView: Encodable {
        var label: String
        var count: String
        /// The rounded count for the chart; 0 for "fewer than 5".
        var weight: Int
        var share: String
    }

    /// One question: its table, and the kind of chart drawn from it.
    struct SectionView: Encodable {
        var id: String
        var title: String
        var chart: String
        var rows: [RowView]
    }

    struct CityView: Encodable {
        var name: String
        var total: String
    }

    /// The tables (and charts) of every question and the city ranking: what the
    /// `partials/stats-sections` template draws, on the statistics page and a release's page.
    struct Tables: Encodable {
        /// Interface strings; the partial sees only this value.
        var t: [String: String]
        var sections: [SectionView]
        var cities: [CityView]
        var hasCities: Bool

        init(_ req: Request, sections: [SectionView], cities: [CityView]) {
            t = req.application.translations.table(req.language)
            self.sections = sections
            self.cities = cities
            hasCities = !cities.isEmpty
        }
    }

    struct PageContent: Encodable {
        var filters: FilterPanel
        var filterErrors: MessageList
        var scope: String
        var total: String
        var tooFew: Bool
        var headline: [String]
        var tables: Tables
        /// What a reader must know to read the numbers right (rounding, hidden cells, age).
        var notes: [String]
    }

    /// The page as every visitor in a language with the same filters sees it, kept like the
    /// home page (issue #22): nothing on it is per visitor — no form token, session or message,
    /// only the language, the filters, this month and the published set's version.
    @Sendable func page(req: Request) async throws -> Response {
        let form = FilterForm(normalizing: req.query)
        let cities = try await allCities(on: req.db)
        return try await req.application.statisticsPageCache.page(
            PublicPageKey.filtered(req, path: "/stats", form: form, cities: cities, perPage: false), on: req.db
        ) { try await render(req, form: form, cities: cities) }
    }

    private func render(_ req: Request, form: FilterForm, cities: [City]) async throws -> View {
        req.application.pageRenders.note(.statistics)
        let names = Dictionary(uniqueKeysWithValues: cities.map { ($0.id ?? "", $0.name(req.language)) })
        var query = form.apiQuery
        query["perPage"] = nil
        var errors: [String] = []
        var statistics: Statistics?
        do {
            statistics = try await StatisticsQueries.cached(
                try IncidentFilters.parse(query, knownCities: Set(names.keys)), app: req.application, on: req.db)
        } catch let error as AppError {
            let messages = error.fieldMessages { req.text($0) }
            errors = messages.keys.sorted().map { req.text("filter_" + $0) + ": " + (messages[$0] ?? "") }
        }
        let words = statistics.map { StatisticsWords(statistics: $0, cityNames: names, text: req.text) }
        let content = PageContent(
            filters: FilterPanel(req, form: form, cities: cities, action: "/stats"),
            filterErrors: MessageList(errors),
            scope: form.city.flatMap { names[$0] } ?? req.text("stats_scope_all"),
            total: words.map { $0.display($0.statistics.total) } ?? "—",
            tooFew: statistics.map { $0.breakdowns == nil } ?? true,
            headline: words?.headline() ?? [],
            tables: Tables(req, sections: words?.sections() ?? [], cities: words?.cities() ?? []),
            notes: words?.notes() ?? [])
        return try await req.view.render(
            "stats",
            PageContext(
                req, title: req.text("stats_title"), nav: "stats", scripts: ["stats"], usesCharts: true,
                content: content))
    }
}

extension Application {
    private struct StatisticsPageCacheKey: StorageKey { typealias Value = PublicViewCache<ByteBuffer> }

    /// Set once in `configure`: the statistics page's bytes per language and filters.
    var statisticsPageCache: PublicViewCache<ByteBuffer> {
        get { storage[StatisticsPageCacheKey.self] ?? PublicViewCache() }
        set { storage[StatisticsPageCacheKey.self] = newValue }
    }
}

/// The statistics in words, in one language: the tables' rows, the cities and the headline.
/// Shares are computed from the rounded counts, as everything public is.
struct StatisticsWords {
    let statistics: Statistics
    let cityNames: [String: String]
    let text: (String) -> String

    func display(_ count: PublicCount) -> String {
        if count.fewerThanTen { return text("stats_fewer_than_10") }
        if count.suppressed { return text("stats_suppressed") }
        return count.fewerThanFive ? text("stats_fewer_than_5") : String(count.count ?? 0)
    }

    func percent(_ part: Int, of whole: Int) -> String {
        whole == 0 ? "—" : String(Int((Double(part) * 100 / Double(whole)).rounded())) + "%"
    }

    /// The label of one answer to one question.
    func label(_ section: String, _ key: String) -> String {
        if key == StatisticsQueries.unknown { return text("stats_unknown") }
        switch section {
        case "role": return text("role_" + key)
        case "kinds": return text("kind_" + key)
        case "placeType": return text("place_" + key)
        case "timeBand": return text("band_" + key)
        case "weekday": return text("weekday_" + key)
        case "month": return String(key.suffix(2)) + "." + String(key.prefix(4))
        case "perpetrator": return text("perpetrator_" + key)
        case "perpetratorRelation": return text("relation_" + key)
        case "prevented": return text(key == "yes" ? "legend_prevented" : "legend_not_prevented")
        case "preventedBy": return text("prevented_by_" + key)
        case "recurrence": return text("recurrence_" + key)
        case "toldWhom": return text("told_" + key)
        case "toldOutcome": return text("told_outcome_" + key)
        case "ageBand": return text("age_" + key)
        default: return key
        }
    }

    func sections() -> [StatisticsController.SectionView] {
        guard let b = statistics.breakdowns else { return [] }
        func weight(_ rows: [Statistics.Row], _ key: String) -> Int { rows.first { $0.key == key }?.count.weight ?? 0 }
        let total = statistics.total.weight
        // Shares are of reports (SPEC §6): of all of them, or of the group a question is asked
        // of; a report with several kinds counts under each, so those shares may pass 100%.
        var all: [(String, [Statistics.Row], String, Int)] = [
            ("perpetrator", b.perpetrator, "doughnut", total),
            ("perpetratorRelation", b.perpetratorRelation, "bar", weight(b.perpetrator, "known")),
            ("prevented", b.prevented, "doughnut", total),
            ("preventedBy", b.preventedBy, "bar", weight(b.prevented, "yes")),
            ("kinds", b.kinds, "bar", total), ("placeType", b.placeType, "bar", total),
            ("role", b.role, "doughnut", total), ("timeBand", b.timeBand, "bar", total),
            ("weekday", b.weekday, "bar", total), ("month", b.month, "line", total),
        ]
        if let ageBand = b.ageBand { all.append(("ageBand", ageBand, "bar", total)) }
        all += [
            ("recurrence", b.recurrence, "doughnut", total), ("toldWhom", b.toldWhom, "bar", total),
            ("toldOutcome", b.toldOutcome, "bar", b.toldOutcome.reduce(0) { $0 + $1.count.weight }),
        ]
        return all.map { id, rows, chart, whole in
            StatisticsController.SectionView(
                id: id, title: text("stats_section_" + id), chart: chart,
                rows: rows.map {
                    StatisticsController.RowView(
                        label: label(id, $0.key), count: display($0.count), weight: $0.count.weight,
                        share: $0.count.count == nil ? "—" : percent($0.count.weight, of: whole))
                })
        }
    }

    func cities() -> [StatisticsController.CityView] {
        statistics.cities.map {
            StatisticsController.CityView(name: cityNames[$0.city] ?? $0.city, total: display($0.total))
        }
    }

    /// How to read the numbers, as plain sentences under the tables.
    func notes() -> [String] {
        guard let b = statistics.breakdowns else { return [] }
        var notes = [text("stats_parts_note")]
        if b.allRows.contains(where: \.count.suppressed) { notes.append(text("stats_suppressed_note")) }
        if b.ageBand == nil { notes.append(text("stats_age_note")) }
        notes.append(text("stats_other_cities_note"))
        return notes
    }

    /// The headline in words: who the harassers were, how often it was stopped and by whom,
    /// and the kind reported most — or why there are no numbers.
    func headline() -> [String] {
        guard let b = statistics.breakdowns else { return [text("stats_too_few")] }
        func weight(_ rows: [Statistics.Row], _ key: String) -> Int { rows.first { $0.key == key }?.count.weight ?? 0 }
        func fill(_ key: String, _ values: [String: String]) -> String {
            values.reduce(text(key)) { $0.replacingOccurrences(of: "{" + $1.key + "}", with: $1.value) }
        }
        var sentences: [String] = []
        // Shares of reports, from rounded counts that are shown as numbers.
        let total = statistics.total.weight
        func shown(_ rows: [Statistics.Row], _ key: String) -> Bool { rows.first { $0.key == key }?.count.count != nil }
        let strangers = weight(b.perpetrator, "stranger")
        if shown(b.perpetrator, "stranger") && total > 0 {
            sentences.append(fill("stats_headline_strangers", ["percent": percent(strangers, of: total)]))
        }
        let stopped = weight(b.prevented, "yes")
        if shown(b.prevented, "yes") && total > 0 {
            sentences.append(fill("stats_headline_stopped", ["percent": percent(stopped, of: total)]))
        }
        if let who = b.preventedBy.filter({ $0.count.weight > 0 }).max(by: { $0.count.weight < $1.count.weight }) {
            sentences.append(fill("stats_headline_stopped_by", ["who": label("preventedBy", who.key)]))
        }
        if let kind = b.kinds.filter({ $0.count.weight > 0 }).max(by: { $0.count.weight < $1.count.weight }) {
            sentences.append(fill("stats_headline_kind", ["kind": label("kinds", kind.key)]))
        }
        return sentences
    }
}
