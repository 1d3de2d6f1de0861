import Fluent
import Testing
import Vapor
import VaporTesting

@testable import App

/// Issue #13: opening a report claims it; another moderator sees who has it and since when,
/// cannot act on it, and can take it over after 30 minutes.
@Suite struct ClaimTests {
    @Test func anOpenReportIsHeldAndCanBeTakenOverAfterHalfAnHour() async throws {
        try await withApp { app in
            let code = try await app.submitReport()
            let id = try await app.report(receipt: code).requireID()
            let (first, _) = try await app.makeModerator(role: .moderator)
            let firstSession = try await app.signIn(email: first.email, password: "correct horse battery staple")
            let second = try await app.signIn(role: .moderator)

            let opened = try await app.send(.GET, "/admin/reports/\(id)", headers: ["Cookie": firstSession.cookie])
            #expect(!opened.body.string.contains("claimed-elsewhere"))
            #expect(try await app.report(receipt: code).claimedBy == first.id)

            let seen = try await app.send(.GET, "/admin/reports/\(id)?lang=en", headers: ["Cookie": second.cookie])
            #expect(seen.body.string.contains(#"id="claimed-elsewhere""#) && seen.body.string.contains(first.email))
            #expect(
                !seen.body.string.contains(#"id="publish-button""#) && !seen.body.string.contains(#"id="reject-form""#))
            // Sending the form anyway changes nothing.
            let refused = try await app.send(
                .POST, "/admin/reports/\(id)/reject", headers: ["Cookie": second.cookie],
                form: [("reasonCode", "spam"), ("seen", "pending"), ("csrf", second.csrf)])
            #expect(refused.status == .conflict)
            let saved = try await app.send(
                .POST, "/admin/reports/\(id)/save", headers: ["Cookie": second.cookie],
                form: [
                    ("publicDescription", "Незнакомец преследовал и оскорблял на улице вечером."),
                    ("csrf", second.csrf),
                ])
            #expect(saved.status == .conflict)
            #expect(try await app.report(receipt: code).status == "pending")
            #expect(try await app.report(receipt: code).publicDescription == nil)

            // Half an hour later the second moderator takes it over, and the first can no longer act.
            let held = try await app.report(receipt: code)
            held.claimedAt = Date().addingTimeInterval(-ModerationService.claimLifetime - 60)
            try await held.save(on: app.db)
            let takenOver = try await app.send(.GET, "/admin/reports/\(id)", headers: ["Cookie": second.cookie])
            #expect(takenOver.body.string.contains(#"id="publish-button""#))
            #expect(try await app.report(receipt: code).claimedBy != first.id)
            let late = try await app.send(
                .POST, "/admin/reports/\(id)/archive", headers: ["Cookie": firstSession.cookie],
                form: [("seen", "pending"), ("csrf", firstSession.csrf)])
            #expect(late.status == .conflict)

            let rejected = try await app.send(
                .POST, "/admin/reports/\(id)/reject", headers: ["Cookie": second.cookie],
                form: [("reasonCode", "spam"), ("seen", "pending"), ("csrf", second.csrf)])
            #expect(rejected.status == .seeOther)
            let decided = try await app.report(receipt: code)
            #expect(decided.status == "rejected" && decided.claimedBy == nil && decided.claimedAt == nil)
            #expect(
                try await AuditEntry.query(on: app.db).filter(\.$action == "view_original").filter(\.$reportID == id)
                    .count() >= 3)
        }
    }

    @Test func twoModeratorsOpeningAtOnceDoNotBothHoldIt() async throws {
        try await withApp({
            if !testsUsePostgres { $0.database = .sqliteFile(path: $0.dataDirectory + "/dauys.sqlite") }
        }) { app in
            let report = try await app.report(receipt: try await app.submitReport())
            let (a, _) = try await app.makeModerator(role: .moderator)
            let (b, _) = try await app.makeModerator(role: .moderator)
            let first = try await ModerationService.report(report.requireID(), on: app.db)
            let second = try await ModerationService.report(report.requireID(), on: app.db)
            async let claimA = ModerationService.claim(first, by: a, on: app.db)
            async let claimB = ModerationService.claim(second, by: b, on: app.db)
            let others = [try await claimA, try await claimB]
            #expect(others.filter { $0 == nil }.count == 1, "exactly one holds it")
            let holder = try #require(try await Report.find(report.requireID(), on: app.db)?.claimedBy)
            #expect(others.compactMap { $0?.email } == [holder == a.id ? a.email : b.email])
        }
    }
}
