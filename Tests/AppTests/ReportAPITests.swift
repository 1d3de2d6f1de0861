import Fluent
import Testing
import Vapor
import VaporTesting

@testable import App

@Suite struct ReportAPITests {
    @Test func submittingAReportReturnsAReceiptAndStoresOnlyItsHash() async throws {
        try await withApp { app in
            let response = try await app.send(
                .POST, "/api/v1/reports", json: validReportJSON(["contact": "+7 701 000 00 00"]))
            #expect(response.status == .created)
            let receipt = try response.content.decode(ReportService.Receipt.self)
            #expect(receipt.status == "pending")
            #expect(
                receipt.receipt.range(of: #"^[2-9A-HJ-NP-Z]{4}(-[2-9A-HJ-NP-Z]{4}){3}$"#, options: .regularExpression)
                    != nil)

            let report = try await app.report(receipt: receipt.receipt)
            #expect(report.status == "pending")
            #expect(report.source == "web")
            #expect(report.kinds == [.catcalling, .verbal])
            #expect(report.timeBand == "evening")
            #expect(report.description.contains("😡"))
            // Neither the code nor the contact is stored readable.
            #expect(
                report.receiptHash
                    == ReceiptCode.keyedHash(for: receipt.receipt, key: app.secrets.receiptHashKey)
                    && !report.receiptHash.contains(receipt.receipt))
            #expect(report.receiptLookup.count == 12)
            let sealed = try #require(report.contactSealed)
            #expect(!sealed.contains("701"))
            #expect(ContactSealing.open(sealed, key: app.secrets.contactKey) == "+7 701 000 00 00")
        }
    }

    @Test func badInputNamesTheFieldInTheReportersLanguageAndStoresNothing() async throws {
        try await withApp { app in
            let response = try await app.send(
                .POST, "/api/v1/reports", headers: ["Accept-Language": "kk"],
                json: validReportJSON(["date": "2099-01-01", "description": "қысқа", "language": nil]))
            #expect(response.status == .badRequest)
            let body = try response.content.decode(ErrorBody.self)
            #expect(body.error.code == "validation_failed")
            #expect(body.error.fields?["date"] == app.translations.text("error_date_future", .kk))
            #expect(body.error.fields?["description"] == app.translations.text("error_description_length", .kk))
            #expect(try await Report.query(on: app.db).count() == 0)

            let russian = try await app.send(.POST, "/api/v1/reports", json: validReportJSON(["latitude": 60.0]))
            #expect(try errorFields(russian)["latitude"] == app.translations.text("error_outside_kazakhstan", .ru))
        }
    }

    @Test func malformedBodiesGetAClearErrorNotACrash() async throws {
        try await withApp { app in
            let wrongType = try await app.send(.POST, "/api/v1/reports", json: validReportJSON(["latitude": "forty"]))
            #expect(wrongType.status == .badRequest)
            #expect(try errorFields(wrongType)["latitude"] != nil)

            let notJSON = try await app.send(
                .POST, "/api/v1/reports", headers: ["Content-Type": "application/json"], form: nil)
            #expect(notJSON.status.code >= 400 && notJSON.status.code < 500)

            let array = try await app.send(.POST, "/api/v1/reports", json: [1, 2, 3])
            #expect(array.status == .badRequest)
            #expect(try await Report.query(on: app.db).count() == 0)
        }
    }

    @Test func theReporterChecksAndDeletesWithTheCode() async throws {
        try await withApp { app in
            let code = try await app.submitReport()
            let status = try await app.send(.POST, "/api/v1/receipt", json: ["code": code.lowercased()])
            #expect(status.status == .ok)
            let dto = try status.content.decode(ReceiptView.self)
            #expect(dto.status == "pending")
            #expect(dto.publicVersion == nil)

            let wrong = try await app.send(.POST, "/api/v1/receipt", json: ["code": ReceiptCode.generate()])
            #expect(wrong.status == .notFound)
            let malformed = try await app.send(.POST, "/api/v1/receipt", json: ["code": "nope"])
            #expect(try errorFields(malformed)["code"] != nil)

            let deleted = try await app.send(.DELETE, "/api/v1/receipt", json: ["code": code])
            #expect(deleted.status == .noContent)
            #expect(try await Report.query(on: app.db).count() == 0)
            let again = try await app.send(.POST, "/api/v1/receipt", json: ["code": code])
            #expect(again.status == .notFound)
        }
    }

    @Test func aRejectedReportShowsTheReasonToTheReporter() async throws {
        try await withApp { app in
            let code = try await app.submitReport()
            let (_, token) = try await app.makeModerator(role: .moderator)
            let id = try await app.report(receipt: code).requireID()
            let response = try await app.send(
                .POST, "/api/v1/admin/reports/\(id)/reject", headers: ["Authorization": "Bearer \(token)"],
                json: ["reasonCode": "insufficient_detail", "reason": "Напишите, пожалуйста, чуть подробнее."])
            #expect(response.status == .ok)
            let dto = try await app.send(.POST, "/api/v1/receipt", json: ["code": code]).content.decode(
                ReceiptView.self)
            #expect(dto.status == "rejected")
            #expect(dto.rejectionCode == "insufficient_detail")
            #expect(dto.rejectionReason == "Напишите, пожалуйста, чуть подробнее.")
        }
    }

    @Test func citiesComeInTheAskedLanguage() async throws {
        try await withApp { app in
            let response = try await app.send(.GET, "/api/v1/cities?lang=kk")
            let cities = try response.content.decode([MapAPIController.CityDTO].self)
            #expect(cities.count == CityCatalog.all.count)
            #expect(cities.first { $0.slug == "aktobe" }?.name == "Ақтөбе")
            #expect(cities.first { $0.slug == "oral" }?.names["ru"] == "Уральск")
            let bad = try await app.send(.GET, "/api/v1/cities?lang=de")
            #expect(bad.status == .badRequest)
        }
    }

    @Test func healthAnswersWhenTheDatabaseDoes() async throws {
        try await withApp { app in
            let response = try await app.send(.GET, "/healthz")
            #expect(response.status == .ok)
        }
    }
}

