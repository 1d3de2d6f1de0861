import Fluent
import Testing
import Vapor
import VaporTesting

@testable import App

@Suite struct AdminFAQTests {
    @Test func anAdministratorTranslatesAndHidesAnswers() async throws {
        try await withApp { app in
            let (account, _) = try await app.makeModerator(role: .admin)
            let cookie = try await app.signIn(email: account.email, password: "correct horse battery staple").cookie
            let list = try await app.send(.GET, "/admin/faq", headers: ["Cookie": cookie])
            #expect(list.status == .ok)
            let csrf = String(try #require(list.body.string.firstMatch(of: /name="csrf" value="([^"]+)"/)?.1))
            let entry = try #require(try await FAQEntry.query(on: app.db).filter(\.$slug == "witness").first())
            let id = try entry.requireID()
            var form: [(String, String)] = [
                ("slug", "witness"), ("group", "platform"), ("questionKk", entry.questionKk),
                ("questionRu", "Я свидетель. Что делать?"),
                ("questionEn", entry.questionEn), ("answerKk", entry.answerKk), ("answerRu", entry.answerRu),
                ("answerEn", ""), ("sortOrder", "5"), ("csrf", csrf),
            ]
            let missing = try await app.send(.POST, "/admin/faq/\(id)", headers: ["Cookie": cookie], form: form)
            #expect(missing.status == .badRequest)
            #expect(missing.body.string.contains(app.translations.text("admin_faq_field_answerEn", .ru)))
            form[7] = ("answerEn", entry.answerEn)
            let saved = try await app.send(.POST, "/admin/faq/\(id)", headers: ["Cookie": cookie], form: form)
            #expect(saved.status == .seeOther)
            #expect(try await app.send(.GET, "/faq?lang=ru").body.string.contains("Я свидетель. Что делать?"))

            let hidden = try await app.send(
                .POST, "/admin/faq/\(id)", headers: ["Cookie": cookie], form: form + [("hidden", "yes")])
            #expect(hidden.status == .seeOther)
            #expect(!(try await app.send(.GET, "/faq?lang=ru").body.string.contains("id=\"witness\"")))
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "faq_update").count() == 2)
        }
    }

    @Test func moderatorsCannotEditAnswers() async throws {
        try await withApp { app in
            let (account, _) = try await app.makeModerator(role: .moderator)
            let cookie = try await app.signIn(email: account.email, password: "correct horse battery staple").cookie
            #expect(try await app.send(.GET, "/admin/faq", headers: ["Cookie": cookie]).status == .forbidden)
        }
    }
}
