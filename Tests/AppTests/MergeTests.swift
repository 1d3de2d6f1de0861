import Fluent
import Testing
import Vapor
import VaporTesting

@testable import App

/// Issue #13: two people report one incident; a moderator merges the second into the first. The
/// public map counts it once and both reporters follow the one report with their own codes.
@Suite struct MergeTests {
    @Test func aMergedDuplicateIsCountedOnceAndBothReceiptsShowTheJoinedReport() async throws {
        try await withApp { app in
            let first = try await app.submitReport()
            let second = try await app.submitReport([
                "date": "2025-03-09", "description": "Тот же мужчина у ЦУМа кричал оскорбления мне и подруге.",
            ])
            let firstID = try await app.report(receipt: first).requireID()
            let secondID = try await app.report(receipt: second).requireID()
            let moderator = try await app.signIn(role: .moderator)

            // The second report's page suggests the first as a possible duplicate.
            let page = try await app.send(.GET, "/admin/reports/\(secondID)", headers: ["Cookie": moderator.cookie])
            #expect(page.body.string.contains(#"<ul id="merge-candidates">"#))
            #expect(page.body.string.contains("/admin/reports/\(firstID)"))

            let merged = try await app.send(
                .POST, "/admin/reports/\(secondID)/merge", headers: ["Cookie": moderator.cookie],
                form: [("into", firstID.uuidString), ("seen", "pending"), ("csrf", moderator.csrf)])
            #expect(merged.status == .ok)
            #expect(merged.body.string.contains(#"id="merged-into""#))
            let duplicate = try await app.report(receipt: second)
            #expect(duplicate.status == "archived" && duplicate.mergedInto == firstID)
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "merge").count() == 1)

            // Publishing the first puts one incident on the map.
            try await app.publish(receipt: first)
            let map = try await app.send(.GET, "/api/v1/incidents")
            #expect(map.body.string.components(separatedBy: #""type":"Feature""#).count - 1 == 1)

            // Both reporters read the joined report: published, with its public text.
            for code in [first, second] {
                let view = try await app.send(.POST, "/api/v1/receipt", json: ["code": code]).content.decode(
                    ReceiptView.self)
                #expect(view.status == "published" && view.publicVersion?.id == firstID, "\(view)")
                #expect(view.merged == (code == second))
            }
            // The second reporter's own day stays theirs; the check page says what happened.
            let checked = try await app.send(.POST, "/check?lang=en", form: [("code", second)])
            #expect(checked.body.string.contains(app.translations.text("receipt_merged", .en).prefix(40)))

