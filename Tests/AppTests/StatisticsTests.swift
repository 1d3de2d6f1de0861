import Fluent
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import App

/// Issue #12: the statistics count every published report — pin or not — and nothing else, and
/// never show a group of fewer than 5, not even by subtracting one answer from another.
@Suite struct StatisticsTests {
    /// A report as the test sends it, and whether it gets published.
    struct Sent {
        var changes: [String: Any?]
        var published: Bool
    }

    /// Sends every report, publishes those marked so, and leaves one pending and one rejected
    /// that must never count.
    func send(_ reports: [Sent], _ app: Application) async throws {
        let (account, _) = try await app.makeModerator()
        for sent in reports {
            let code = try await app.submitReport(sent.changes)
            guard sent.published else { continue }
            try await ModerationService.publish(
                try await app.report(receipt: code), publicDescription: "Пересказ модератора без подробностей.",
                precision: .grid250, by: account, app: app, on: app.db)
        }
        let rejected = try await app.submitReport(["kinds": ["physical"]])
        try await ModerationService.reject(
            try await app.report(receipt: rejected), code: .spam, reason: nil, by: account, on: app.db)
    }

    func stats(_ app: Application, _ query: String = "") async throws -> Statistics {
        let response = try await app.send(.GET, "/api/v1/stats" + query)
        #expect(response.status == .ok, "\(response.body.string)")
        return try response.content.decode(Statistics.self)
    }

    func count(_ rows: [Statistics.Row], _ key: String) -> PublicCount? { rows.first { $0.key == key }?.count }

    /// Thirty reports in Almaty and Astana with known answers: three whole groups of ten, so
    /// every one of them counts.
    static var known: [Sent] {
        var reports: [Sent] = []
        // Almaty: 14 by strangers on the street (4 stopped by a bystander), 7 by colleagues at work.
        for index in 0..<14 {
            reports.append(
                Sent(
                    changes: [
                        "prevented": index < 4, "preventedBy": index < 4 ? "bystander" : nil,
                        "recurrence": index < 6 ? "repeated" : nil,
                    ], published: true))
        }
        for _ in 0..<7 {
            reports.append(
                Sent(
                    changes: [
                        "placeType": "workplace", "perpetrator": "known", "perpetratorRelation": "colleague",
                        "kinds": ["verbal", "economic"], "toldWhom": ["employer_school"], "toldOutcome": "blamed",
                    ], published: true))
        }
        // Almaty: 3 at home by a partner — no pin, yet they count.
        for _ in 0..<3 {
            reports.append(
                Sent(
                    changes: ["placeType": "residential", "perpetrator": "known", "perpetratorRelation": "partner"],
                    published: true))
        }
        // Astana: 6 in taxis, sent in March 2025.
        for _ in 0..<6 {
            reports.append(
                Sent(
                    changes: [
                        "city": "astana", "latitude": 51.16, "longitude": 71.47, "placeType": "taxi",
                        "date": "2025-03-14",
                    ], published: true))
        }
        // Pending: never counted.
        reports.append(Sent(changes: ["city": "astana", "latitude": 51.16, "longitude": 71.47], published: false))
        return reports
    }

