import FluentSQL
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App

/// Issue #21, SPEC §6: the rules of ``Disclosure`` one by one; `DisclosureAttackTests` plays
/// them against each other.
@Suite struct DisclosureTests {
    /// Keys as reports get them, from a fixed seed.
    func keySums(_ count: Int, seed: UInt64 = 21) -> [Int64] {
        var random = SplitMix(seed: seed)
        return (0..<count).map { _ in Int64(random.unit() * Double(1 << 40)) }
    }

    @Test func aCountRoundsToOneOfItsTwoMultiplesOfFiveTheSameWayEveryTimeAndOnAverageToItself() {
        for exact in 1...40 {
            var sum = 0
            let sums = keySums(2000, seed: UInt64(exact))
            for keys in sums {
                let shown = Disclosure.round(.init(reports: exact, keys: keys))
                let value = shown.count ?? 0
                #expect(value == exact / 5 * 5 || value == (exact + 4) / 5 * 5, "\(exact) shown as \(value)")
                #expect(shown.fewerThanFive == (value == 0))
                #expect(Disclosure.round(.init(reports: exact, keys: keys)) == shown, "the same reports, the same way")
                #expect(shown.admits(exact))
                sum += value
            }
            // Unbiased: the mean of 2,000 draws is within 0.5 of the count.
            #expect(abs(Double(sum) / 2000 - Double(exact)) < 0.5, "\(exact)")
        }
    }

    @Test func zeroShowsAsFewerThanFiveLikeOneToFour() {
        #expect(Disclosure.round(.zero) == .fewerThanFiveReports)
        // A 0 beside a "fewer than 5" one report later would name that report's answer.
        #expect(Disclosure.bounds(Disclosure.round(.zero)) == 0...4)
    }

    @Test func aWholeAnswerBelowTenShowsOnlyThat() {
        for exact in 0..<10 {
            #expect(Disclosure.roundTotal(.init(reports: exact, keys: 12345)) == .fewerThanTenReports)
        }
        #expect(Disclosure.roundTotal(.init(reports: 10, keys: 12345)) == PublicCount(rounded: 10))
    }

    @Test func aSecondCountIsHiddenWhereSubtractionWouldNarrowASmallOne() {
        // 25 in all (21 to 29), 10 (6 to 14) and "fewer than 5": 21 − 14 = 7 would say the
        // small one is at least 1 — so the 10 is hidden too.
        let cells = Disclosure.protect(
            [PublicCount(rounded: 10), .fewerThanFiveReports], addingUpTo: PublicCount(rounded: 25), isAnswer: true)
        #expect(cells == [.suppressedCell, .fewerThanFiveReports])
        // 15 in all and 15 beside "fewer than 5": nothing to learn, nothing hidden.
        let fine = Disclosure.protect(
            [PublicCount(rounded: 15), .fewerThanFiveReports], addingUpTo: PublicCount(rounded: 15), isAnswer: true)
        #expect(fine == [PublicCount(rounded: 15), .fewerThanFiveReports])
    }

    /// Whatever the counts, after protection no "fewer than 5" can be narrowed by subtracting
    /// the other cells from the whole.
    @Test func noSmallCountCanBeWorkedOutFromTheRest() {
        var random = SplitMix(seed: 77)
        for _ in 0..<3000 {
            let cellCount = 2 + Int(random.unit() * 6)
            let exact = (0..<cellCount).map { _ in
                random.unit() < 0.4 ? Int(random.unit() * 5) : Int(random.unit() * 40)
            }
            let total = exact.reduce(0, +)
            guard total >= Disclosure.minimumReports else { continue }
            func keys() -> Int64 { Int64(random.unit() * Double(1 << 40)) }
            let whole = Disclosure.roundTotal(.init(reports: total, keys: keys()))
            let cells = Disclosure.protect(
                exact.map { Disclosure.round(.init(reports: $0, keys: keys())) }, addingUpTo: whole, isAnswer: true)
            let wholeBounds =
                max(
                    Disclosure.minimumReports, Disclosure.bounds(whole).lowerBound)...Disclosure.bounds(
                    whole
                ).upperBound
            for (index, cell) in cells.enumerated() {
                #expect(cell.admits(exact[index]) || cell.suppressed, "\(cell) for \(exact[index])")
                guard cell.fewerThanFive else { continue }
                let others = cells.indices.filter { $0 != index }.map { Disclosure.bounds(cells[$0]) }
                let low = wholeBounds.lowerBound - others.reduce(0) { $0 + $1.upperBound }
                let high = wholeBounds.upperBound - others.reduce(0) { $0 + $1.lowerBound }
                #expect(low <= 0 && high >= 4, "\(exact) shown \(cells): the small one is \(low)...\(high)")
            }
        }
    }