            // The first report's page lists what was merged into it.
            let firstPage = try await app.send(
                .GET, "/admin/reports/\(firstID)", headers: ["Cookie": moderator.cookie])
            #expect(firstPage.body.string.contains(#"<ul id="merged-here">"#))
        }
    }

    @Test func theJoinedReportsModeratorNoteIsNotShownToTheOtherReporter() async throws {
        try await withApp { app in
            let first = try await app.submitReport()
            let second = try await app.submitReport()
            let (moderator, _) = try await app.makeModerator(role: .moderator)
            try await ModerationService.merge(
                try await app.report(receipt: second), into: try await app.report(receipt: first).requireID(),
                by: moderator, on: app.db)
            try await ModerationService.reject(
                try await app.report(receipt: first), code: .insufficient_detail,
                reason: "Айгерим, напишите, пожалуйста, в какой день это было.", by: moderator, on: app.db)
            let view = try await app.send(.POST, "/api/v1/receipt", json: ["code": second]).content.decode(
                ReceiptView.self)
            #expect(view.status == "rejected" && view.rejectionCode == "insufficient_detail")
            #expect(view.rejectionReason == nil)
            #expect(!(try await app.send(.POST, "/check", form: [("code", second)]).body.string.contains("Айгерим")))
        }
    }

    @Test func badMergesAreRefusedByNameAndChangeNothing() async throws {
        try await withApp { app in
            let a = try await app.report(receipt: try await app.submitReport())
            let b = try await app.report(receipt: try await app.submitReport())
            let c = try await app.report(receipt: try await app.submitReport())
            let (moderator, token) = try await app.makeModerator(role: .moderator)
            let bearer: HTTPHeaders = ["Authorization": "Bearer \(token)"]
            let aID = try a.requireID(), bID = try b.requireID(), cID = try c.requireID()

            for (into, key) in [
                (aID.uuidString, "admin_merge_self"), (UUID().uuidString, "admin_merge_unknown"),
                ("not-an-id", "admin_merge_unknown"), ("", "error_required"),
            ] {
                let response = try await app.send(
                    .POST, "/api/v1/admin/reports/\(aID)/merge?lang=en", headers: bearer, json: ["into": into])
                #expect(response.status == .badRequest, "\(into)")
                #expect(response.body.string.contains(app.translations.text(key, .en).prefix(20)), "\(into)")
            }
            #expect(try await Report.find(aID, on: app.db)?.status == "pending")

            // b joins c; then nothing can join b, and a joining c leaves no chain.
            let joined = try await app.send(
                .POST, "/api/v1/admin/reports/\(bID)/merge", headers: bearer, json: ["into": cID.uuidString])
            #expect(joined.status == .ok)
            #expect(try joined.content.decode(AdminAPIController.ReportDTO.self).mergedInto == cID)
            let intoMerged = try await app.send(
                .POST, "/api/v1/admin/reports/\(aID)/merge", headers: bearer, json: ["into": bID.uuidString])
            #expect(intoMerged.status == .badRequest)
            #expect(try await Report.find(aID, on: app.db)?.status == "pending")
            let again = try await app.send(
                .POST, "/api/v1/admin/reports/\(bID)/merge", headers: bearer, json: ["into": aID.uuidString])
            #expect(again.status == .conflict)

            // c, which b joined, now joins a: b moves along to a.
            try await ModerationService.merge(
                try #require(try await Report.find(cID, on: app.db)), into: aID, by: moderator, on: app.db)
            #expect(try await Report.find(bID, on: app.db)?.mergedInto == aID)
            #expect(try await Report.find(cID, on: app.db)?.mergedInto == aID)
        }
    }

    /// Two moderators, each merging one of two reports into the other, at the same moment.
    @Test(arguments: 0..<3)
    func crossingMergesNeverMakeALoop(round: Int) async throws {
        try await withApp(ModerationRaceTests.onDisk) { app in
            let a = try await app.report(receipt: try await app.submitReport())
            let b = try await app.report(receipt: try await app.submitReport())
            let (first, _) = try await app.makeModerator(role: .moderator)
            let (second, _) = try await app.makeModerator(role: .moderator)
            let aID = try a.requireID(), bID = try b.requireID()
            async let one = ModerationRaceTests.outcome {
                try await ModerationService.merge(a, into: bID, by: first, on: app.db)
            }
            async let two = ModerationRaceTests.outcome {
                try await ModerationService.merge(b, into: aID, by: second, on: app.db)
            }
            let outcomes = [await one, await two]
            #expect(outcomes.filter { $0 == "done" }.count == 1, "\(outcomes)")
            let stored = try await Report.query(on: app.db).all()
            #expect(stored.filter { $0.mergedInto != nil }.count == 1)
            #expect(stored.filter { $0.status == "pending" }.count == 1)
        }
    }

    @Test func withdrawingTheJoinedReportSendsTheDuplicateBackToTheQueue() async throws {
        try await withApp { app in
            let first = try await app.submitReport()
            let second = try await app.submitReport()
            let (moderator, _) = try await app.makeModerator(role: .moderator)
            try await ModerationService.merge(
                try await app.report(receipt: second), into: try await app.report(receipt: first).requireID(),
                by: moderator, on: app.db)
            let withdrawn = try await app.send(.DELETE, "/api/v1/receipt", json: ["code": first])
            #expect(withdrawn.status.code < 300)
            let left = try await app.report(receipt: second)
            #expect(left.status == "pending" && left.mergedInto == nil)
            // Undecided again: its contact is kept by the rule for pending reports, not the merge's date.
            #expect(left.closedAt == nil)
        }
    }
}
