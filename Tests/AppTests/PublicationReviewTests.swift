import Fluent
import Testing
import Vapor
import VaporTesting

@testable import App

/// Issue #10, point 1: a moderator who publishes without reading cannot put the reporter's
/// words, a phone number or a name on the public map — through the panel or the admin API.
/// Since issue #21 the form proposes a text written from the answers, not the original redacted.
@Suite struct PublicationReviewTests {
    static let revealing =
        "Меня преследует Иван Петров, его телефон +7 701 555 1234, почта ivan@corp.kz. Он ждёт у офиса каждый вечер."
    static let clean = "Мужчина шёл за мной от остановки до дома и выкрикивал оскорбления. Никто не вмешался."
    /// What the publish form proposes for a report with the test's answers (Russian, a street in
    /// the evening, shouts and comments, one stranger, not stopped, the person it happened to).
    static let fromTheAnswers =
        "Домогательства на улице вечером. Что произошло: выкрики и свист вслед; комментарии, шутки, оскорбления. "
        + "Это сделал незнакомый человек. Остановить это не удалось. Сообщение от человека, с которым это случилось."

    /// The text of the public-version box on a report's page, as the browser would send it.
    func publicTextBox(_ page: String) throws -> String {
        let raw = try #require(page.firstMatch(of: /<textarea id="publicDescription"[^>]*>([^<]*)<\/textarea>/)?.1)
        return String(raw).replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    /// A text as a Leaf page shows it.
    func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }

    @Test func publishingTheFormAsRenderedLeaksNoPhoneEmailOrName() async throws {
        try await withApp { app in
            let code = try await app.submitReport(["description": Self.revealing])
            let id = try await app.report(receipt: code).requireID()
            let session = try await app.signIn()
            let page = try await app.send(.GET, "/admin/reports/\(id)", headers: ["Cookie": session.cookie])
            // The original is shown with what was found marked in place.
            #expect(page.body.string.contains(#"<mark class="finding">+7 701 555 1234"#))
            #expect(page.body.string.contains(#"<mark class="finding">ivan@corp.kz"#))
            #expect(page.body.string.contains(#"<mark class="finding">Иван Петров"#))

            // The box is written from the answers (issue #21), not from the original.
            let proposal = try publicTextBox(page.body.string)
            #expect(proposal == Self.fromTheAnswers)
            for secret in ["555", "ivan@", "Иван", "Петров", "преследует", "офиса"] {
                #expect(!proposal.contains(secret), "\(proposal)")
            }

            let published = try await app.send(
                .POST, "/admin/reports/\(id)/publish", headers: ["Cookie": session.cookie],
                form: [("publicDescription", proposal), ("precision", "grid250"), ("csrf", session.csrf)])
            #expect(published.status == .seeOther)
            let map = try await app.send(.GET, "/api/v1/incidents")
            #expect(map.body.string.contains(Self.fromTheAnswers))
            for secret in ["555", "1234", "ivan", "Иван", "Петров", "преследует", "офиса"] {
                #expect(!map.body.string.contains(secret), "the public map shows \(secret)")
            }
        }
    }

    @Test func theOriginalWordsAreNeverPublishedEvenWhenNothingWasFound() async throws {
        try await withApp { app in
            let code = try await app.submitReport(["description": Self.clean])
            let id = try await app.report(receipt: code).requireID()
            let session = try await app.signIn()
            let page = try await app.send(.GET, "/admin/reports/\(id)?lang=en", headers: ["Cookie": session.cookie])
            #expect(page.body.string.contains(escaped(app.translations.text("admin_found_nothing", .en))))
            #expect(try publicTextBox(page.body.string) == Self.fromTheAnswers)

            // A moderator who copies the original into the box is refused.
            let refused = try await app.send(
                .POST, "/admin/reports/\(id)/publish?lang=en", headers: ["Cookie": session.cookie],
                form: [("publicDescription", Self.clean), ("precision", "grid250"), ("csrf", session.csrf)])
            #expect(refused.status == .badRequest)
            #expect(refused.body.string.contains(escaped(app.translations.text("error_public_is_original", .en))))
            #expect(try await app.report(receipt: code).status == "pending")
            #expect(try await app.send(.GET, "/api/v1/incidents").body.string.contains("остановки") == false)
        }
    }

    @Test func aRefusedTextIsShownAgainWithWhatWasFoundNamed() async throws {
        try await withApp { app in
            let code = try await app.submitReport(["description": Self.clean])
            let id = try await app.report(receipt: code).requireID()
            let session = try await app.signIn()
            let draft = "Незнакомец преследовал женщину, звонил ей на 8 (701) 555-12-34 и писал @stalker_kz."
            let refused = try await app.send(
                .POST, "/admin/reports/\(id)/publish?lang=en", headers: ["Cookie": session.cookie],
                form: [("publicDescription", draft), ("precision", "grid250"), ("csrf", session.csrf)])
            #expect(refused.status == .badRequest)
            let expected = app.translations.text("error_public_identifying", .en).replacingOccurrences(
                of: "{found}",
                with: ["redaction_kind_handle", "redaction_kind_phone"].map { app.translations.text($0, .en) }
                    .joined(separator: ", "))
            #expect(refused.body.string.contains(escaped(expected)))
            // The moderator's edit is not lost.
            #expect(try publicTextBox(refused.body.string) == draft)
            #expect(try await app.report(receipt: code).status == "pending")
        }
    }

