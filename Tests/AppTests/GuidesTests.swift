import Fluent
import Testing
import Vapor
import VaporTesting

@testable import App

@Suite struct GuidesTests {
    @Test func markdownIsRenderedSafely() {
        let html = SafeMarkdown.html(
            "## Steps\n1. Call **102** now\n2. <script>alert(1)</script>\n\n- a <img src=x onerror=alert(1)>\n\nText with \"quotes\" & more"
        )
        #expect(html.contains("<h2>Steps</h2>"))
        #expect(
            html.contains(
                "<ol><li>Call <strong>102</strong> now</li><li>&lt;script&gt;alert(1)&lt;/script&gt;</li></ol>"))
        #expect(html.contains("<ul><li>a &lt;img src=x onerror=alert(1)&gt;</li></ul>"))
        #expect(html.contains("<p>Text with &quot;quotes&quot; &amp; more</p>"))
        #expect(!html.contains("<script") && !html.contains("<img"))
        #expect(SafeMarkdown.html("an **unclosed bold") == "<p>an **unclosed bold</p>")
    }

    @Test func everyGuideExistsInThreeLanguagesWithNumberedSteps() async throws {
        try await withApp { app in
            let guides = try await Guide.query(on: app.db).all()
            let kinds = HarassmentKind.allCases.map(\.rawValue)
            let settings = ["street-transport", "workplace", "school-university", "online", "home-close-person"]
            #expect(Set(guides.map(\.slug)) == Set(settings + kinds))
            for guide in guides {
                for language in Language.allCases {
                    #expect(
                        !guide.title(language).isEmpty && !guide.summary(language).isEmpty, "\(guide.slug) \(language)")
                    let html = SafeMarkdown.html(guide.body(language))
                    #expect(html.contains("<ol>"), "\(guide.slug) \(language) has no numbered steps")
                    #expect(
                        html.contains("102") || html.contains("111"),
                        "\(guide.slug) \(language) names no number to call")
                }
                // Same shape in every language: as many steps and sections.
                let counts = Language.allCases.map {
                    SafeMarkdown.html(guide.body($0)).components(separatedBy: "<li>").count
                }
                #expect(Set(counts).count == 1, "\(guide.slug): \(counts)")
                #expect(!guide.source.isEmpty && KazakhstanTime.isValidDay(guide.lastVerified))
            }
        }
    }

    @Test func everyGuideTheSelfCheckAndThePlanPointToExists() async throws {
        try await withApp { app in
            let slugs = Set(try await Guide.query(on: app.db).all().map(\.slug))
            for slug in SelfCheck.guideForBehaviour.values { #expect(slugs.contains(slug), "\(slug)") }
            for place in PlaceType.allCases {
                for relation in [nil] + PerpetratorRelation.allCases.map(Optional.some) {
                    #expect(slugs.contains(GuideLibrary.settingSlug(placeType: place, relation: relation)))
                }
            }
        }
    }

    @Test func guidesAreOnTheWebsiteAndInTheAPI() async throws {
        try await withApp { app in
            let list = try await app.send(.GET, "/api/v1/guides?lang=kk").content.decode([GuideSummaryDTO].self)
            // Every guide of the content file, none hidden yet.
            let file = try JSONSerialization.jsonObject(
                with: try Data(
                    contentsOf: URL(fileURLWithPath: app.directory.resourcesDirectory + "Content/guides.json")))
            let entries = try #require((file as? [String: Any])?["entries"] as? [Any])
            #expect(list.count == entries.count && list.first { $0.slug == "workplace" }?.title == "Жұмыста")
            let one = try await app.send(.GET, "/api/v1/guides/online?lang=ru")
            let guide = try one.content.decode(GuideDTO.self)
            #expect(guide.title == "В интернете и по телефону" && guide.html.contains("<ol>"))
            #expect(try await app.send(.GET, "/api/v1/guides/nothing").status == .notFound)
            for language in Language.allCases {
                let page = try await app.send(.GET, "/guides/home-close-person?lang=\(language.rawValue)")
                #expect(page.status == .ok)
                #expect(page.body.string.contains("<ol>"))
                #expect(
                    try await app.send(.GET, "/guides?lang=\(language.rawValue)").body.string.contains(
                        "/guides/workplace"))
            }
            // A hidden guide disappears from both.
            let workplace = try #require(try await Guide.query(on: app.db).filter(\.$slug == "workplace").first())
            workplace.hidden = true
            try await workplace.save(on: app.db)
            #expect(try await app.send(.GET, "/guides/workplace").status == .notFound)
            #expect(!(try await app.send(.GET, "/api/v1/guides").body.string.contains("\"workplace\"")))
        }
    }

    @Test func theActionPlanLinksTheGuideForWhereItHappened() async throws {
        #expect(GuideLibrary.settingSlug(placeType: .taxi, relation: nil) == "street-transport")
        #expect(GuideLibrary.settingSlug(placeType: .street, relation: .partner) == "home-close-person")
        #expect(GuideLibrary.settingSlug(placeType: .workplace, relation: .superior) == "workplace")
        #expect(GuideLibrary.settingSlug(placeType: .education, relation: .superior) == "school-university")
        #expect(GuideLibrary.settingSlug(placeType: .online, relation: nil) == "online")
        try await withApp { app in
            let response = try await app.send(.POST, "/report?lang=en", form: WebPagesTests.noScriptForm())
            #expect(
                response.body.string.contains(
                    "href=\"/guides/street-transport\" id=\"plan-guide\">In the street, on a bus, in a taxi"))
            // The form reported verbal and physical harassment: both guides are linked.
            #expect(response.body.string.contains("href=\"/guides/verbal\" class=\"kind-guide\""))
            #expect(response.body.string.contains("href=\"/guides/physical\" class=\"kind-guide\""))
        }
    }
}