    @Test func everyPublishedReportCountsAndNothingElse() async throws {
        try await withApp({ $0.rateLimits.enabled = false }) { app in
            try await send(Self.known, app)
            let all = try await stats(app)
            let b = try #require(all.breakdowns)
            // 14 + 7 + 3 + 6 = 30 published; the pending and the rejected one do not count.
            // Every count is rounded to 5, so each admits the exact number and no far one.
            func expect(_ count: PublicCount?, _ exact: Int, _ what: String) {
                #expect(count?.admits(exact) == true, "\(what): \(String(describing: count)) for \(exact)")
            }
            #expect(all.total == PublicCount(rounded: 30))
            expect(count(b.perpetrator, "stranger"), 20, "strangers")
            expect(count(b.perpetrator, "known"), 10, "known")
            expect(count(b.perpetratorRelation, "colleague"), 7, "colleagues")
            expect(count(b.perpetratorRelation, "partner"), 3, "partners")
            expect(count(b.prevented, "yes"), 4, "stopped")
            expect(count(b.preventedBy, "bystander"), 4, "by a bystander")
            expect(count(b.placeType, "residential"), 3, "no pin, still counted")
            expect(count(b.kinds, "verbal"), 30, "verbal")
            expect(count(b.kinds, "economic"), 7, "economic")
            expect(count(b.recurrence, "repeated"), 6, "repeated")
            expect(count(b.recurrence, "unknown"), 24, "not said")
            expect(count(b.toldWhom, "employer_school"), 7, "told the employer")
            expect(count(b.toldOutcome, "blamed"), 7, "blamed")
            expect(count(b.month, "2025-03"), 30, "March")
            // 8 March 2025 and 14 March 2025 were a Saturday and a Friday.
            expect(count(b.weekday, "sat"), 24, "Saturdays")
            expect(count(b.weekday, "fri"), 6, "Fridays")
            // Almaty's 24 count as its own answer would: two whole groups of ten. Astana's six
            // are fewer than 10: the city is not named at all.
            #expect(all.cities == [Statistics.CityRow(city: "almaty", total: PublicCount(rounded: 20))])

            // The same filters as the map narrow it; below 10 reports nothing but that shows.
            let astana = try await stats(app, "?city=astana")
            #expect(astana.total == .fewerThanTenReports && astana.breakdowns == nil && astana.cities.isEmpty)
            let economic = try await stats(app, "?kinds=economic&city=almaty")
            #expect(economic.total == .fewerThanTenReports && economic.breakdowns == nil)
            // Almaty's 14 on the street: one whole group of ten counts, four wait for more.
            let almatyStreets = try await stats(app, "?city=almaty&placeTypes=street")
            #expect(almatyStreets.total == PublicCount(rounded: 10))
            #expect(try await app.send(.GET, "/api/v1/stats?city=atlantis").status == .badRequest)
        }
    }

    @Test func pinCountsRoundToTheNearestFive() {
        #expect(PublicCount(exact: 0) == PublicCount(exact: 0) && PublicCount(exact: 0).count == 0)
        for exact in 1...4 {
            #expect(PublicCount(exact: exact).count == nil && PublicCount(exact: exact).fewerThanFive)
        }
        #expect(PublicCount(exact: 5).count == 5 && PublicCount(exact: 7).count == 5)
        #expect(PublicCount(exact: 8).count == 10 && PublicCount(exact: 23).count == 25)
    }

    @Test func thePageSaysTheHeadlineInWordsWithTablesForEveryChart() async throws {
        try await withApp({ $0.rateLimits.enabled = false }) { app in
            try await send(Self.known, app)
            let page = try await app.send(.GET, "/stats?lang=en&city=almaty")
            #expect(page.status == .ok)
            let html = page.body.string
            #expect(html.contains("Almaty"))
            // The share of strangers is of all reports, from the rounded counts the API shows.
            let almaty = try await stats(app, "?city=almaty")
            let breakdowns = try #require(almaty.breakdowns)
            let strangers = try #require(count(breakdowns.perpetrator, "stranger")?.count)
            let total = try #require(almaty.total.count)
            let percent = Int((Double(strangers) * 100 / Double(total)).rounded())
            let sentence = app.translations.text("stats_headline_strangers", .en)
                .replacingOccurrences(of: "{percent}", with: "\(percent)%")
            #expect(html.contains(sentence), "the headline says who the harassers were")
            #expect(html.contains(app.translations.text("stats_fewer_than_5", .en)))
            #expect(html.contains(app.translations.text("stats_parts_note", .en)), "parts may not add up, in words")
            let charts = html.components(separatedBy: "<canvas").count - 1
            let tables = html.components(separatedBy: "data-chart-table").count - 1
            #expect(charts == 14 && tables == charts, "every chart has its table, age included for a city alone")
            // With another filter, age is not broken down, and the page says why.
            let narrower = try await app.send(.GET, "/stats?lang=en&city=almaty&placeType=street").body.string
            #expect(narrower.components(separatedBy: "<canvas").count - 1 == 13)
            #expect(narrower.contains(app.translations.text("stats_age_note", .en)))
            // Fewer than ten in all: no numbers at all.
            let few = try await app.send(.GET, "/stats?lang=en&city=astana")
            #expect(few.body.string.contains(app.translations.text("stats_too_few", .en)))
            #expect(!few.body.string.contains("<canvas"))
            // A broken filter is named, not a crash.
            let broken = try await app.send(.GET, "/stats?lang=en&from=yesterday")
            #expect(broken.status == .ok && broken.body.string.contains("error-summary"))
        }
    }

