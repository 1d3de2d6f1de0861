import Testing
import Vapor
import VaporTesting

@testable import App

@Suite struct SelfCheckTests {
    @Test func bothConditionsAndOneBehaviourMeanHarassment() {
        #expect(SelfCheck.evaluate(["unwelcome", "not_invited", "sexual_behaviour"]).outcome == .harassment)
        #expect(SelfCheck.evaluate(["unwelcome", "not_invited"]).outcome == .possibly)
        #expect(SelfCheck.evaluate(["unwelcome", "sexual_behaviour", "threats_harm"]).outcome == .unclear)
        // Nothing ticked asks for an answer instead of judging (issue #15).
        #expect(SelfCheck.evaluate([]).outcome == .nothingTicked)
    }

    @Test func ticksBringTheRightNotes() {
        let result = SelfCheck.evaluate(["unwelcome", "not_invited", "following_contacting", "threats_harm"])
        #expect(result.notes == ["selfcheck_note_police", "selfcheck_note_stalking"])
        #expect(SelfCheck.evaluate(["unwelcome", "not_invited", "sex_for_favours"]).notes == ["selfcheck_note_work"])
        #expect(result.guides == ["physical", "stalking"])
    }

    @Test(arguments: Language.allCases)
    func theQuestionnaireWorksWithoutScriptsInEveryLanguage(language: Language) async throws {
        try await withApp { app in
            let form = try await app.send(.GET, "/self-check?lang=\(language.rawValue)")
            #expect(form.status == .ok)
            for question in SelfCheck.conditions + SelfCheck.behaviours {
                #expect(form.body.string.contains(app.translations.text("selfcheck_q_" + question, language)))
            }
            let result = try await app.send(
                .POST, "/self-check?lang=\(language.rawValue)",
                form: [
                    ("answers[]", "unwelcome"), ("answers[]", "not_invited"), ("answers[]", "following_contacting"),
                    ("answers[]", "bogus"),
                ])
            #expect(result.status == .ok)
            let html = result.body.string
            #expect(html.contains("data-outcome=\"harassment\""))
            #expect(html.contains(app.translations.text("selfcheck_outcome_harassment", language)))
            #expect(html.contains(app.translations.text("selfcheck_note_stalking", language)))
            #expect(html.contains("href=\"/report\""))
            #expect(html.contains("href=\"/guides/stalking\" class=\"kind-guide\""))
            // The answers come back ticked, and nothing else.
            #expect(html.contains("value=\"following_contacting\" checked"))
            #expect(!html.contains("bogus"))
        }
    }
}
