import Fluent
import Foundation
import SQLKit
import Testing
import Vapor

@testable import App

/// Issue #21: the differencing game. An attacker who knows the disclosure rules asks for the
/// statistics of many filter sets (city or country; no dates, one month, two months, open
/// ranges; filters on and off, pinned places and pinless ones) and before and after a report is
/// published, then subtracts every pair of answers whose reports differ by one to three. For
/// no report and no answer it gave may such a pair show for sure what that report said.
///
/// The same game, played against weaker rules (exact counts; rounding to the nearest 5 with 0
/// shown as 0), must find what they give away: that keeps the attacker honest.
@Suite struct DisclosureAttackTests {
    /// A published report's answers, as the test made them.
    struct Made {
        var id: UUID
        var city: String
        var month: String
        var perpetrator: String
        var prevented: Bool
        var placeType: String
        var kinds: [String]
        /// Where it stands in the order of publication: the hour, then its key.
        var order: (Date, Int)
        /// Each question's answer(s) as the statistics name them.
        var answers: [String: [String]]
    }

    /// The questions whose answers may be secret, as the statistics name them.
    static let singleAnswer = [
        "role", "placeType", "timeBand", "weekday", "month", "perpetrator", "prevented", "recurrence", "ageBand",
    ]

    /// Three cities over seven months; one pinless home case (a partner, a girl under 16) alone
    /// in Taraz in its month, made last.
    func makeReports(_ app: Application) async throws -> [Made] {
        let cities = try await allCities(on: app.db)
        func city(_ slug: String) throws -> City { try #require(cities.first { $0.id == slug }) }
        var random = SplitMix(seed: 2121)
        let days = (1...6).flatMap { month in (1...28).map { String(format: "2025-%02d-%02d", month, $0) } }
        var reports: [Report] = []
        for (slug, count) in [("almaty", 120), ("astana", 90), ("taraz", 45)] {
            let place = try city(slug)
            for _ in 0..<count {
                let (report, retold) = DemoData.makeReport(city: place, days: days, random: &random, hash: "x")
                report.id = UUID()
                // Keys from the seed, so the game is the same on every run.
                report.disclosureKey = 1 + Int(random.unit() * 2_147_483_646)
                ModerationService.applyPublicVersion(
                    to: report, text: retold, precision: .grid250,
                    cityCentre: .init(latitude: place.latitude, longitude: place.longitude),
                    key: app.secrets.locationKey, now: Date())
                reports.append(report)
            }
        }
        let batch = reports
        try await app.db.transaction { transaction in
            try await ReportRows.insert(batch, randomRowIDs: false, on: transaction)
            try await PublicChanges.bump(nil, on: transaction)
        }
        return reports.map(Self.made)
    }

    static func made(_ report: Report) -> Made {
        var answers: [String: [String]] = [
            "role": [report.role], "placeType": [report.placeType],
            "timeBand": [report.timeBand ?? StatisticsQueries.unknown],
            "weekday": [StatisticsQueries.weekdays[StatisticsQueries.weekday(report.incidentDate) ?? 0]],
            "month": [String(report.incidentDate.prefix(7))], "perpetrator": [report.perpetrator],
            "prevented": [report.prevented ? "yes" : "no"],
            "recurrence": [report.recurrence ?? StatisticsQueries.unknown],
            "ageBand": [report.ageBand ?? StatisticsQueries.unknown], "kinds": report.kinds.map(\.rawValue),
            "toldWhom": report.toldWhom.isEmpty ? [StatisticsQueries.unknown] : report.toldWhom.map(\.rawValue),
        ]
        if let relation = report.perpetratorRelation { answers["perpetratorRelation"] = [relation] }
        if let by = report.preventedBy { answers["preventedBy"] = [by] }
        if let outcome = report.toldOutcome { answers["toldOutcome"] = [outcome] }
        return Made(
            id: report.id!, city: report.city, month: String(report.incidentDate.prefix(7)),
            perpetrator: report.perpetrator, prevented: report.prevented, placeType: report.placeType,
            kinds: report.kinds.map(\.rawValue), order: (report.publishedAt ?? .distantPast, report.disclosureKey),
            answers: answers)
    }

    /// The filter sets the attacker asks for, as query parameters.
    static var queries: [[String: String]] {
        let months = (1...7).map { String(format: "2025-%02d", $0) }
        var dates: [[String: String]] = [[:], ["from": "2025-04"], ["to": "2025-03"]]
        dates += months.map { ["from": $0, "to": $0] }
        dates += zip(months, months.dropFirst()).map { ["from": $0, "to": $1] }
        let filters: [[String: String]] = [
            [:], ["perpetrator": "known"], ["perpetrator": "stranger"], ["prevented": "yes"], ["prevented": "no"],
            ["placeTypes": "residential"], ["placeTypes": "street"], ["kinds": "physical"], ["kinds": "verbal"],
            ["perpetrator": "known", "placeTypes": "residential"], ["perpetrator": "known", "prevented": "no"],
        ]
        var result: [[String: String]] = []
        for city in [nil, "almaty", "astana", "taraz"] {
            for date in dates {
                for filter in filters {
                    var query = date.merging(filter) { a, _ in a }
                    if let city { query["city"] = city }
                    result.append(query)
                }
            }
        }
        return result
    }

    /// The answers a query's filters fix for every report it selects.
    static func chosen(_ query: [String: String]) -> Set<String> {
        var chosen: Set<String> = []
        if let place = query["placeTypes"] { chosen.insert("placeType=" + place) }
        if let perpetrator = query["perpetrator"] { chosen.insert("perpetrator=" + perpetrator) }
        if let prevented = query["prevented"] { chosen.insert("prevented=" + prevented) }
        if let kind = query["kinds"] { chosen.insert("kinds=" + kind) }
        return chosen
    }

    /// The reports an answer counts, as an attacker who knew every report's secret key would
    /// work them out: of those that match, the first in whole groups of ten by publication.
    static func counted(_ query: [String: String], among reports: [Made]) -> Set<UUID> {
        let matching = reports.filter { selects(query, $0) }.sorted { $0.order < $1.order }
        return Set(matching.prefix(matching.count / Disclosure.group * Disclosure.group).map(\.id))
    }

    /// Whether a report passes the filters, as the statistics' SQL decides it.
    static func selects(_ query: [String: String], _ report: Made) -> Bool {
        if let city = query["city"], report.city != city { return false }
        if let from = query["from"], report.month < from { return false }
        if let to = query["to"], report.month > to { return false }
        if let perpetrator = query["perpetrator"], report.perpetrator != perpetrator { return false }
        if let prevented = query["prevented"], report.prevented != (prevented == "yes") { return false }
        if let place = query["placeTypes"], report.placeType != place { return false }
        if let kind = query["kinds"], !report.kinds.contains(kind) { return false }
        return true
    }

    /// What one answer lets the attacker believe: which reports it holds, and for each question
    /// and answer the exact counts it admits.
    struct Belief {
        var members: Set<UUID>
        /// The answers every member gave because the filters asked for them (`placeType=street`):
        /// the attacker chose those, so learning them is no disclosure.
        var chosen: Set<String> = []
        var total: ClosedRange<Int>
        /// Nil when the answer shows no breakdown.
        var cells: [String: [String: ClosedRange<Int>]]?
    }

    /// The module's answer as a reader who knows the rules reads it: each count's range, then
    /// narrowed by what the other answers of a single-answer question leave over.
    static func belief(_ statistics: Statistics, members: Set<UUID>) -> Belief {
        var total = Disclosure.bounds(statistics.total)
        if statistics.total.count != nil { total = max(total.lowerBound, Disclosure.minimumReports)...total.upperBound }
        guard let b = statistics.breakdowns else { return Belief(members: members, total: total, cells: nil) }
        var sections: [String: [Statistics.Row]] = [
            "role": b.role, "kinds": b.kinds, "placeType": b.placeType, "timeBand": b.timeBand, "weekday": b.weekday,
            "month": b.month, "perpetrator": b.perpetrator, "perpetratorRelation": b.perpetratorRelation,
            "prevented": b.prevented, "preventedBy": b.preventedBy, "recurrence": b.recurrence,
            "toldWhom": b.toldWhom, "toldOutcome": b.toldOutcome,
        ]
        if let age = b.ageBand { sections["ageBand"] = age }
        var cells = sections.mapValues { rows in
            Dictionary(uniqueKeysWithValues: rows.map { ($0.key, Disclosure.bounds($0.count)) })
        }
        narrow(&cells, total: total)
        return Belief(members: members, total: total, cells: cells)
    }

    /// Subtraction inside one answer: a single-answer question's counts add up to the total
    /// (the relation to "known", who stopped it to "yes").
    static func narrow(_ cells: inout [String: [String: ClosedRange<Int>]], total: ClosedRange<Int>) {
        func narrow(_ section: String, whole: ClosedRange<Int>) {
            guard var rows = cells[section] else { return }
            for key in rows.keys {
                let others = rows.filter { $0.key != key }.values
                let low = max(rows[key]!.lowerBound, whole.lowerBound - others.reduce(0) { $0 + $1.upperBound })
                let high = min(rows[key]!.upperBound, whole.upperBound - others.reduce(0) { $0 + $1.lowerBound })
                if low <= high { rows[key] = low...high }
            }
            cells[section] = rows
        }
        for _ in 0..<2 {
            for section in singleAnswer { narrow(section, whole: total) }
            if let known = cells["perpetrator"]?["known"] { narrow("perpetratorRelation", whole: known) }
            if let stopped = cells["prevented"]?["yes"] { narrow("preventedBy", whole: stopped) }
        }
    }

    /// A weaker publisher's answer: every count through `show`, which returns the range a
    /// reader would believe; breakdowns from `threshold` reports on.
    static func weakBelief(
        members: [Made], threshold: Int, show: (Int) -> ClosedRange<Int>
    ) -> Belief {
        let ids = Set(members.map(\.id))
        guard members.count >= threshold else { return Belief(members: ids, total: 0...(threshold - 1), cells: nil) }
        var counts: [String: [String: Int]] = [:]
        for report in members {
            for (section, values) in report.answers {
                for value in values { counts[section, default: [:]][value, default: 0] += 1 }
            }
        }
        var cells = counts.mapValues { $0.mapValues(show) }
        let total = show(members.count)
        narrow(&cells, total: total)
        return Belief(members: ids, total: total, cells: cells)
    }

    /// What the attacker learns for sure: for each pair of answers where one holds the other's
    /// reports and one to three more, an answer every one of those extra reports must have given.
    static func disclosures(_ beliefs: [Belief], reports: [UUID: Made]) -> [String] {
        var found: [String] = []
        let bySize = beliefs.sorted { $0.members.count < $1.members.count }
        for (index, larger) in bySize.enumerated() {
            guard let largerCells = larger.cells else { continue }
            for smaller in bySize[..<index] {
                let extra = larger.members.count - smaller.members.count
                guard (1...3).contains(extra), smaller.members.isSubset(of: larger.members) else { continue }
                let added = larger.members.subtracting(smaller.members)
                // The month is what the attacker chose by asking; the other answers are the secrets.
                for (section, rows) in largerCells where section != "month" {
                    for (key, inLarger) in rows where !larger.chosen.contains(section + "=" + key) {
                        // A question the smaller answer breaks down: an answer missing from it
                        // is none; without a breakdown it still says how many it holds at most.
                        let inSmaller =
                            smaller.cells?[section].map { $0[key] ?? 0...0 } ?? 0...smaller.total.upperBound
                        if inLarger.lowerBound - inSmaller.upperBound >= extra {
                            let truly = added.allSatisfy { reports[$0]?.answers[section]?.contains(key) == true }
                            found.append("\(section)=\(key) of \(extra) report(s), \(truly ? "true" : "FALSE")")
                        }
                    }
                }
            }
        }
        return found
    }

    @Test func noPairOfAnswersTellsWhatOneReportSaid() async throws {
        try await withApp { app in
            var made = try await makeReports(app)
            var beliefs: [Belief] = []
            var asked: [[String: String]] = []
            /// Each round's answers, as the API would send them, and the reports each counted.
            var rounds: [[(json: Data, counted: Set<UUID>)]] = []
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            func askEverything() async throws {
                var round: [(json: Data, counted: Set<UUID>)] = []
                for query in Self.queries {
                    let filters = try IncidentFilters.parse(
                        query, knownCities: Set(try await cityIndex(app.db).keys))
                    let statistics = try await StatisticsQueries.compute(filters, on: app.db)
                    let matching = made.filter { Self.selects(query, $0) }.count
                    let counted = Self.counted(query, among: made)
                    if matching < Disclosure.minimumReports {
                        #expect(statistics.breakdowns == nil && statistics.total == .fewerThanTenReports, "\(query)")
                    } else {
                        #expect(statistics.total == PublicCount(rounded: counted.count), "\(query)")
                    }
                    // Age only for the country or a city alone.
                    if !query.keys.allSatisfy({ $0 == "city" }) { #expect(statistics.breakdowns?.ageBand == nil) }
                    var belief = Self.belief(statistics, members: counted)
                    belief.chosen = Self.chosen(query)
                    beliefs.append(belief)
                    asked.append(query)
                    // Each city named is its own answer, counted in its own groups of ten.
                    for row in statistics.cities {
                        var city = query
                        city["city"] = row.city
                        #expect(row.total == Disclosure.groupedTotal(made.filter { Self.selects(city, $0) }.count))
                    }
                    var answer = statistics
                    answer.cities = []
                    round.append((try encoder.encode(answer), counted))
                }
                rounds.append(round)
            }
            try await askEverything()

            // Then the pinless home case is published, alone in its month in Taraz, and the
            // attacker asks everything again: before minus after is that one report.
            let (account, _) = try await app.makeModerator()
            let code = try await app.submitReport([
                "city": "taraz", "latitude": 42.9, "longitude": 71.37, "date": "2025-07-02", "placeType": "residential",
                "perpetrator": "known", "perpetratorRelation": "partner", "ageBand": "under16", "kinds": ["physical"],
            ])
            let home = try await app.report(receipt: code)
            try await ModerationService.publish(
                home, publicDescription: "Пересказ модератора без подробностей.", precision: .grid250, by: account,
                app: app, on: app.db, now: Date().addingTimeInterval(3600))  // the newest, as most often
            made.append(Self.made(try await app.report(receipt: code)))
            try await askEverything()
            // And a report of the first ones is withdrawn by its reporter.
            let withdrawn = try #require(try await Report.find(made[7].id, on: app.db))
            try await ReportService.withdraw(withdrawn, on: app.db)
            let remaining = made.filter { $0.id != withdrawn.id }
            let beforeWithdrawal = made
            made = remaining
            try await askEverything()
            made = beforeWithdrawal

            // Over time: an answer that changes changes by more than one report, and the same
            // reports always give the same answer.
            for (before, after) in zip(rounds, rounds.dropFirst()) {
                for (index, query) in Self.queries.enumerated() {
                    let change = before[index].counted.symmetricDifference(after[index].counted)
                    #expect(change.count != 1, "\(query): one report alone changed what it counts")
                    if change.isEmpty {
                        #expect(before[index].json == after[index].json, "\(query): the same reports, another answer")
                    }
                }
            }

            let reports = Dictionary(uniqueKeysWithValues: made.map { ($0.id, $0) })
            let leaks = Self.disclosures(beliefs, reports: reports)
            #expect(leaks.isEmpty, "\(leaks.count) disclosures, e.g. \(leaks.prefix(5))")
            #expect(beliefs.count == 3 * Self.queries.count)

            // The attacker is no straw man: against exact counts, and against rounding to the
            // nearest 5 with 0 shown as 0, the same pairs give reports away.
            func weak(threshold: Int, _ show: @escaping (Int) -> ClosedRange<Int>) -> [String] {
                let all = asked.enumerated().map { index, query in
                    // The first round was asked before the home case was published, the last
                    // after one report was withdrawn.
                    let round = index / Self.queries.count
                    let known =
                        round == 0 ? Array(made.dropLast()) : round == 1 ? made : made.filter { $0.id != made[7].id }
                    var belief = Self.weakBelief(
                        members: known.filter { Self.selects(query, $0) }, threshold: threshold, show: show)
                    belief.chosen = Self.chosen(query)
                    return belief
                }
                return Self.disclosures(all, reports: reports)
            }
            #expect(!weak(threshold: 1) { $0...$0 }.isEmpty, "exact counts give reports away")
            let nearest: (Int) -> ClosedRange<Int> = { exact in
                switch exact {
                case 0: return 0...0
                case 1..<5: return 1...4
                default:
                    let shown = Int((Double(exact) / 5).rounded()) * 5
                    return (shown - 2)...(shown + 2)
                }
            }
            #expect(!weak(threshold: Disclosure.minimumReports, nearest).isEmpty, "a fixed rounding gives reports away")
        }
    }
}