    /// Issue #21, finding 7: a share is of reports, not of answers. Twenty reports, all verbal
    /// and half of them physical too: 100% and 50%, not 67% and 33%.
    @Test func sharesAreOfReportsNotOfAnswers() throws {
        func rows(_ pairs: [(String, Int)]) -> [Statistics.Row] {
            pairs.map { Statistics.Row(key: $0.0, count: PublicCount(rounded: $0.1)) }
        }
        let breakdowns = Statistics.Breakdowns(
            role: rows([("victim", 20)]), kinds: rows([("verbal", 20), ("physical", 10)]),
            placeType: rows([("street", 20)]), timeBand: [], weekday: [], month: [],
            perpetrator: rows([("stranger", 10), ("known", 10)]), perpetratorRelation: rows([("colleague", 10)]),
            prevented: rows([("yes", 5), ("no", 15)]), preventedBy: rows([("bystander", 5)]), recurrence: [],
            toldWhom: [], toldOutcome: [], ageBand: nil)
        let words = StatisticsWords(
            statistics: Statistics(total: PublicCount(rounded: 20), breakdowns: breakdowns, cities: []),
            cityNames: [:], text: { $0 })
        let sections = Dictionary(uniqueKeysWithValues: words.sections().map { ($0.id, $0.rows) })
        #expect(sections["kinds"]?.map(\.share) == ["100%", "50%"])
        // A question asked of some: who the known person was, of the known ones.
        #expect(sections["perpetratorRelation"]?.map(\.share) == ["100%"])
        #expect(sections["preventedBy"]?.map(\.share) == ["100%"])
        #expect(sections["ageBand"] == nil)
        #expect(words.notes().contains("stats_parts_note") && words.notes().contains("stats_age_note"))
    }

    @Test func theBotSaysTheSameNumbers() async throws {
        try await withApp({ $0.rateLimits.enabled = false }) { app in
            try await send(Self.known, app)
            let flow = BotFlow(app: app, db: app.db, chatKey: "test")
            guard case .send(let text, _) = try await flow.statistics(city: "almaty", language: .ru) else {
                Issue.record("no message")
                return
            }
            let almaty = try await stats(app, "?city=almaty")
            let total = try #require(almaty.total.count)
            #expect(text.contains(app.translations.text("stats_count", .ru) + ": \(total)"))
            #expect(text.contains("Алматы"))
            guard case .send(let few, _) = try await flow.statistics(city: "astana", language: .ru) else {
                Issue.record("no message")
                return
            }
            #expect(few.contains(app.translations.text("stats_fewer_than_10", .ru)))
            #expect(few.contains(app.translations.text("stats_too_few", .ru)))
        }
    }

    /// The exact counts of the published reports, counted from the reports themselves, as
    /// grouped by column and stored value, and the outcome per city as `city|yes` and `city|no`.
    func countedFromTheReports(
        city: String?, _ app: Application
    ) async throws
        -> [String: [String?: Disclosure.Tally]]
    {
        let sql = try app.db.sql()
        func tally(_ row: any SQLRow) throws -> Disclosure.Tally {
            Disclosure.Tally(
                reports: try row.decode(column: "n", as: Int.self), keys: try row.decode(column: "s", as: Int64.self))
        }
        let keySum = Disclosure.keySum
        var result: [String: [String?: Disclosure.Tally]] = [:]
        for column in StatisticsQueries.answerColumns {
            let query = sql.select().column(SQLColumn(column), as: "k")
                .column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").column(keySum, as: "s")
                .from(Report.schema).where("status", .equal, "published").groupBy(SQLColumn(column))
            if let city { query.where("city", .equal, city) }
            for row in try await query.all() {
                let answer = try row.decodeNil(column: "k") ? nil : try row.decode(column: "k", as: String.self)
                result[column, default: [:]][answer, default: .zero] += try tally(row)
            }
        }
        let outcomes = sql.select().column("city").column("prevented")
            .column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").column(keySum, as: "s").from(Report.schema)
            .where("status", .equal, "published").groupBy("city").groupBy("prevented")
        if let city { outcomes.where("city", .equal, city) }
        for row in try await outcomes.all() {
            let key =
                try row.decode(column: "city", as: String.self) + "|"
                + (try row.decode(column: "prevented", as: Bool.self) ? "yes" : "no")
            result[StatisticsCounts.prevented, default: [:]][key] = try tally(row)
        }
        return result
    }

