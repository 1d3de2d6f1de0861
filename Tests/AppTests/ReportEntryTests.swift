import Fluent
import Testing
import Vapor
import VaporTesting

@testable import App

/// Issue #13: a moderator enters a report a woman gave over the phone; her contact is kept only
/// when she asked for it, and she gets the code by the same call.
@Suite struct ReportEntryTests {
    static func entry(_ csrf: String, _ changes: [String: String] = [:]) -> [(String, String)] {
        var form = WebPagesTests.noScriptForm(
            [
                "role": "victim",
                "description": "Позвонила на горячую линию: начальник отдела пишет ей ночью и трогает на совещаниях.",
                "placeType": "workplace", "perpetrator": "known", "perpetratorRelation": "superior", "prevented": "no",
                "preventedBy": "",
            ].merging(changes) { _, new in new })
        form += [("csrf", csrf), ("reportLanguage", changes["reportLanguage"] ?? "kk")]
        if let keep = changes["keepContact"] { form.append(("keepContact", keep)) }
        return form
    }

    @Test func aReportTakenByPhoneKeepsNoContactAndShowsTheCodeOnce() async throws {
        try await withApp { app in
            let moderator = try await app.signIn(role: .moderator)
            let page = try await app.send(.GET, "/admin/reports/new", headers: ["Cookie": moderator.cookie])
            #expect(page.status == .ok)
            #expect(
                page.body.string.contains(#"id="keepContact""#)
                    && !page.body.string.contains("keepContact\" value=\"yes\" checked"))

            let saved = try await app.send(
                .POST, "/admin/reports/new?lang=en", headers: ["Cookie": moderator.cookie],
                form: Self.entry(moderator.csrf))
            #expect(saved.status == .created, "\(saved.body.string.prefix(3000))")
            let code = try #require(saved.body.string.firstMatch(of: /id="receipt-code">([A-Z0-9-]{19})</)?.1)
            let report = try await app.report(receipt: String(code))
            #expect(report.source == "moderator" && report.status == "pending" && report.language == "kk")
            #expect(report.contactSealed == nil && report.perpetratorRelation == "superior")
            let audit = try await AuditEntry.query(on: app.db).filter(\.$action == "enter_report").all()
            #expect(audit.count == 1 && audit[0].reportID == report.id)

            // It waits in the queue like any other, filterable by its source.
            let queue = try await app.send(.GET, "/admin?source=moderator", headers: ["Cookie": moderator.cookie])
            #expect(queue.body.string.contains(try report.requireID().uuidString))
            // The person checks it with the code the moderator read out, in her language.
            let checked = try await app.send(.POST, "/api/v1/receipt", json: ["code": String(code)])
            #expect(try checked.content.decode(ReceiptView.self).status == "pending")
        }
    }

    @Test func aContactIsKeptOnlyWithTheTickAndIsRefusedWithoutIt() async throws {
        try await withApp { app in
            let moderator = try await app.signIn(role: .moderator)
            let refused = try await app.send(
                .POST, "/admin/reports/new?lang=ru", headers: ["Cookie": moderator.cookie],
                form: Self.entry(moderator.csrf, ["contact": "+7 701 000 00 00"]))
            #expect(refused.status == .badRequest)
            #expect(refused.body.string.contains(app.translations.text("admin_entry_contact_unconfirmed", .ru)))
            #expect(refused.body.string.contains(#"value="+7 701 000 00 00""#))
            #expect(try await Report.query(on: app.db).count() == 0)

            let kept = try await app.send(
                .POST, "/admin/reports/new", headers: ["Cookie": moderator.cookie],
                form: Self.entry(moderator.csrf, ["contact": "+7 701 000 00 00", "keepContact": "yes"]))
            #expect(kept.status == .created)
            let report = try #require(try await Report.query(on: app.db).first())
            #expect(
                report.contactSealed.flatMap { ContactSealing.open($0, key: app.secrets.contactKey) }
                    == "+7 701 000 00 00")
        }
    }

    @Test func badAnswersAreRefusedByNameAndSaveNothing() async throws {
        try await withApp { app in
            let moderator = try await app.signIn(role: .moderator)
            let response = try await app.send(
                .POST, "/admin/reports/new?lang=kk", headers: ["Cookie": moderator.cookie],
                form: Self.entry(moderator.csrf, ["reportLanguage": "fr", "date": "2099-01-01"]))
            #expect(response.status == .badRequest)
            let html = response.body.string
            #expect(html.contains(#"id="language-error""#))
            #expect(html.contains("id=\"date-error\">\(app.translations.text("error_date_future", .kk))"))
            #expect(html.contains(##"href="#language""##))
            #expect(try await Report.query(on: app.db).count() == 0)

            // Without a session, or without the form token, nothing is saved either.
            let anonymous = try await app.send(.POST, "/admin/reports/new", form: Self.entry(moderator.csrf))
            #expect(anonymous.status != .created)
            let forged = try await app.send(
                .POST, "/admin/reports/new", headers: ["Cookie": moderator.cookie], form: Self.entry("forged"))
            #expect(forged.status == .forbidden)
            #expect(try await Report.query(on: app.db).count() == 0)
        }
    }
}
