import Vapor

/// "Is this harassment?" — the two-part checklist from the seed material (seed 003), as a
/// questionnaire. Both questions of the first part and at least one of the second mean yes.
/// The website and the Telegram bot ask the same questions and give the same outcomes; nothing
/// of the answers is stored.
enum SelfCheck {
    /// Part one: the situation itself.
    static let conditions = ["unwelcome", "not_invited"]
    /// Part two: what the other person did.
    static let behaviours = [
        "unfair_treatment", "comments_jokes", "threats_harm", "power_demands", "psychological_pressure",
        "sexual_behaviour", "sex_for_favours", "following_contacting", "ignoring_no",
    ]

    enum Outcome: String, Sendable, Equatable {
        /// Both conditions and at least one behaviour.
        case harassment
        /// Both conditions, no listed behaviour: the feeling still counts.
        case possibly
        /// Not both conditions.
        case unclear
        /// Nothing ticked: the person is asked to tick what happened, not told it "may not fit".
        case nothingTicked = "none"
    }

    struct Result: Sendable, Equatable {
        var outcome: Outcome
        /// Extra notes for what was ticked: stalking is a crime, threats go to the police…
        var notes: [String]
        /// Slugs of the guides that fit what was ticked.
        var guides: [String]
    }

    /// Which guide speaks to each behaviour.
    static let guideForBehaviour: [String: String] = [
        "unfair_treatment": "discrimination", "comments_jokes": "verbal", "threats_harm": "physical",
        "power_demands": "workplace", "psychological_pressure": "bullying", "sexual_behaviour": "verbal",
        "sex_for_favours": "coercion", "following_contacting": "stalking", "ignoring_no": "physical",
    ]

    static func evaluate(_ answers: Set<String>) -> Result {
        let conditionsMet = conditions.allSatisfy(answers.contains)
        let behaviourCount = behaviours.filter(answers.contains).count
        let outcome: Outcome =
            answers.isEmpty ? .nothingTicked : conditionsMet ? (behaviourCount > 0 ? .harassment : .possibly) : .unclear
        var notes: [String] = []
        if answers.contains("threats_harm") { notes.append("selfcheck_note_police") }
        if answers.contains("following_contacting") { notes.append("selfcheck_note_stalking") }
        if answers.contains("sex_for_favours") || answers.contains("power_demands") {
            notes.append("selfcheck_note_work")
        }
        var guides: [String] = []
        for behaviour in behaviours where answers.contains(behaviour) {
            if let guide = guideForBehaviour[behaviour], !guides.contains(guide) { guides.append(guide) }
        }
        return Result(outcome: outcome, notes: notes, guides: guides)
    }
}

struct SelfCheckWebController {
    struct Question: Encodable {
        var id: String
        var text: String
        var checked: Bool
    }

    struct Content: Encodable {
        var conditions: [Question]
        var behaviours: [Question]
        var answered: Bool
        var outcome: String
        var heading: String
        var explanation: String
        var notes: [String]
        var isHarassment: Bool
        /// Links to the guides that fit the answers (URL in `value`, title in `label`).
        var guides: [Choice]
        var hasGuides: Bool
    }

    private func render(_ req: Request, answers: Set<String>, result: SelfCheck.Result?) async throws -> View {
        var guides: [Choice] = []
        for slug in result?.guides ?? [] {
            if let guide = try await GuideLibrary.find(slug, on: req.db) {
                guides.append(Choice(value: "/guides/" + slug, label: guide.title(req.language), selected: false))
            }
        }
        func questions(_ ids: [String]) -> [Question] {
            ids.map { Question(id: $0, text: req.text("selfcheck_q_" + $0), checked: answers.contains($0)) }
        }
        let content = Content(
            conditions: questions(SelfCheck.conditions), behaviours: questions(SelfCheck.behaviours),
            answered: result != nil, outcome: result?.outcome.rawValue ?? "",
            heading: result.map { req.text("selfcheck_outcome_" + $0.outcome.rawValue) } ?? "",
            explanation: result.map { req.text("selfcheck_outcome_" + $0.outcome.rawValue + "_text") } ?? "",
            notes: result?.notes.map { req.text($0) } ?? [], isHarassment: result?.outcome == .harassment,
            guides: guides, hasGuides: !guides.isEmpty)
        return try await req.view.render(
            "self-check", PageContext(req, title: req.text("selfcheck_title"), nav: "help", content: content))
    }

    @Sendable func form(req: Request) async throws -> View {
        try await render(req, answers: [], result: nil)
    }

    struct Answers: Decodable {
        var answers: [String]?
    }

    @Sendable func answer(req: Request) async throws -> View {
        let raw = (try? req.content.decode(Answers.self))?.answers ?? []
        let known = Set(SelfCheck.conditions + SelfCheck.behaviours)
        // Unknown values are ignored: the answers only ever come from our own checkboxes.
        let answers = Set(raw.filter(known.contains))
        return try await render(req, answers: answers, result: SelfCheck.evaluate(answers))
    }
}
