import Testing
import Vapor
import VaporTesting

@testable import App

@Suite struct FAQTests {
    let catalog: FAQCatalog

    init() throws {
        catalog = try FAQCatalog.load(from: DirectoryConfiguration.detect().resourcesDirectory + "Content/faq.json")
    }

    @Test func everyAnswerExistsInAllThreeLanguages() {
        #expect(catalog.entries.count >= 15)
        for entry in catalog.entries {
            for language in Language.allCases {
                #expect(
                    !entry.question.text(language).trimmingCharacters(in: .whitespaces).isEmpty,
                    "\(entry.slug) \(language)")
                #expect(entry.answer.text(language).count > 60, "\(entry.slug) \(language) answer is too short")
            }
            #expect(FAQCatalog.groups.contains(entry.group), "\(entry.slug)")
        }
        #expect(Set(catalog.entries.map(\.slug)).count == catalog.entries.count)
    }

    @Test func theDefinitionsTheIssueAsksForAreThere() {
        let slugs = Set(catalog.entries.map(\.slug))
        for required in [
            "verbal", "nonverbal", "physical", "catcalling", "coercion", "unwanted-attention", "gender-harassment",
            "stalking", "cyber", "mobbing-bullying", "law", "how-it-works", "anonymity", "after-report",
        ] {
            #expect(slugs.contains(required), "missing \(required)")
        }
    }

    @Test func nothingBlamesThePersonHarassed() {
        // The seed's "how not to become a victim" advice must never ship.
        let forbidden = ["provocative", "провокац", "make-up", "макияж", "don't flirt", "не флиртуй", "арандатушы"]
        for entry in catalog.entries {
            for language in Language.allCases {
                let text = (entry.question.text(language) + " " + entry.answer.text(language)).lowercased()
                for word in forbidden { #expect(!text.contains(word), "\(entry.slug) \(language) contains \(word)") }
            }
        }
    }

    @Test(arguments: Language.allCases)
    func thePageShowsEveryQuestion(language: Language) async throws {
        try await withApp { app in
            let response = try await app.send(.GET, "/faq?lang=\(language.rawValue)")
            #expect(response.status == .ok)
            let html = response.body.string
            for entry in app.faq.entries {
                #expect(html.contains("id=\"\(entry.slug)\""))
                #expect(html.contains("href=\"#\(entry.slug)\""))
                #expect(html.contains(entry.question.text(language).replacingOccurrences(of: "\"", with: "&quot;")))
            }
        }
    }
}
