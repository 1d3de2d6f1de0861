import Fluent
import Testing
import Vapor
import VaporTesting

@testable import App

/// Two moderators on one report at the same moment, as happens on a busy morning: exactly one
/// of them acts, the other is told, and the audit log shows one decision.
@Suite struct ModerationRaceTests {
    /// Each moderator loads the report as they would open its page, then both act at once.
    /// On SQLite this runs on a database file, as the server does: an in-memory database shares
    /// one cache between connections and locks differently.
    @Test(arguments: 0..<5)
    func ofTwoModeratorsActingAtOnceExactlyOneDoes(round: Int) async throws {
        try await withApp(Self.onDisk) { app in
            let code = try await app.submitReport()
            let id = try await app.report(receipt: code).requireID()
            let (first, _) = try await app.makeModerator(role: .moderator)
            let (second, _) = try await app.makeModerator(role: .moderator)
            let firstView = try await ModerationService.report(id, on: app.db)
            let secondView = try await ModerationService.report(id, on: app.db)

            async let publishing = Self.outcome {
                try await ModerationService.publish(
                    firstView, publicDescription: "Незнакомец преследовал и оскорблял на улице вечером.",
                    precision: .grid250, by: first, app: app, on: app.db)
            }
            async let rejecting = Self.outcome {
                try await ModerationService.reject(secondView, code: .duplicate, reason: nil, by: second, on: app.db)
            }
            let outcomes = [await publishing, await rejecting]

            #expect(outcomes.filter { $0 == "done" }.count == 1, "\(outcomes)")
            #expect(outcomes.filter { $0 == "conflict" }.count == 1, "\(outcomes)")
            let decisions = try await AuditEntry.query(on: app.db).filter(\.$reportID == id).all().map(\.action)
            #expect(decisions.count == 1, "\(decisions)")
            let stored = try #require(try await Report.find(id, on: app.db))
            if outcomes[0] == "done" {
                #expect(stored.status == "published" && decisions == ["publish"] && stored.rejectionCode == nil)
            } else {
                #expect(stored.status == "rejected" && decisions == ["reject"] && stored.publicLatitude == nil)
            }
        }
    }

    @Test func twoPublishRequestsThroughTheAPIPublishOnce() async throws {
        try await withApp(Self.onDisk) { app in
            let id = try await app.report(receipt: try await app.submitReport()).requireID()
            let (_, firstToken) = try await app.makeModerator(role: .moderator)
            let (_, secondToken) = try await app.makeModerator(role: .moderator)
            let body = ["publicDescription": "Незнакомец преследовал и оскорблял на улице вечером."]
            async let a = app.send(
                .POST, "/api/v1/admin/reports/\(id)/publish", headers: ["Authorization": "Bearer \(firstToken)"],
                json: body)
            async let b = app.send(
                .POST, "/api/v1/admin/reports/\(id)/publish", headers: ["Authorization": "Bearer \(secondToken)"],
                json: body)
            let statuses = [try await a.status, try await b.status].map(\.code).sorted()
            #expect(statuses == [200, 409], "\(statuses)")
            let published = try await AuditEntry.query(on: app.db).filter(\.$reportID == id)
                .filter(\.$action == "publish").count()
            #expect(published == 1)
        }
    }

    /// The page a moderator acts from says what they saw; if the report changed since, the
    /// action is refused even when it would be allowed from the new status.
    @Test func aPageOpenedBeforeAnotherModeratorActedChangesNothing() async throws {
        try await withApp { app in
            let code = try await app.submitReport()
            let id = try await app.report(receipt: code).requireID()
            let hurried = try await app.signIn(role: .moderator)
            let page = try await app.send(.GET, "/admin/reports/\(id)", headers: ["Cookie": hurried.cookie])
            #expect(page.body.string.contains(#"name="seen" value="pending""#))

            // The hurried moderator leaves the page open for more than half an hour; meanwhile a
            // colleague takes the report over and rejects it as a duplicate.
            let opened = try await app.report(receipt: code)
            opened.claimedAt = Date().addingTimeInterval(-ModerationService.claimLifetime - 60)
            try await opened.save(on: app.db)
            let (colleague, _) = try await app.makeModerator(role: .moderator)
            try await ModerationService.reject(
                try await app.report(receipt: code), code: .duplicate, reason: nil, by: colleague, on: app.db)

            // Publishing from a rejected report is allowed, but not from a page that showed it pending.
            let late = try await app.send(
                .POST, "/admin/reports/\(id)/publish", headers: ["Cookie": hurried.cookie],
                form: [
                    ("publicDescription", "Незнакомец преследовал и оскорблял на улице вечером."),
                    ("precision", "grid250"), ("seen", "pending"), ("csrf", hurried.csrf),
                ])
            #expect(late.status == .conflict)
            #expect(late.body.string.contains(app.translations.text("admin_changed_meanwhile", .ru).prefix(30)))
            // The page now shows the report as it is: rejected.
            #expect(late.body.string.contains(#"name="seen" value="rejected""#))
            let stored = try await app.report(receipt: code)
            #expect(stored.status == "rejected" && stored.publicLatitude == nil)

            for action in ["archive", "reject"] {
                let response = try await app.send(
                    .POST, "/admin/reports/\(id)/\(action)", headers: ["Cookie": hurried.cookie],
                    form: [("reasonCode", "spam"), ("seen", "pending"), ("csrf", hurried.csrf)])
                #expect(response.status == .conflict, "\(action)")
            }
            #expect(try await app.report(receipt: code).status == "rejected")

            let nonsense = try await app.send(
                .POST, "/admin/reports/\(id)/archive", headers: ["Cookie": hurried.cookie],
                form: [("seen", "whatever"), ("csrf", hurried.csrf)])
            #expect(nonsense.status == .badRequest)
            #expect(try await app.report(receipt: code).status == "rejected")
        }
    }

    @Test func aReportWithdrawnWhileOpenCannotBePublished() async throws {
        try await withApp { app in
            let code = try await app.submitReport()
            let view = try await app.report(receipt: code)
            let (moderator, _) = try await app.makeModerator(role: .moderator)
            try await ReportService.withdraw(try await app.report(receipt: code), on: app.db)
            await #expect(throws: AppError.self) {
                try await ModerationService.publish(
                    view, publicDescription: "Незнакомец преследовал и оскорблял на улице вечером.",
                    precision: .grid250, by: moderator, app: app, on: app.db)
            }
            #expect(try await Report.query(on: app.db).count() == 0)
        }
    }

    static func onDisk(_ config: inout AppConfig) {
        if !testsUsePostgres { config.database = .sqliteFile(path: config.dataDirectory + "/dauys.sqlite") }
    }

    /// "done", "conflict", or the unexpected error's description.
    static func outcome(_ act: () async throws -> Void) async -> String {
        do {
            try await act()
            return "done"
        } catch let error as AppError where error.status == .conflict {
            return "conflict"
        } catch {
            return String(reflecting: error)
        }
    }
}
