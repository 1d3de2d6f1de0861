import Fluent
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import App

/// Issue #10, point 4: every contact is deleted on time, whatever happened to its report, and a
/// withdrawn report's words leave the database files.
@Suite struct RetentionTests {
    static let day: TimeInterval = 86400

    /// A report with a contact, sent `daysAgo` days before `now`.
    func reportWithContact(_ app: Application, sentDaysAgo daysAgo: Double, now: Date) async throws -> Report {
        let code = try await app.submitReport(["contact": "+7 701 000 00 \(Int.random(in: 10...99))"])
        let report = try await app.report(receipt: code)
        report.createdAt = KazakhstanTime.toTheHour(now.addingTimeInterval(-daysAgo * Self.day))
        try await report.save(on: app.db)
        return report
    }

    func contact(_ app: Application, _ report: Report) async throws -> String? {
        try await Report.find(try report.requireID(), on: app.db)?.contactSealed
    }

    @Test func contactsGoNinetyDaysAfterTheFirstDecisionOrHalfAYearAfterAnUndecidedReport() async throws {
        try await withApp({ $0.rateLimits.enabled = false }) { app in
            let now = Date()
            let (account, _) = try await app.makeModerator()
            func daysAgo(_ days: Double) -> Date { now.addingTimeInterval(-days * Self.day) }
            let text = "Публичный пересказ без подробностей о человеке."

            let publishedLong = try await reportWithContact(app, sentDaysAgo: 100, now: now)
            try await ModerationService.publish(
                publishedLong, publicDescription: text, precision: .grid250, by: account, app: app, on: app.db,
                now: daysAgo(91))
            let publishedRecently = try await reportWithContact(app, sentDaysAgo: 100, now: now)
            try await ModerationService.publish(
                publishedRecently, publicDescription: text, precision: .grid250, by: account, app: app, on: app.db,
                now: daysAgo(89))
            let rejectedLong = try await reportWithContact(app, sentDaysAgo: 100, now: now)
            try await ModerationService.reject(
                rejectedLong, code: .spam, reason: nil, by: account, on: app.db, now: daysAgo(91))
            let archivedLong = try await reportWithContact(app, sentDaysAgo: 100, now: now)
            try await ModerationService.archive(archivedLong, by: account, on: app.db, now: daysAgo(91))
            // Rejected long ago and published again lately: the clock started at the first decision.
            let republished = try await reportWithContact(app, sentDaysAgo: 100, now: now)
            try await ModerationService.reject(
                republished, code: .other, reason: nil, by: account, on: app.db, now: daysAgo(95))
            try await ModerationService.publish(
                republished, publicDescription: text, precision: .grid250, by: account, app: app, on: app.db,
                now: daysAgo(2))
            let pendingLong = try await reportWithContact(app, sentDaysAgo: 181, now: now)
            let pendingRecently = try await reportWithContact(app, sentDaysAgo: 179, now: now)

            let summary = try await Retention.run(on: app.db, now: now)
            #expect(summary.contactsDeleted == 5)
            for gone in [publishedLong, rejectedLong, archivedLong, republished, pendingLong] {
                #expect(try await contact(app, gone) == nil)
            }
            for kept in [publishedRecently, pendingRecently] { #expect(try await contact(app, kept) != nil) }
            // Only the contact goes: the report stays for the statistics.
            #expect(try await Report.find(try publishedLong.requireID(), on: app.db)?.status == "published")
            #expect(try await Retention.run(on: app.db, now: now).contactsDeleted == 0)
        }
    }

    @Test func aWithdrawnReportTakesItsContactWithIt() async throws {
        try await withApp { app in
            let code = try await app.submitReport(["contact": "withdrawn.contact@example.kz"])
            let id = try await app.report(receipt: code).requireID()
            #expect(try await app.send(.DELETE, "/api/v1/receipt", json: ["code": code]).status == .noContent)
            #expect(try await Report.find(id, on: app.db) == nil)
        }
    }

    /// Every byte of the SQLite database as it lies on disk: the file, its log and shared memory.
    func filesOnDisk(_ folder: String) -> [String: Data] {
        var files: [String: Data] = [:]
        for name in ["dauys.sqlite", "dauys.sqlite-wal", "dauys.sqlite-shm"] {
            files[name] = FileManager.default.contents(atPath: folder + "/" + name) ?? Data()
        }
        return files
    }

    @Test(.enabled(if: !testsUsePostgres, "SQLite's files only exist on the SQLite run"))
    func withdrawnWordsLeaveTheSQLiteFiles() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dauys-wipe-\(UUID())").path
        try await withApp({ config in
            config.dataDirectory = folder
            config.database = .sqliteFile(path: folder + "/dauys.sqlite")
        }) { app in
            let kept = "KEPTSENTINEL Мужчина преследовал меня в парке до самого выхода."
            let viaAPI = "APIWIPESENTINEL Он стоял у подъезда каждый вечер и ждал меня."
            let viaWeb = "WEBWIPESENTINEL Водитель такси не выпускал меня из машины."
            let keptCode = try await app.submitReport(["description": kept])
            let apiCode = try await app.submitReport(["description": viaAPI])
            let webCode = try await app.submitReport(["description": viaWeb])
            let before = filesOnDisk(folder)
            #expect(
                before.values.contains { $0.range(of: Data(viaAPI.utf8)) != nil }, "the test must see the text first")

            #expect(try await app.send(.DELETE, "/api/v1/receipt", json: ["code": apiCode]).status == .noContent)
            let page = try await app.send(.POST, "/check/delete", form: [("code", webCode), ("confirm", "yes")])
            #expect(page.status == .ok)

            for (name, bytes) in filesOnDisk(folder) {
                for word in ["APIWIPESENTINEL", "WEBWIPESENTINEL", "подъезда", "такси не выпускал"] {
                    #expect(bytes.range(of: Data(word.utf8)) == nil, "\(name) still holds \(word)")
                }
            }
            // The report that was not withdrawn is still there, on disk too.
            #expect(try await ReportService.find(receipt: keptCode, app: app, on: app.db) != nil)
            try await StorageHygiene.foldWriteAheadLog(on: app.db)
            #expect(filesOnDisk(folder)["dauys.sqlite"]?.range(of: Data("KEPTSENTINEL".utf8)) != nil)
        }
    }
}
