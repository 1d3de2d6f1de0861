import Fluent
import Testing
import Vapor
import VaporTesting

@testable import App

/// The help directory: only confirmed numbers reach the public, in every language.
@Suite struct HelpDirectoryTests {
    @Test func theReferenceListIsLoadedOnceAndUnconfirmedEntriesStayHidden() async throws {
        try await withApp { app in
            let all = try await Hotline.query(on: app.db).all()
            #expect(
                Set(all.map(\.slug)).isSuperset(of: [
                    "emergency-112", "police-102", "family-line-111", "children-youth-150", "labour-1406",
                ]))
            for unconfirmed in ["children-youth-150", "labour-1406"] {
                #expect(all.first { $0.slug == unconfirmed }?.verified == false)
            }
            // A second start does not duplicate or overwrite anything.
            let edited = try #require(all.first { $0.slug == "police-102" })
            edited.nameEn = "Police (edited by an administrator)"
            try await edited.save(on: app.db)
            try await HotlineDirectory.seed(
                from: app.directory.resourcesDirectory + "Content/hotlines.json", on: app.db)
            #expect(try await Hotline.query(on: app.db).count() == all.count)
            #expect(
                try await Hotline.query(on: app.db).filter(\.$slug == "police-102").first()?.nameEn
                    == "Police (edited by an administrator)")
        }
    }

    @Test func everyEntryIsWrittenInAllThreeLanguages() async throws {
        try await withApp { app in
            for hotline in try await Hotline.query(on: app.db).all() {
                for language in Language.allCases {
                    #expect(
                        !hotline.name(language).isEmpty && !hotline.about(language).isEmpty
                            && !hotline.hours(language).isEmpty,
                        "\(hotline.slug) in \(language)")
                }
                #expect(!hotline.source.isEmpty)
                #expect(hotline.phones.allSatisfy { $0.allSatisfy(\.isNumber) })
            }
        }
    }

    @Test func thePublicSeesOnlyVerifiedVisibleEntries() async throws {
        try await withApp { app in
            let response = try await app.send(.GET, "/api/v1/hotlines?lang=kk")
            #expect(response.status == .ok)
            let entries = try response.content.decode([HotlineDTO].self)
            let slugs = entries.map(\.slug)
            #expect(slugs.contains("family-line-111") && slugs.contains("police-102"))
            #expect(!slugs.contains("children-youth-150") && !slugs.contains("labour-1406"))
            #expect(entries.first { $0.slug == "police-102" }?.name == "Полиция 102")
            #expect(entries.allSatisfy { $0.lastVerified != nil })

            let hidden = try #require(try await Hotline.query(on: app.db).filter(\.$slug == "police-102").first())
            hidden.hidden = true
            try await hidden.save(on: app.db)
            let after = try await app.send(.GET, "/api/v1/hotlines").content.decode([HotlineDTO].self)
            #expect(!after.map(\.slug).contains("police-102"))
        }
    }

    @Test func aCityWithoutLocalEntriesSaysSoAndShowsTheNationalLines() async throws {
        try await withApp { app in
            for language in Language.allCases {
                let html = try await app.send(.GET, "/help?city=semey&lang=\(language.rawValue)").body.string
                let message = app.translations.text("help_no_local", language).replacingOccurrences(
                    of: "{city}", with: language == .en ? "Semey" : "Семей")
                #expect(html.contains(message), "\(language)")
                #expect(html.contains("href=\"tel:111\""))
                #expect(html.contains("href=\"tel:112\""))
                #expect(!html.contains("tel:150") && !html.contains("tel:1406"))
            }
            let api = try await app.send(.GET, "/api/v1/hotlines?city=semey").content.decode([HotlineDTO].self)
            #expect(api.allSatisfy(\.nationwide) && !api.isEmpty)
        }
    }

    @Test func localEntriesComeFirstForTheirCity() async throws {
        try await withApp { app in
            let local = Hotline()
            local.slug = "test-centre"
            local.category = "crisis_centre"
            (local.nameKk, local.nameRu, local.nameEn) = ("Орталық", "Центр", "Centre")
            (local.aboutKk, local.aboutRu, local.aboutEn) = ("Көмек", "Помощь", "Help")
            (local.hoursKk, local.hoursRu, local.hoursEn) = ("Күн сайын", "Ежедневно", "Daily")
            local.phones = ["87010000000"]
            local.city = "taraz"
            local.languages = ["kk", "ru"]
            local.source = "test"
            local.lastVerified = "2026-11-01"
            local.verified = true
            local.hidden = false
            local.sortOrder = 1
            try await local.create(on: app.db)
            let taraz = try await app.send(.GET, "/api/v1/hotlines?city=taraz").content.decode([HotlineDTO].self)
            #expect(taraz.first?.slug == "test-centre")
            let almaty = try await app.send(.GET, "/api/v1/hotlines?city=almaty").content.decode([HotlineDTO].self)
            #expect(!almaty.map(\.slug).contains("test-centre"))
            let page = try await app.send(.GET, "/help?city=taraz&lang=ru").body.string
            #expect(page.contains("href=\"tel:87010000000\""))
            #expect(page.contains("Қазақша, Русский"))
        }
    }

    @Test func unknownCitiesAreNamedErrors() async throws {
        try await withApp { app async throws in
            #expect(try await app.send(.GET, "/api/v1/hotlines?city=paris").status == .badRequest)
            #expect(try await app.send(.GET, "/help?city=paris").status == .badRequest)
        }
    }
}
