import Fluent
import Testing
import Vapor
import VaporTesting

@testable import App

/// The personal action plan for representative cases (issue: a child harassed at school, a
/// colleague at work, a stranger in a bus, online threats).
@Suite struct ActionPlanTests {
    @Test func aChildHarassedAtSchool() {
        let steps = ActionPlan.steps(
            for: .init(
                kinds: [.verbal, .physical], placeType: .education, relation: .superior, ageBand: .under16,
                city: "taraz"))
        #expect(steps.starts(with: ["plan_danger", "plan_minor", "plan_minor_crime"]))
        #expect(steps.contains("plan_education"))
        #expect(!steps.contains("plan_work"))
    }

    @Test func aStepsNumbersAreDialable() {
        #expect(
            ActionPlan.parts(of: "Since 2025, call 102 (police) or 112, not +77001234567.", dialable: ["102", "112"])
                == [
                    .init(text: "Since 2025, call "), .init(text: "102", phone: "102"), .init(text: " (police) or "),
                    .init(text: "112", phone: "112"), .init(text: ", not +77001234567."),
                ])
    }

    @Test func aColleagueAtWork() {
        let steps = ActionPlan.steps(
            for: .init(
                kinds: [.verbal, .coercion], placeType: .workplace, relation: .colleague, ageBand: .age25to34,
                city: "astana"))
        #expect(steps.contains("plan_work") && steps.contains("plan_legal_aid") && steps.contains("plan_evidence"))
        #expect(!steps.contains("plan_minor") && !steps.contains("plan_transport"))
    }

    @Test func aStrangerInABus() {
        let steps = ActionPlan.steps(
            for: .init(kinds: [.catcalling], placeType: .public_transport, relation: nil, ageBand: nil, city: "almaty"))
        #expect(steps == ["plan_transport", "plan_evidence", "plan_support", "plan_not_your_fault"])
    }

    @Test func onlineThreatsAndStalking() {
        let steps = ActionPlan.steps(
            for: .init(
                kinds: [.cyber, .stalking], placeType: .online, relation: .acquaintance, ageBand: .age18to24,
                city: "shymkent"))
        #expect(steps.first == "plan_danger")
        #expect(steps.contains("plan_stalking") && steps.contains("plan_online"))
    }

    @Test func someoneCloseAtHome() {
        let steps = ActionPlan.steps(
            for: .init(kinds: [.verbal], placeType: .residential, relation: .partner, ageBand: nil, city: "almaty"))
        #expect(steps.starts(with: ["plan_danger"]) && steps.contains("plan_home"))
    }

    @Test func theReceiptPageShowsThePlanWithTheNumbersAndStoresNothingOfIt() async throws {
        try await withApp { app in
            let form = WebPagesTests.noScriptForm([
                "placeType": "education", "ageBand": "under16", "perpetrator": "known",
                "perpetratorRelation": "superior",
                "city": "taraz", "prevented": "no", "preventedBy": "",
            ])
            let response = try await app.send(.POST, "/report?lang=kk", form: form)
            #expect(response.status == .created)
            let html = response.body.string
            // The steps' words, read without the links that make their numbers dialable.
            let words = html.replacing(/<a href="tel:[0-9]+">([0-9]+)<\/a>/) { $0.output.1 }
            for key in ["plan_minor", "plan_minor_crime", "plan_education", "plan_evidence", "plan_not_your_fault"] {
                #expect(words.contains(app.translations.text(key, .kk)), "\(key)")
            }
            #expect(
                html.contains("href=\"tel:111\"") && html.contains("href=\"tel:102\"")
                    && html.contains("href=\"tel:112\""))
            // Not twice (issue #15): the steps name 111, 102 and 112, dialable there, and the list
            // of lines below leaves those lines out.
            let list = try #require(
                html.firstMatch(of: /<ul class="directory compact">(.*?)<\/ul>/.dotMatchesNewlines())?.1)
            #expect(!list.contains("tel:112") && !list.contains("tel:102") && !list.contains("tel:111"))
            let plan = try #require(html.firstMatch(of: /<ol class="plan">(.*?)<\/ol>/.dotMatchesNewlines())?.1)
            #expect(
                plan.contains("href=\"tel:111\"") && plan.contains("href=\"tel:102\"")
                    && plan.contains("href=\"tel:112\""))
            #expect(!html.contains("tel:150"))
            #expect(html.contains("/static/js/print.js"))
            // Nothing but the report itself was written.
            #expect(try await Report.query(on: app.db).count() == 1)
        }
    }
}
