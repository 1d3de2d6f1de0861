import Fluent
import Testing
import Vapor
import VaporTesting

@testable import App

@Suite struct FAQTests {
    @Test func everyAnswerExistsInAllThreeLanguages() async throws {
        try await withApp { app in
            let entries = try await FAQEntry.query(on: app.db).all()
            #expect(entries.count >= 15)
            for entry in entries {
                for language in Language.allCases {
                    #expect(
                        !entry.question(language).trimmingCharacters(in: .whitespaces).isEmpty,
                        "\(entry.slug) \(language)")
                    #expect(entry.answer(language).count > 60, "\(entry.slug) \(language) answer is too short")
                }
                #expect(FAQLibrary.groups.contains(entry.group), "\(entry.slug)")
            }
        }
    }

    @Test func theDefinitionsTheIssueAsksForAreThere() async throws {
        try await withApp { app in
            let slugs = Set(try await FAQEntry.query(on: app.db).all().map(\.slug))
            for required in [
                "verbal", "nonverbal", "physical", "catcalling", "coercion", "unwanted-attention", "gender-harassment",
                "stalking",
                "cyber", "mobbing-bullying", "law", "how-it-works", "anonymity", "after-report",
            ] {
                #expect(slugs.contains(required), "missing \(required)")
            }
        }
    }

    @Test func nothingBlamesThePersonHarassed() throws {
        // The seed's "how not to become a victim" advice must never ship, in any content file.
        let forbidden = [
            "provocative", "провокационн", "вызывающ", "make-up", "макияж", "don't flirt", "не флиртуй", "арандатушы",
        ]
        let folder = DirectoryConfiguration.detect().resourcesDirectory
        for file in [
            "Content/faq.json", "Content/guides.json", "Content/hotlines.json", "Locales/kk.json", "Locales/ru.json",
            "Locales/en.json",
        ] {
            let text = try String(contentsOfFile: folder + file, encoding: .utf8).lowercased()
            for word in forbidden { #expect(!text.contains(word), "\(file) contains \(word)") }
        }
    }

    @Test(arguments: Language.allCases)
    func thePageShowsEveryQuestion(language: Language) async throws {
        try await withApp { app in
            let response = try await app.send(.GET, "/faq?lang=\(language.rawValue)")
            #expect(response.status == .ok)
            let html = response.body.string
            for entry in try await FAQEntry.query(on: app.db).all() {
                #expect(html.contains("id=\"\(entry.slug)\""))
                #expect(html.contains("href=\"#\(entry.slug)\""))
                #expect(html.contains(entry.question(language).replacingOccurrences(of: "\"", with: "&quot;")))
            }
        }
    }
}
