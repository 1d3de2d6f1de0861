import Fluent
import Testing
import Vapor
import VaporTesting

@testable import App

/// Issue #13: publishing or rejecting many reports at once, each still through the rules of one
/// at a time (redaction, compare-and-set, claims). Issue #21: a report without a saved text is
/// published with the text written from its answers, never with the reporter's words.
@Suite struct BulkTests {
    @Test func bulkPublishingTakesEachSavedTextThroughTheSameChecks() async throws {
        try await withApp({ $0.rateLimits.enabled = false }) { app in
            var ready: [UUID] = []
            for _ in 0..<3 {
                let report = try await app.report(receipt: try await app.submitReport())
                report.publicDescription = "Незнакомец преследовал и оскорблял на улице вечером."
                try await report.save(on: app.db)
                ready.append(try report.requireID())
            }
            let noText = try await app.report(receipt: try await app.submitReport()).requireID()
            let identifying = try await app.report(receipt: try await app.submitReport())
            identifying.publicDescription = "Мужчина кричал, его номер +7 701 555 12 34, вечером у остановки."
            try await identifying.save(on: app.db)
            let quoting = try await app.report(receipt: try await app.submitReport())
            quoting.publicDescription = "Мужчина шёл за мной от остановки и выкрикивал оскорбления, так пишет автор."
            try await quoting.save(on: app.db)
            let held = try await app.report(receipt: try await app.submitReport())
            let (colleague, _) = try await app.makeModerator(role: .moderator)
            held.publicDescription = "Незнакомец преследовал и оскорблял на улице вечером."
            held.claimedBy = colleague.id
            held.claimedAt = Date()
            try await held.save(on: app.db)

            let session = try await app.signIn(role: .moderator)
            let page = try await app.send(.GET, "/admin", headers: ["Cookie": session.cookie]).body.string
            #expect(page.contains(#"name="ids[]""#) && page.contains(#"id="bulk-publish""#))
            let chosen = ready + [noText, try identifying.requireID(), try quoting.requireID(), try held.requireID()]
            let response = try await app.send(
                .POST, "/admin/bulk?lang=en", headers: ["Cookie": session.cookie],
                form: chosen.map { ("ids[]", $0.uuidString) } + [("action", "publish"), ("csrf", session.csrf)])
            #expect(response.status == .ok)
            let body = response.body.string
            #expect(body.contains("Published: 4."))
            for (id, key) in [
                (try identifying.requireID(), "admin_bulk_public_text_refused"),
                (try quoting.requireID(), "admin_bulk_public_text_refused"),
                (try held.requireID(), "admin_bulk_changed"),
            ] {
                let words = app.translations.text(key, .en).replacingOccurrences(of: "'", with: "&#39;")
                #expect(body.contains(String(id.uuidString.prefix(8)) + " — " + words), "\(key)")
                #expect(try await Report.find(id, on: app.db)?.status == "pending")
            }
            for id in ready { #expect(try await Report.find(id, on: app.db)?.status == "published") }
            // The one without a saved text went out with the text written from its answers.
            let fromAnswers = try #require(try await Report.find(noText, on: app.db))
            #expect(fromAnswers.status == "published")
            #expect(fromAnswers.publicDescription == PublicationReviewTests.fromTheAnswers)
            for word in ["шёл", "мной", "остановки", "выкрикивал", "Қорқынышты"] {
                #expect(fromAnswers.publicDescription?.contains(word) == false, "\(word)")
            }
            #expect(!body.contains(String(noText.uuidString.prefix(8))))
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "publish").count() == 4)
        }
    }

    @Test func bulkRejectingNeedsAReasonAndChosenReports() async throws {
        try await withApp({ $0.rateLimits.enabled = false }) { app in
            let ids = [
                try await app.report(receipt: try await app.submitReport()).requireID(),
                try await app.report(receipt: try await app.submitReport()).requireID(),
            ]
            let session = try await app.signIn(role: .moderator)
            let chosen = ids.map { ("ids[]", $0.uuidString) }
            for (form, why) in [
                (chosen + [("action", "reject")], "no reason"),
                ([("action", "reject"), ("reasonCode", "spam")], "nothing chosen"),
                (chosen + [("action", "delete-all")], "an unknown action"),
                ([("ids[]", "not-an-id"), ("action", "reject"), ("reasonCode", "spam")], "a bad id"),
                (
                    (0..<51).map { _ in ("ids[]", UUID().uuidString) } + [
                        ("action", "reject"), ("reasonCode", "spam"),
                    ], "too many"
                ),
            ] {
                let refused = try await app.send(
                    .POST, "/admin/bulk", headers: ["Cookie": session.cookie], form: form + [("csrf", session.csrf)])
                #expect(refused.status == .badRequest, "\(why)")
            }
            #expect(try await Report.query(on: app.db).filter(\.$status == "pending").count() == 2)

            let rejected = try await app.send(
                .POST, "/admin/bulk?lang=en", headers: ["Cookie": session.cookie],
                form: chosen + [("action", "reject"), ("reasonCode", "duplicate"), ("csrf", session.csrf)])
            #expect(rejected.body.string.contains("Rejected: 2."))
            for id in ids {
                let report = try #require(try await Report.find(id, on: app.db))
                #expect(report.status == "rejected" && report.rejectionCode == "duplicate")
            }
        }
    }
}
