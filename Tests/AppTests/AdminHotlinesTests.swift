import Fluent
import Testing
import Vapor
import VaporTesting

@testable import App

@Suite struct AdminHotlinesTests {
    func form(_ changes: [String: String] = [:]) -> [(String, String)] {
        var fields = [
            "slug": "taraz-centre", "category": "crisis_centre", "nameKk": "Тараз орталығы", "nameRu": "Центр в Таразе",
            "nameEn": "Taraz centre", "aboutKk": "Психологиялық және заң көмегі.",
            "aboutRu": "Психологическая и юридическая помощь.",
            "aboutEn": "Psychological and legal help.", "hoursKk": "Күн сайын", "hoursRu": "Ежедневно",
            "hoursEn": "Daily",
            "phones": "87262000000", "city": "taraz", "source": "called on 2026-11-20", "lastVerified": "2026-11-20",
            "verified": "yes", "sortOrder": "5",
        ]
        for (key, value) in changes { fields[key] = value }
        return fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } + [
            ("languages[]", "kk"), ("languages[]", "ru"),
        ]
    }

    @Test func moderatorsCannotChangeTheDirectory() async throws {
        try await withApp { app in
            let session = try await app.signIn(role: .moderator)
            #expect(
                try await app.send(.GET, "/admin/hotlines", headers: ["Cookie": session.cookie]).status == .forbidden)
            let post = try await app.send(
                .POST, "/admin/hotlines", headers: ["Cookie": session.cookie], form: form() + [("csrf", session.csrf)])
            #expect(post.status == .forbidden)
            #expect(try await Hotline.query(on: app.db).filter(\.$slug == "taraz-centre").count() == 0)
        }
    }

    @Test func anAdministratorAddsAVerifiedLocalEntryInThreeLanguages() async throws {
        try await withApp { app in
            let session = try await app.signIn(role: .admin)
            let missing = try await app.send(
                .POST, "/admin/hotlines", headers: ["Cookie": session.cookie],
                form: form(["nameKk": "", "phones": "call us"]) + [("csrf", session.csrf)])
            #expect(missing.status == .badRequest)
            #expect(missing.body.string.contains(app.translations.text("admin_hotline_field_nameKk", .ru)))
            #expect(missing.body.string.contains(app.translations.text("error_phones", .ru)))
            let undated = try await app.send(
                .POST, "/admin/hotlines", headers: ["Cookie": session.cookie],
                form: form(["lastVerified": ""]) + [("csrf", session.csrf)])
            #expect(undated.status == .badRequest)
            #expect(try await Hotline.query(on: app.db).filter(\.$slug == "taraz-centre").count() == 0)

            let created = try await app.send(
                .POST, "/admin/hotlines", headers: ["Cookie": session.cookie], form: form() + [("csrf", session.csrf)])
            #expect(created.status == .seeOther)
            let page = try await app.send(.GET, "/help?city=taraz&lang=kk").body.string
            #expect(page.contains("Тараз орталығы") && page.contains("href=\"tel:87262000000\""))
            let audit = try await AuditEntry.query(on: app.db).filter(\.$action == "hotline_create").count()
            #expect(audit == 1)

            // Hiding takes it off the public page at once.
            let entry = try #require(try await Hotline.query(on: app.db).filter(\.$slug == "taraz-centre").first())
            let hidden = try await app.send(
                .POST, "/admin/hotlines/\(try entry.requireID())", headers: ["Cookie": session.cookie],
                form: form(["hidden": "yes"]) + [("csrf", session.csrf)])
            #expect(hidden.status == .seeOther)
            #expect(!(try await app.send(.GET, "/help?city=taraz").body.string.contains("Центр в Таразе")))
        }
    }

    @Test func verifyingAnUnconfirmedLineMakesItPublic() async throws {
        try await withApp { app in
            let session = try await app.signIn(role: .admin)
            #expect(!(try await app.send(.GET, "/help").body.string.contains("tel:150")))
            let line = try #require(try await Hotline.query(on: app.db).filter(\.$slug == "children-youth-150").first())
            let edit = try await app.send(
                .GET, "/admin/hotlines/\(try line.requireID())", headers: ["Cookie": session.cookie])
            #expect(edit.status == .ok)
            #expect(edit.body.string.contains("value=\"children-youth-150\""))
            var fields = AdminHotlinesController.HotlineForm(line)
            fields.verified = "yes"
            fields.lastVerified = "2026-11-22"
            let pairs: [(String, String)] = [
                ("slug", fields.slug ?? ""), ("category", fields.category ?? ""), ("nameKk", fields.nameKk ?? ""),
                ("nameRu", fields.nameRu ?? ""), ("nameEn", fields.nameEn ?? ""), ("aboutKk", fields.aboutKk ?? ""),
                ("aboutRu", fields.aboutRu ?? ""), ("aboutEn", fields.aboutEn ?? ""), ("hoursKk", fields.hoursKk ?? ""),
                ("hoursRu", fields.hoursRu ?? ""), ("hoursEn", fields.hoursEn ?? ""), ("phones", fields.phones ?? ""),
                ("source", "called 2026-11-22"), ("lastVerified", "2026-11-22"), ("verified", "yes"),
                ("sortOrder", "70"),
                ("csrf", session.csrf),
            ]
            let saved = try await app.send(
                .POST, "/admin/hotlines/\(try line.requireID())", headers: ["Cookie": session.cookie], form: pairs)
            #expect(saved.status == .seeOther)
            #expect(try await app.send(.GET, "/help").body.string.contains("href=\"tel:150\""))
        }
    }
}
