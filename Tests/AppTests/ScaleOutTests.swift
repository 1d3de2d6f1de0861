import Fluent
import Testing
import Vapor
import VaporTesting

@testable import App

/// Issue #14: several server instances share one database and nothing else (SPEC §5). A report
/// sent to one and published on the other shows on both maps and in both statistics at once,
/// and a moderator signed in on one is signed in on the other.
@Suite struct ScaleOutTests {
    /// Two applications on one database: the PostgreSQL schema in the PostgreSQL run, one SQLite
    /// file otherwise.
    func withTwoInstances(_ test: (Application, Application) async throws -> Void) async throws {
        var config = testConfig()
        if !testsUsePostgres { config.database = .sqliteFile(path: config.dataDirectory + "/dauys.sqlite") }
        if testsUsePostgres { await postgresGate.enter() }
        let first = try await Application.make(.testing)
        let second = try await Application.make(.testing)
        do {
            try FileManager.default.createDirectory(atPath: config.dataDirectory, withIntermediateDirectories: true)
            try await configure(first, config: config)
            try await configure(second, config: config)
            try await test(first, second)
        } catch {
            try? await second.asyncShutdown()
            await cleanUp(first, config: config)
            if testsUsePostgres { await postgresGate.leave() }
            throw error
        }
        try? await second.asyncShutdown()
        await cleanUp(first, config: config)
        if testsUsePostgres { await postgresGate.leave() }
    }

    @Test func aReportSentToOneAndPublishedOnTheOtherShowsOnBoth() async throws {
        try await withTwoInstances { one, other in
            // Nine published reports: the statistics say only "fewer than 10" (SPEC §6), and
            // the tenth turns them into a number.
            _ = try await DemoData.make(count: 9, published: true, app: one, on: one.db, seed: 5)
            // Some of them have no pin (at home, by a partner): the map counts the others.
            let pins = try await Report.query(on: one.db).filter(\.$publicLatitude != nil).count()
            // Both have drawn their maps: each has cached what it saw.
            for app in [one, other] {
                #expect(
                    try await app.send(.GET, "/api/v1/incidents/clusters?zoom=5").content.decode(ClusterView.self).total
                        == pins)
                #expect(try await Self.statsTotal(app) == .fewerThanTenReports)
            }
            let code = try await one.submitReport()
            let id = try await one.report(receipt: code).requireID()

            // A moderator signs in on the first instance and works on the second.
            let session = try await one.signIn(role: .moderator)
            let page = try await other.send(.GET, "/admin/reports/\(id)", headers: ["Cookie": session.cookie])
            #expect(page.status == .ok)
            let published = try await other.send(
                .POST, "/admin/reports/\(id)/publish", headers: ["Cookie": session.cookie],
                form: [
                    ("publicDescription", "Незнакомец преследовал и оскорблял на улице вечером."),
                    ("precision", "grid250"), ("seen", "pending"), ("csrf", session.csrf),
                ])
            #expect(published.status == .seeOther, "\(published.body.string)")

            // Both maps and both statistics show it at once.
            for app in [one, other] {
                let view = try await app.send(.GET, "/api/v1/incidents/clusters?zoom=5").content.decode(
                    ClusterView.self)
                #expect(view.total == pins + 1)
                let list = try await app.send(.GET, "/api/v1/incidents")
                #expect(
                    list.body.string.contains(id.uuidString.lowercased()) || list.body.string.contains(id.uuidString))
                #expect(try await Self.statsTotal(app) == PublicCount(rounded: 10))
            }
            // Taken down on the first: gone from both.
            let (moderator, _) = try await one.makeModerator(role: .moderator)
            try await ModerationService.reject(
                try #require(try await Report.find(id, on: one.db)), code: .spam, reason: nil, by: moderator, on: one.db
            )
            for app in [one, other] {
                #expect(
                    try await app.send(.GET, "/api/v1/incidents/clusters?zoom=5").content.decode(ClusterView.self).total
                        == pins)
                #expect(try await Self.statsTotal(app) == .fewerThanTenReports)
            }
        }
    }

    struct StatsTotal: Decodable { var total: PublicCount }

    static func statsTotal(_ app: Application) async throws -> PublicCount {
        try await app.send(.GET, "/api/v1/stats").content.decode(StatsTotal.self).total
    }
}
