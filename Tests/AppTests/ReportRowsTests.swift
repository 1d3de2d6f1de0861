import Fluent
import Testing
import Vapor

@testable import App

/// New reports are written as plain SQL rows (issue #14), not through Fluent's reflection: every
/// field must still arrive, exactly as Fluent would have stored it.
@Suite struct ReportRowsTests {
    @Test func theRowNamesEveryFieldOfTheModel() throws {
        let report = Report()
        report.id = UUID()
        let written = try ReportRows.columns(of: report).map(\.name)
        #expect(Set(written) == Set(Report.keys.map(\.description)))
        #expect(written.count == Set(written).count, "no column twice")
    }

    @Test func aWrittenRowReadsBackFieldForField() async throws {
        try await withApp { app in
            var random = SplitMix(seed: 7)
            let cities = try await allCities(on: app.db)
            let (report, retold) = DemoData.makeReport(
                city: cities[0], days: ["2025-03-08"], random: &random, hash: "hash")
            report.id = UUID()
            report.contactSealed = "sealed"
            report.landmark = "near the fountain"
            report.claimedBy = UUID()
            report.claimedAt = KazakhstanTime.toTheHour(Date())
            ModerationService.applyPublicVersion(
                to: report, text: retold, precision: .km1,
                cityCentre: .init(latitude: cities[0].latitude, longitude: cities[0].longitude),
                key: app.secrets.locationKey, now: Date())
            try await ReportRows.insert([report], randomRowIDs: true, on: app.db)
            #expect(report.$id.exists)

            let stored = try #require(try await Report.find(report.id, on: app.db))
            for key in Report.keys {
                let name = key.description
                let written = try ReportRows.columns(of: report).first { $0.name == name }
                let read = try ReportRows.columns(of: stored).first { $0.name == name }
                #expect(
                    String(describing: written?.value) == String(describing: read?.value), "\(name) changed on the way")
            }
        }
    }
}
