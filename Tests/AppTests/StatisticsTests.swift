import Fluent
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
}