    func expectKeptCountsMatchTheReports(_ app: Application, _ step: String) async throws {
        for city in [nil, "almaty", "astana"] {
            var filters = IncidentFilters()
            filters.city = city
            let (snapshot, kept) = try await app.publishedSet.answerTallies(filters, on: app.db)
            let counted = try await countedFromTheReports(city: city, app)
            for column in StatisticsQueries.answerColumns {
                // The database groups a list column by whole lists; the tallies count per value.
                var expected: [String?: Disclosure.Tally] = [:]
                for (answer, tally) in counted[column] ?? [:] {
                    let values =
                        ["kinds", "told_whom"].contains(column)
                        ? (answer ?? "").split(separator: ",").map { Optional(String($0)) } : [answer]
                    for value in values.isEmpty ? [nil] : values {
                        expected[value.flatMap { $0.isEmpty ? nil : $0 }, default: .zero] += tally
                    }
                }
                #expect(kept.byValue(column) == expected, "after \(step), \(column) in \(city ?? "the country")")
            }
            var outcomes: [String?: Disclosure.Tally] = [:]
            for (name, tallies) in kept.byCity(in: snapshot.cities) {
                if tallies.prevented.reports != 0 { outcomes[name + "|yes"] = tallies.prevented }
                if tallies.notPrevented.reports != 0 { outcomes[name + "|no"] = tallies.notPrevented }
            }
            #expect(outcomes == (counted[StatisticsCounts.prevented] ?? [:]), "after \(step), outcomes")
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            let fromKept = try encoder.encode(
                try await StatisticsQueries.compute(filters, snapshot: snapshot, tallies: kept))
            let scanned = try encoder.encode(try await StatisticsQueries.compute(filters, on: app.db))
            #expect(fromKept == scanned, "after \(step), the statistics of \(city ?? "the country") differ")
        }
    }

    /// Issues #14 and #22: the statistics come from tallies kept up to date on every change —
    /// whichever code makes it — and always equal a count of the published reports.
    @Test func theKeptCountsFollowEveryPublicationTakeDownMergeAndWithdrawal() async throws {
        try await withApp { app in
            try await expectKeptCountsMatchTheReports(app, "nothing")
            _ = try await DemoData.make(count: 120, published: true, app: app, on: app.db, seed: 11)
            try await expectKeptCountsMatchTheReports(app, "demo data")

            let (account, _) = try await app.makeModerator()
            let code = try await app.submitReport(["kinds": ["physical", "verbal"], "recurrence": nil])
            try await expectKeptCountsMatchTheReports(app, "a pending report")
            let report = try await app.report(receipt: code)
            try await ModerationService.publish(
                report, publicDescription: "Пересказ модератора без подробностей.", precision: .grid250, by: account,
                app: app, on: app.db)
            try await expectKeptCountsMatchTheReports(app, "a publication")

            let published = try await Report.query(on: app.db).filter(\.$status == "published")
                .filter(\.$isDemo == true).all()
            try await ModerationService.reject(published[0], code: .spam, reason: nil, by: account, on: app.db)
            try await expectKeptCountsMatchTheReports(app, "a take-down")
            try await ModerationService.merge(published[1], into: published[2].id, by: account, on: app.db)
            try await expectKeptCountsMatchTheReports(app, "a merge")
            try await ReportService.withdraw(published[2], on: app.db)
            try await expectKeptCountsMatchTheReports(app, "a withdrawal with a duplicate returned to the queue")
            try await ReportService.withdraw(try await app.report(receipt: code), on: app.db)
            try await expectKeptCountsMatchTheReports(app, "a withdrawal")
            #expect(try await app.publishedSet.answerTallies(IncidentFilters(), on: app.db).1.matching == 117)
        }
    }
}
