import Fluent
import NIOConcurrencyHelpers
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import App

/// Issue #22: every public view shows a change on the next request after it commits, and the
/// published set's kept counts always equal what the database would count.
@Suite struct FreshViewsTests {
    /// A moderator publishes, rejects, archives, merges and reporters withdraw, at random;
    /// after each change every public view is read once and compared with an exact count.
    @Test func everyViewShowsEveryChangeOnTheNextRequest() async throws {
        try await withApp({ $0.rateLimits.enabled = false }) { app in
            _ = try await DemoData.make(count: 40, published: true, app: app, on: app.db, seed: 22)
            _ = try await DemoData.make(count: 40, published: false, app: app, on: app.db, seed: 23)
            let (moderator, _) = try await app.makeModerator()
            var random = SplitMix(seed: 2222)
            // Every view is read before the first change, so each has something to keep.
            try await Self.expectEveryViewCounts(app, "at the start")
            // Visitors read the views all the while, so that some read is under way whenever a
            // change commits: a view made from the set before a change must never be kept as
            // the view after it.
            let stop = NIOLockedValueBox(false)
            let visitors = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for visitor in 0..<4 {
                        group.addTask {
                            var round = visitor
                            while !stop.withLockedValue({ $0 }) {
                                let zoom = Self.zooms[round % Self.zooms.count]
                                _ = try await app.send(.GET, "/api/v1/incidents/clusters?zoom=\(zoom)")
                                if round % 4 == 0 { _ = try await app.send(.GET, "/api/v1/stats") }
                                if round % 8 == 0 { _ = try await app.send(.GET, "/") }
                                round += 1
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            defer { stop.withLockedValue { $0 = true } }
            for step in 0..<40 {
                let pending = try await Report.query(on: app.db).filter(\.$status == "pending").all()
                let published = try await Report.query(on: app.db).filter(\.$status == "published").all()
                func pick(_ reports: [Report]) -> Report? {
                    reports.isEmpty ? nil : reports[Int(random.unit() * Double(reports.count)) % reports.count]
                }
                let roll = random.unit()
                var what = ""
                if roll < 0.45, let report = pick(pending) {
                    what = "published"
                    try await ModerationService.publish(
                        report, publicDescription: "Незнакомец преследовал и оскорблял на улице вечером.",
                        precision: random.unit() < 0.7 ? .grid250 : .city, by: moderator, app: app, on: app.db)
                } else if roll < 0.6, let report = pick(published) {
                    what = "taken down"
                    try await ModerationService.reject(report, code: .spam, reason: nil, by: moderator, on: app.db)
                } else if roll < 0.75, let report = pick(published) {
                    what = "withdrawn"
                    try await ReportService.withdraw(report, on: app.db)
                } else if roll < 0.85, let duplicate = pick(published), let target = pick(published),
                    duplicate.id != target.id
                {
                    what = "merged away"
                    try await ModerationService.merge(
                        duplicate, into: try target.requireID(), seen: .published, by: moderator, on: app.db)
                } else if let report = pick(pending) {
                    what = "archived"
                    try await ModerationService.archive(report, by: moderator, on: app.db)
                }
                try await Self.expectEveryViewCounts(app, "step \(step): \(what)")
            }
            stop.withLockedValue { $0 = true }
            try await visitors.value
        }
    }

    static let zooms = [3, 5, 7, 10, 12, 14]

    /// Each public view against an exact count of the published reports.
    static func expectEveryViewCounts(_ app: Application, _ moment: String) async throws {
        let sql = try app.db.sql()
        func count(_ condition: String) async throws -> Int {
            try await sql.raw("SELECT COUNT(*) AS n FROM reports WHERE status = 'published' \(unsafeRaw: condition)")
                .first()?.decode(column: "n", as: Int.self) ?? -1
        }
        let every = try await count("")
        let pins = try await count("AND public_latitude IS NOT NULL")
        let verbal = try await count("AND kinds LIKE '%,verbal,%'")
        let stoppedPins = try await count("AND prevented AND public_latitude IS NOT NULL")
        let almaty = try await count("AND city = 'almaty'")

        // The map at every zoom counts every pin, exactly.
        for zoom in zooms {
            let view = try await app.send(.GET, "/api/v1/incidents/clusters?zoom=\(zoom)").content.decode(
                ClusterView.self)
            #expect(view.total == pins, "clusters at zoom \(zoom), \(moment)")
            let shown = view.clusters.reduce(0) { $0 + $1.count } + view.points.count
            #expect(shown == pins, "clusters' parts at zoom \(zoom), \(moment)")
        }
        let stopped = try await app.send(.GET, "/api/v1/incidents/clusters?zoom=5&prevented=true").content.decode(
            ClusterView.self)
        #expect(stopped.total == stoppedPins, "filtered clusters, \(moment)")
        // The incident list and its export.
        struct Total: Decodable { var total: Int }
        let list = try JSONDecoder().decode(
            Total.self, from: Data(try await app.send(.GET, "/api/v1/incidents?perPage=1").body.string.utf8))
        #expect(list.total == pins, "incident list, \(moment)")
        let csv = try await app.send(.GET, "/api/v1/export/incidents.csv")
        #expect(ExportTests.records(csv.body.string).count - 1 == pins, "export, \(moment): \(csv.status)")
        // Statistics count in whole groups of ten (SPEC §6): the total is exact to the group.
        struct Stats: Decodable { var total: PublicCount }
        func stats(_ query: String) async throws -> PublicCount {
            try await app.send(.GET, "/api/v1/stats\(query)").content.decode(Stats.self).total
        }
        #expect(try await stats("") == Disclosure.groupedTotal(every), "statistics, \(moment)")
        #expect(try await stats("?kinds=verbal") == Disclosure.groupedTotal(verbal), "filtered statistics, \(moment)")
        #expect(try await stats("?city=almaty") == Disclosure.groupedTotal(almaty), "a city's statistics, \(moment)")
        // The density layer's city figures.
        let density = try await app.send(.GET, "/api/v1/incidents/density").content.decode(DensityMap.self)
        let almatyFigure = density.cities.first { $0.city == "almaty" }?.total ?? .fewerThanTenReports
        #expect(almatyFigure == Disclosure.groupedTotal(almaty), "density, \(moment)")
        // The home page's count of incidents on the map.
        let home = try await app.send(.GET, "/", headers: ["Accept-Language": "en"]).body.string
        #expect(home.contains("\(app.translations.text("latest_total", .en)) \(pins)<"), "home page, \(moment)")
    }

    /// The statistics made from the kept tallies are the statistics the database counts, for
    /// many filter sets, before and after changes.
    @Test func theKeptTalliesCountWhatTheDatabaseCounts() async throws {
        try await withApp({ $0.rateLimits.enabled = false }) { app in
            _ = try await DemoData.make(count: 400, published: true, app: app, on: app.db, seed: 7)
            _ = try await DemoData.make(count: 30, published: false, app: app, on: app.db, seed: 8)
            let (moderator, _) = try await app.makeModerator()
            var random = SplitMix(seed: 77)
            let months = ["2025-01", "2025-06", "2025-12", "2026-03", "2026-11"]
            for round in 0..<4 {
                for _ in 0..<12 {
                    var filters = IncidentFilters()
                    func chance() -> Bool { random.unit() < 0.4 }
                    if chance() { filters.kinds = [.verbal, .physical].filter { _ in random.unit() < 0.6 } }
                    if chance() {
                        filters.placeTypes = [.street, .public_transport, .workplace].filter { _ in chance() }
                    }
                    if chance() { filters.perpetrator = random.unit() < 0.5 ? .known : .stranger }
                    if chance() { filters.prevented = random.unit() < 0.5 }
                    if chance() { filters.city = random.unit() < 0.5 ? "almaty" : "astana" }
                    if chance() {
                        filters.from = months[Int(random.unit() * 3)] + "-01"
                        filters.to = KazakhstanTime.lastDay(ofMonth: months[3 + Int(random.unit() * 2)])
                    }
                    let (snapshot, tallies) = try await app.publishedSet.answerTallies(filters, on: app.db)
                    let kept = try await StatisticsQueries.compute(filters, snapshot: snapshot, tallies: tallies)
                    let counted = try await StatisticsQueries.compute(filters, on: app.db)
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = .sortedKeys
                    #expect(
                        try encoder.encode(kept) == encoder.encode(counted), "round \(round), \(filters.cacheKey)")
                    // And the map's points, per filter set.
                    let places = try await ClusterQueries.places(filters, app: app, on: app.db)
                    let rows = try await filters.apply(
                        to: app.db.sql().select().column("public_latitude").column("public_longitude")
                            .column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
                            .from(Report.schema).groupBy("public_latitude").groupBy("public_longitude"),
                        pinsOnly: true
                    ).all()
                    var expected: [String: Int] = [:]
                    for row in rows {
                        expected[
                            "\(try row.decode(column: "public_latitude", as: Double.self)),\(try row.decode(column: "public_longitude", as: Double.self))"
                        ] = try row.decode(column: "n", as: Int.self)
                    }
                    let actual = Dictionary(
                        uniqueKeysWithValues: places.map { ("\($0.latitude),\($0.longitude)", $0.total) })
                    #expect(actual == expected, "round \(round), places of \(filters.cacheKey)")
                }
                // Some changes, then the same again: the kept tallies follow them.
                let pending = try await Report.query(on: app.db).filter(\.$status == "pending").limit(5).all()
                for report in pending {
                    try await ModerationService.publish(
                        report, publicDescription: "Незнакомец преследовал и оскорблял на улице вечером.",
                        precision: .grid250, by: moderator, app: app, on: app.db)
                }
                let published = try await Report.query(on: app.db).filter(\.$status == "published").limit(3).all()
                try await ModerationService.reject(published[0], code: .spam, reason: nil, by: moderator, on: app.db)
                try await ReportService.withdraw(published[1], on: app.db)
            }
        }
    }

    /// A filter set many ask for at once, for the first time, is counted once; a publication
    /// then updates it instead of counting it again.
    @Test func aNewFilterSetAskedByManyAtOnceIsCountedOnce() async throws {
        try await withApp({ $0.rateLimits.enabled = false }) { app in
            _ = try await DemoData.make(count: 30, published: true, app: app, on: app.db, seed: 31)
            var verbalOnly = IncidentFilters()
            verbalOnly.kinds = [.verbal]
            let filters = verbalOnly
            let before = try await app.publishedSet.current(on: app.db).version
            #expect(before > 0)
            let counted = app.publishedSet.countings
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<20 {
                    group.addTask { _ = try await app.publishedSet.answerTallies(filters, on: app.db) }
                }
                try await group.waitForAll()
            }
            #expect(app.publishedSet.countings == counted + 1)
            try await app.publish(receipt: try await app.submitReport(["kinds": ["verbal"]]))
            let (_, tallies) = try await app.publishedSet.answerTallies(filters, on: app.db)
            #expect(app.publishedSet.countings == counted + 1, "followed the publication, not counted again")
            let verbal = try await Report.query(on: app.db).filter(\.$status == "published")
                .filter(\.$kindsList ~~ ",verbal,").count()
            #expect(tallies.matching == verbal)
        }
    }

    /// Another instance on the same database sees a change within the counter's lifetime (1 s)
    /// of its commit, though it made none itself: it reads the log and just those reports.
    @Test func anotherInstanceSeesAChangeWithinASecond() async throws {
        try await withApp({ $0.rateLimits.enabled = false }) { app in
            _ = try await DemoData.make(count: 20, published: true, app: app, on: app.db, seed: 3)
            // An instance that shares only the database: no local changes of its own.
            let other = PublishedSet(lifetime: .seconds(1)) { PublicChanges.Local() }
            func pins() async throws -> Int {
                let (_, counts) = try await other.placeCounts(IncidentFilters(), on: app.db)
                return counts.totals.reduce(0) { $0 + Int($1) }
            }
            let before = try await pins()
            let code = try await app.submitReport()
            try await app.publish(receipt: code, precision: "grid250")
            // It may trust what it read for up to a second; then it reads the change, by the
            // log, not the whole set again.
            try await Task.sleep(for: .seconds(1.1))
            #expect(try await pins() == before + 1)
            let id = try await app.report(receipt: code).requireID()
            let log = try await PublicChanges.log(after: 0, upTo: .max, on: app.db)
            #expect(log.values.contains { $0 == [id] })
        }
    }
}