    /// A database from before the rule: its reports get random keys, and the published set's
    /// tallies sum them, equal to a sum over the reports.
    @Test func theMigrationKeysEveryStoredReportAndTheTalliesSumTheKeys() async throws {
        try await withApp { app in
            _ = try await DemoData.make(count: 60, published: true, app: app, on: app.db, seed: 9)
            // Back to before the rule (the database's kept counts existed then), and forward.
            try await DropStatisticsCounts().revert(on: app.db)
            try await AddDisclosureKeys().revert(on: app.db)
            try await AddDisclosureKeys().prepare(on: app.db)
            try await DropStatisticsCounts().prepare(on: app.db)
            try await PublicChanges.bump(nil, on: app.db)
            let sql = try app.db.sql()
            let unkeyed = try await sql.raw("SELECT COUNT(*) AS n FROM reports WHERE disclosure_key < 1").first()
            #expect(try unkeyed?.decode(column: "n", as: Int.self) == 0)
            let distinct = try await sql.raw("SELECT COUNT(DISTINCT disclosure_key) AS n FROM reports").first()
            #expect(try distinct?.decode(column: "n", as: Int.self) ?? 0 > 50, "random, not one value")
            let (_, kept) = try await app.publishedSet.answerTallies(IncidentFilters(), on: app.db)
            let sum = try await sql.select().column(Disclosure.keySum, as: "s")
                .from(Report.schema).where("status", .equal, "published").first()
            let keptRoles = kept.byValue("role").values.reduce(Disclosure.Tally.zero, +)
            #expect(keptRoles.reports == 60)
            #expect(keptRoles.keys == (try sum?.decode(column: "s", as: Int64.self)))
            // New publications keep adding to them.
            let (account, _) = try await app.makeModerator()
            let report = try await app.report(receipt: try await app.submitReport())
            try await ModerationService.publish(
                report, publicDescription: "Незнакомец преследовал и оскорблял на улице вечером.",
                precision: .grid250, by: account, app: app, on: app.db)
            let (_, after) = try await app.publishedSet.answerTallies(IncidentFilters(), on: app.db)
            let afterRoles = after.byValue("role").values.reduce(Disclosure.Tally.zero, +)
            #expect(afterRoles.reports == 61 && afterRoles.keys == keptRoles.keys + Int64(report.disclosureKey))
        }
    }

    @Test func statisticsTakeNoBoxAndReadDatesAsWholeMonths() async throws {
        try await withApp({ $0.rateLimits.enabled = false }) { app in
            _ = try await DemoData.make(count: 300, published: true, app: app, on: app.db, seed: 4)
            let boxed = try await app.send(.GET, "/api/v1/stats?bbox=76.9,43.2,76.95,43.25")
            #expect(boxed.status == .badRequest)
            #expect(boxed.body.string.contains("\"bbox\""), "the refusal names the box")
            // A day, or two days apart, is read as its month: the answer is the month's.
            let month = String(KazakhstanTime.today().prefix(7))
            let byMonth = try await app.send(.GET, "/api/v1/stats?from=\(month)&to=\(month)").body.string
            let byDay = try await app.send(.GET, "/api/v1/stats?from=\(month)-01&to=\(month)-02").body.string
            #expect(byMonth == byDay)
            let map = try await app.send(.GET, "/api/v1/incidents/clusters?zoom=5&from=\(month)-02&to=\(month)-02")
            let wholeMap = try await app.send(.GET, "/api/v1/incidents/clusters?zoom=5&from=\(month)&to=\(month)")
            #expect(map.body.string == wholeMap.body.string, "the map's filters are months too")
            // A parameter given twice, or a list with an empty item, is refused by name.
            for (query, field) in [
                ("city=taraz&city=almaty", "city"), ("from=2025-10&from=2025-11", "from"),
                ("placeTypes=residential,", "placeTypes"), ("kinds=,verbal", "kinds"),
            ] {
                let response = try await app.send(.GET, "/api/v1/stats?" + query)
                #expect(response.status == .badRequest, "\(query)")
                #expect(response.body.string.contains("\"\(field)\""), "\(query)")
            }
            for bad in ["2025-13", "2025", "yesterday", "2025-02-30"] {
                let response = try await app.send(.GET, "/api/v1/stats?from=\(bad)")
                #expect(response.status == .badRequest, "\(bad)")
                #expect(response.body.string.contains("\"from\""))
            }
            // The page's filter asks for months.
            let page = try await app.send(.GET, "/stats?lang=en&from=\(month)-15").body.string
            #expect(page.contains(#"type="month" name="from""#) && page.contains(#"value="\#(month)""#))
        }
    }
}
