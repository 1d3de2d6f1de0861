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

    /// Thirty-odd reports in Almaty and Astana with known answers.
    static var known: [Sent] {
        var reports: [Sent] = []
        // Almaty: 12 by strangers on the street (4 stopped by a bystander), 7 by colleagues at work.
        for index in 0..<12 {
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
            // 12 + 7 + 3 + 6 = 28 published; the pending and the rejected one do not count.
            #expect(all.total == PublicCount(exact: 28))
            #expect(count(all.breakdowns.perpetrator, "stranger") == PublicCount(exact: 18))
            #expect(count(all.breakdowns.perpetrator, "known") == PublicCount(exact: 10))
            #expect(count(all.breakdowns.perpetratorRelation, "colleague") == PublicCount(exact: 7))
            #expect(count(all.breakdowns.perpetratorRelation, "partner") == PublicCount(exact: 3))
            #expect(count(all.breakdowns.prevented, "yes") == PublicCount(exact: 4))
            #expect(count(all.breakdowns.preventedBy, "bystander") == PublicCount(exact: 4))
            #expect(count(all.breakdowns.placeType, "residential") == PublicCount(exact: 3), "no pin, still counted")
            #expect(count(all.breakdowns.kinds, "verbal") == PublicCount(exact: 28))
            #expect(count(all.breakdowns.kinds, "economic") == PublicCount(exact: 7))
            #expect(count(all.breakdowns.recurrence, "repeated") == PublicCount(exact: 6))
            #expect(count(all.breakdowns.recurrence, "unknown") == PublicCount(exact: 22))
            #expect(count(all.breakdowns.toldWhom, "employer_school") == PublicCount(exact: 7))
            #expect(count(all.breakdowns.toldOutcome, "blamed") == PublicCount(exact: 7))
            #expect(count(all.breakdowns.month, "2025-03") == PublicCount(exact: 28))
            // 8 March 2025 and 14 March 2025 were a Saturday and a Friday.
            #expect(count(all.breakdowns.weekday, "sat") == PublicCount(exact: 22))
            #expect(count(all.breakdowns.weekday, "fri") == PublicCount(exact: 6))
            #expect(all.cities.map(\.city) == ["almaty", "astana"])
            #expect(all.cities[0].total == PublicCount(exact: 22))

            // The same filters as the map narrow it.
            let astana = try await stats(app, "?city=astana")
            #expect(astana.total == PublicCount(exact: 6))
            #expect(count(astana.breakdowns.placeType, "taxi") == PublicCount(exact: 6))
            let economic = try await stats(app, "?kinds=economic&city=almaty")
            #expect(economic.total == PublicCount(exact: 7))
            #expect(try await app.send(.GET, "/api/v1/stats?city=atlantis").status == .badRequest)
        }
    }

    @Test func smallGroupsShowAsFewerThanFive() {
        #expect(PublicCount(exact: 0) == PublicCount(exact: 0) && PublicCount(exact: 0).count == 0)
        for exact in 1...4 {
            #expect(PublicCount(exact: exact).count == nil && PublicCount(exact: exact).fewerThanFive)
        }
        #expect(PublicCount(exact: 5).count == 5 && PublicCount(exact: 7).count == 5)
        #expect(PublicCount(exact: 8).count == 10 && PublicCount(exact: 23).count == 25)
    }

    @Test func subtractingTwoAnswersDoesNotUncoverASmallGroup() async throws {
        try await withApp({ $0.rateLimits.enabled = false }) { app in
            try await send(Self.known, app)
            // Three partner cases in Almaty: shown as "fewer than 5".
            let almaty = try await stats(app, "?city=almaty")
            let partner = try #require(count(almaty.breakdowns.perpetratorRelation, "partner"))
            #expect(partner.fewerThanFive && partner.count == nil)
            // The attack: all reports at home in Almaty minus those at home by strangers.
            let home = try await stats(app, "?city=almaty&placeTypes=residential")
            let homeByStrangers = try await stats(app, "?city=almaty&placeTypes=residential&perpetrator=stranger")
            let known = try await stats(app, "?city=almaty&perpetrator=known")
            let notPartners = (count(known.breakdowns.perpetratorRelation, "colleague")?.count ?? 0)
            for guess in [
                (home.total.count ?? 0) - (homeByStrangers.total.count ?? 0),
                (known.total.count ?? 0) - notPartners,
                (almaty.total.count ?? 0) - (count(almaty.breakdowns.perpetrator, "stranger")?.count ?? 0)
                    - notPartners,
            ] {
                #expect(guess != 3, "a difference of public answers gave back the hidden count")
            }
        }
    }

    @Test func twoDifferentSmallGroupsLookTheSameFromOutside() async throws {
        // One partner case or four: with the rest adjusted as rounding allows, every public
        // answer is the same, so no answer can tell them apart.
        func answers(partners: Int, strangers: Int) async throws -> String {
            var output = ""
            try await withApp({ $0.rateLimits.enabled = false }) { app in
                var reports = (0..<strangers).map { _ in Sent(changes: [:], published: true) }
                reports += (0..<partners).map { _ in
                    Sent(changes: ["perpetrator": "known", "perpetratorRelation": "partner"], published: true)
                }
                try await send(reports, app)
                for query in ["", "?perpetrator=known", "?perpetrator=stranger", "?city=almaty"] {
                    let stats = try await stats(app, query)
                    output += "\(stats.total) \(stats.breakdowns.perpetrator) \(stats.breakdowns.perpetratorRelation)\n"
                }
            }
            return output
        }
        let one = try await answers(partners: 1, strangers: 22)
        let four = try await answers(partners: 4, strangers: 21)
        #expect(one == four)
    }

    @Test func thePageSaysTheHeadlineInWordsWithTablesForEveryChart() async throws {
        try await withApp({ $0.rateLimits.enabled = false }) { app in
            try await send(Self.known, app)
            let page = try await app.send(.GET, "/stats?lang=en&city=almaty")
            #expect(page.status == .ok)
            let html = page.body.string
            #expect(html.contains("Almaty"))
            // 12 by strangers and 10 by someone known, rounded to 10 and 10: 50%.
            let strangers = app.translations.text("stats_headline_strangers", .en)
                .replacingOccurrences(of: "{percent}", with: "50%")
            #expect(html.contains(strangers), "the headline says who the harassers were")
            #expect(html.contains(app.translations.text("stats_fewer_than_5", .en)))
            let charts = html.components(separatedBy: "<canvas").count - 1
            let tables = html.components(separatedBy: "data-chart-table").count - 1
            #expect(charts == 14 && tables == charts, "every chart has its table")
            // Fewer than five in all: no numbers at all.
            let few = try await app.send(.GET, "/stats?lang=en&city=shymkent")
            #expect(few.body.string.contains(app.translations.text("stats_too_few", .en)))
            #expect(!few.body.string.contains("<canvas"))
            // A broken filter is named, not a crash.
            let broken = try await app.send(.GET, "/stats?lang=en&from=yesterday")
            #expect(broken.status == .ok && broken.body.string.contains("error-summary"))
        }
    }

    @Test func theBotSaysTheSameNumbers() async throws {
        try await withApp({ $0.rateLimits.enabled = false }) { app in
            try await send(Self.known, app)
            let flow = BotFlow(app: app, db: app.db, chatKey: "test")
            guard case .send(let text, _) = try await flow.statistics(city: "almaty", language: .ru) else {
                Issue.record("no message")
                return
            }
            #expect(text.contains(app.translations.text("stats_count", .ru) + ": 20"))
            #expect(text.contains("Алматы"))
            let strangers = app.translations.text("stats_headline_strangers", .ru)
                .replacingOccurrences(of: "{percent}", with: "50%")
            #expect(text.contains(strangers))
        }
    }

    /// The exact counts of the published reports, counted from the reports themselves, shaped
    /// as ``StatisticsCounts/read(city:on:)`` returns them.
    func countedFromTheReports(city: String?, _ app: Application) async throws -> [String: [String?: Int]] {
        let sql = try app.db.sql()
        var result: [String: [String?: Int]] = [:]
        for column in StatisticsCounts.columns {
            let query = sql.select().column(SQLColumn(column), as: "k")
                .column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from(Report.schema)
                .where("status", .equal, "published").groupBy(SQLColumn(column))
            if let city { query.where("city", .equal, city) }
            for row in try await query.all() {
                let answer = try row.decodeNil(column: "k") ? nil : try row.decode(column: "k", as: String.self)
                result[column, default: [:]][answer, default: 0] += try row.decode(column: "n", as: Int.self)
            }
        }
        let outcomes = sql.select().column("city").column("prevented")
            .column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from(Report.schema)
            .where("status", .equal, "published").groupBy("city").groupBy("prevented")
        if let city { outcomes.where("city", .equal, city) }
        for row in try await outcomes.all() {
            let key =
                try row.decode(column: "city", as: String.self) + "|"
                + (try row.decode(column: "prevented", as: Bool.self) ? "yes" : "no")
            result[StatisticsCounts.prevented, default: [:]][key] = try row.decode(column: "n", as: Int.self)
        }
        return result
    }

    func expectKeptCountsMatchTheReports(_ app: Application, _ step: String) async throws {
        for city in [nil, "almaty", "astana"] {
            let kept = try await StatisticsCounts.read(city: city, on: app.db)
            let counted = try await countedFromTheReports(city: city, app)
            #expect(kept == counted, "after \(step), in \(city ?? "the country")")
            var filters = IncidentFilters()
            filters.city = city
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            let fromKept = try encoder.encode(try await StatisticsQueries.compute(filters, on: app.db))
            let scanned = try encoder.encode(
                try await StatisticsQueries.compute(filters, keptCounts: false, on: app.db))
            #expect(fromKept == scanned, "after \(step), the statistics of \(city ?? "the country") differ")
        }
    }

    /// Issue #14: the country's and a city's statistics come from counts the database keeps
    /// up to date on every change — whichever code makes it — and always equal a count of the
    /// published reports.
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
            #expect(try await StatisticsCounts.read(city: nil, on: app.db)["role"]?.values.reduce(0, +) == 117)
        }
    }
}
