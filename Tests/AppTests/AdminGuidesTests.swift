import Fluent
import Testing
import Vapor
import VaporTesting

@testable import App

@Suite struct AdminGuidesTests {
    func fields(_ guide: Guide, _ changes: [String: String]) -> [(String, String)] {
        let form = AdminGuidesController.GuideForm(guide)
        var values: [String: String] = [
            "slug": form.slug ?? "", "group": form.group ?? "", "titleKk": form.titleKk ?? "",
            "titleRu": form.titleRu ?? "",
            "titleEn": form.titleEn ?? "", "summaryKk": form.summaryKk ?? "", "summaryRu": form.summaryRu ?? "",
            "summaryEn": form.summaryEn ?? "", "bodyKk": form.bodyKk ?? "", "bodyRu": form.bodyRu ?? "",
            "bodyEn": form.bodyEn ?? "",
            "source": form.source ?? "", "lastVerified": form.lastVerified ?? "", "sortOrder": form.sortOrder ?? "",
        ]
        for (key, value) in changes { values[key] = value }
        return values.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    @Test func moderatorsCannotEditGuides() async throws {
        try await withApp { app in
            let session = try await app.signIn(role: .moderator)
            #expect(try await app.send(.GET, "/admin/guides", headers: ["Cookie": session.cookie]).status == .forbidden)
        }
    }

    @Test func anAdministratorEditsAGuideInThreeLanguagesAndScriptsStayText() async throws {
        try await withApp { app in
            let session = try await app.signIn(role: .admin)
            let guide = try #require(try await Guide.query(on: app.db).filter(\.$slug == "workplace").first())
            let id = try guide.requireID()
            let editPage = try await app.send(.GET, "/admin/guides/\(id)", headers: ["Cookie": session.cookie])
            #expect(
                editPage.status == .ok && editPage.body.string.contains("lang=\"kk\"")
                    && editPage.body.string.contains("lang=\"en\""))

            let missing = try await app.send(
                .POST, "/admin/guides/\(id)", headers: ["Cookie": session.cookie],
                form: fields(guide, ["bodyKk": ""]) + [("csrf", session.csrf)])
            #expect(missing.status == .badRequest)
            #expect(missing.body.string.contains(app.translations.text("admin_guide_field_bodyKk", .ru)))

            let body = "## Шаги\n1. Запишите всё <script>window.__xss=1</script>\n2. Позвоните **111**"
            let saved = try await app.send(
                .POST, "/admin/guides/\(id)", headers: ["Cookie": session.cookie],
                form: fields(guide, ["bodyRu": body]) + [("csrf", session.csrf)])
            #expect(saved.status == .seeOther)
            let page = try await app.send(.GET, "/guides/workplace?lang=ru").body.string
            #expect(page.contains("<strong>111</strong>"))
            #expect(page.contains("&lt;script&gt;window.__xss=1&lt;/script&gt;"))
            #expect(!page.contains("<script>window.__xss"))
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "guide_update").count() == 1)
        }
    }
}