/// Issue #14: reports that arrive together are committed together, each answered only once its
/// group is durable, and one report that cannot be stored does not fail the others.
@Suite struct GroupCommitTests {
    /// A SQLite file, as the server uses, and no abuse limits: this is a load, not an abuse.
    static func loaded(_ config: inout AppConfig) {
        ModerationRaceTests.onDisk(&config)
        config.rateLimits.enabled = false
    }

    @Test func reportsArrivingTogetherShareCommitsAndAreAllKept() async throws {
        try await withApp(Self.loaded) { app in
            let codes = try await withThrowingTaskGroup(of: String.self) { group in
                for n in 0..<120 {
                    group.addTask {
                        let response = try await app.send(
                            .POST, "/api/v1/reports", json: validReportJSON(["landmark": "остановка \(n)"]))
                        #expect(response.status == .created)
                        return try response.content.decode(ReportService.Receipt.self).receipt
                    }
                }
                var all: [String] = []
                for try await code in group { all.append(code) }
                return all
            }
            #expect(Set(codes).count == 120)
            for code in codes { #expect(try await ReportService.find(receipt: code, app: app, on: app.db) != nil) }
            #expect(app.submissionWriter.commits < 120, "\(app.submissionWriter.commits) commits for 120 reports")
        }
    }

    @Test func aReportThatCannotBeStoredDoesNotFailItsGroup() async throws {
        try await withApp(Self.loaded) { app in
            let broken = Report()
            broken.id = UUID()  // no fields at all: the database refuses it
            let results = try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    do {
                        try await app.submissionWriter.store(broken, on: app.db)
                        return true
                    } catch { return false }
                }
                for n in 0..<20 {
                    group.addTask {
                        try await app.send(.POST, "/api/v1/reports", json: validReportJSON(["landmark": "дом \(n)"]))
                            .status == .created
                    }
                }
                var all: [Bool] = []
                for try await result in group { all.append(result) }
                return all
            }
            #expect(results.filter { $0 }.count == 20 && results.filter { !$0 }.count == 1)
            #expect(try await Report.query(on: app.db).count() == 20)
        }
    }
}