    @Test func theAdminAPIRefusesTheOriginalAndIdentifyingDetails() async throws {
        try await withApp { app in
            let code = try await app.submitReport(["description": Self.revealing])
            let id = try await app.report(receipt: code).requireID()
            let (_, token) = try await app.makeModerator(role: .moderator)
            let auth: HTTPHeaders = ["Authorization": "Bearer \(token)", "Accept-Language": "en"]

            let shown = try await app.send(.GET, "/api/v1/admin/reports/\(id)", headers: auth)
            let report = try shown.content.decode(AdminAPIController.ReportDTO.self)
            #expect(report.findings.map(\.kind) == ["person", "phone", "email"])
            #expect(report.findings.map(\.text) == ["Иван Петров", "+7 701 555 1234", "ivan@corp.kz"])
            #expect(report.proposedPublicDescription == Self.fromTheAnswers)

            for (text, key, found) in [
                (Self.revealing, "error_public_is_original", [String]()),
                ("  " + Self.revealing.uppercased() + "\n", "error_public_is_original", []),
                ("Преследователь ждал у офиса, номер 87015551234.", "error_public_identifying", ["phone"]),
                ("Он писал с ivan@corp.kz и vk.com/id42 каждую ночь.", "error_public_identifying", ["email", "url"]),
                (
                    "Приставал водитель машины 123 ABC 02, карта 4400 4301 2345 6789.", "error_public_identifying",
                    ["card", "plate"]
                ),
                ("Требовал ИИН 900101350123, чтобы найти мой адрес.", "error_public_identifying", ["iin"]),
            ] {
                let response = try await app.send(
                    .POST, "/api/v1/admin/reports/\(id)/publish", headers: auth, json: ["publicDescription": text])
                #expect(response.status == .badRequest, "\(text)")
                let message = try #require(try errorFields(response)["publicDescription"])
                let template = app.translations.text(key, .en)
                #expect(message.hasPrefix(String(template.prefix(while: { $0 != "{" }))), "\(message)")
                for kind in found {
                    #expect(message.contains(app.translations.text("redaction_kind_" + kind, .en)), "\(message)")
                }
            }
            #expect(try await app.report(receipt: code).status == "pending")
            #expect(try await app.report(receipt: code).publicDescription == nil)

            // Publishing the proposal itself is allowed: it holds nothing that blocks publication.
            let published = try await app.send(
                .POST, "/api/v1/admin/reports/\(id)/publish", headers: auth,
                json: ["publicDescription": report.proposedPublicDescription])
            #expect(published.status == .ok)
        }
    }

    @Test func moderatorsArchiveCasesThatWillNotBePublished() async throws {
        try await withApp { app in
            let pending = try await app.submitReport(["contact": "+7 701 000 00 09"])
            let published = try await app.submitReport()
            try await app.publish(receipt: published)
            let (account, token) = try await app.makeModerator(role: .moderator)
            let auth: HTTPHeaders = ["Authorization": "Bearer \(token)"]

            let pendingID = try await app.report(receipt: pending).requireID()
            let archived = try await app.send(.POST, "/api/v1/admin/reports/\(pendingID)/archive", headers: auth)
            #expect(archived.status == .ok)
            let report = try await app.report(receipt: pending)
            #expect(report.status == "archived")
            let closed = try #require(report.closedAt)
            #expect(closed == KazakhstanTime.toTheHour(closed))
            #expect(
                try await app.send(.POST, "/api/v1/admin/reports/\(pendingID)/archive", headers: auth).status
                    == .conflict)

            // A published report stays public evidence: it is rejected, not archived.
            let publishedID = try await app.report(receipt: published).requireID()
            #expect(
                try await app.send(.POST, "/api/v1/admin/reports/\(publishedID)/archive", headers: auth).status
                    == .conflict)
            #expect(try await app.report(receipt: published).status == "published")

            let entries = try await AuditEntry.query(on: app.db).filter(\.$action == "archive").all()
            #expect(entries.count == 1)
            #expect(entries.first?.actorEmail == account.email && entries.first?.reportID == pendingID)

            // The panel offers the same, with its form token.
            let other = try await app.report(receipt: try await app.submitReport()).requireID()
            let session = try await app.signIn()
            let page = try await app.send(.GET, "/admin/reports/\(other)", headers: ["Cookie": session.cookie])
            #expect(page.body.string.contains("/admin/reports/\(other)/archive"))
            let done = try await app.send(
                .POST, "/admin/reports/\(other)/archive", headers: ["Cookie": session.cookie],
                form: [("csrf", session.csrf)])
            #expect(done.status == .seeOther)
            #expect(try await Report.find(other, on: app.db)?.status == "archived")
        }
    }
}
