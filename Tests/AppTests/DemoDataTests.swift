import Fluent
import Testing
import Vapor

@testable import App

@Suite struct DemoDataTests {
    @Test func demoReportsAreRealisticAndFollowEveryRule() async throws {
        try await withApp { app in
            let made = try await DemoData.make(count: 300, published: true, app: app, on: app.db, seed: 42)
            #expect(made == 300)
            let reports = try await Report.query(on: app.db).all()
            #expect(reports.count == 300)
            let cities = Set(reports.map(\.city))
            #expect(cities.count > 10 && cities.contains("almaty"))
            #expect(Set(reports.map(\.prevented)) == [true, false])
            for report in reports {
                #expect(report.isDemo && report.status == "published")
                #expect(KazakhstanBounds.contains(latitude: report.latitude, longitude: report.longitude))
                #expect(report.incidentDate <= KazakhstanTime.today() && report.incidentDate >= "2000-01-01")
                #expect(ReportRules.descriptionLength.contains(report.description.count))
                #expect(!report.kinds.isEmpty)
                #expect((report.perpetrator == "known") == (report.perpetratorRelation != nil))
                #expect(report.prevented == (report.preventedBy != nil))
                #expect((report.publicLatitude != nil) == report.mayHavePin)
            }
            // They show on the public map like real ones.
            let page = try await IncidentQueries.page(IncidentFilters(), app: app, on: app.db)
            #expect(page.total == reports.filter(\.mayHavePin).count)
        }
    }

    @Test func theCommandRefusesToMixWithRealReports() async throws {
        try await withApp { app in
            try await app.submitReport()
            let console = TestConsole()
            var context = CommandContext(console: console, input: CommandInput(arguments: ["dauys", "--count", "5"]))
            context.application = app
            await #expect(throws: CommandFailure.self) { try await DemoDataCommand().run(using: &context) }
            #expect(try await Report.query(on: app.db).count() == 1)

            var forced = CommandContext(
                console: console, input: CommandInput(arguments: ["dauys", "--count", "5", "--force"]))
            forced.application = app
            try await DemoDataCommand().run(using: &forced)
            #expect(try await Report.query(on: app.db).count() == 6)
        }
    }
}

/// A console that keeps what commands print.
final class TestConsole: Console, @unchecked Sendable {
    var output = ""
    var userInfo: [AnySendableHashable: any Sendable] = [:]
    var size: (width: Int, height: Int) { (80, 24) }
    func input(isSecure: Bool) -> String { "" }
    func output(_ text: ConsoleText, newLine: Bool) { output += text.description + (newLine ? "\n" : "") }
    func clear(_ type: ConsoleClear) {}
    func report(error: String, newLine: Bool) { output += error + (newLine ? "\n" : "") }
}
