import Fluent
import Vapor

/// A personal action plan built from what was reported: which steps fit, in what order, and
/// whom to call in that city. It is made for the page that shows it and never stored.
/// The Telegram bot will reuse ``ActionPlan/steps(for:)``.
enum ActionPlan {
    /// What the plan is built from: only fields the reporter just gave.
    struct Situation: Sendable, Equatable {
        var kinds: [HarassmentKind]
        var placeType: PlaceType
        var relation: PerpetratorRelation?
        var ageBand: AgeBand?
        var city: String

        init(_ report: ValidReport) {
            kinds = report.kinds
            placeType = report.placeType
            relation = report.perpetratorRelation
            ageBand = report.ageBand
            city = report.city
        }

        init(
            kinds: [HarassmentKind], placeType: PlaceType, relation: PerpetratorRelation?, ageBand: AgeBand?,
            city: String
        ) {
            self.kinds = kinds
            self.placeType = placeType
            self.relation = relation
            self.ageBand = ageBand
            self.city = city
        }

        var isMinor: Bool { ageBand == .under16 || ageBand == .age16to17 }
        var isAtHomeOrClose: Bool {
            placeType == .residential || relation == .partner || relation == .relative || relation == .neighbour
        }
        var isAtWork: Bool {
            placeType == .workplace || relation == .colleague || (relation == .superior && placeType != .education)
                || kinds.contains(.coercion)
        }
    }

    /// Translation keys of the steps, most urgent first.
    static func steps(for situation: Situation) -> [String] {
        var steps: [String] = []
        let dangerous =
            situation.kinds.contains(.physical) || situation.kinds.contains(.stalking) || situation.isAtHomeOrClose
        if dangerous { steps.append("plan_danger") }
        if situation.isMinor {
            steps.append("plan_minor")
            if situation.ageBand == .under16 { steps.append("plan_minor_crime") }
        }
        if situation.kinds.contains(.stalking) { steps.append("plan_stalking") }
        if situation.isAtHomeOrClose { steps.append("plan_home") }
        if situation.isAtWork { steps.append("plan_work") }
        if situation.placeType == .education { steps.append("plan_education") }
        if situation.placeType == .public_transport || situation.placeType == .taxi { steps.append("plan_transport") }
        if situation.placeType == .online || situation.kinds.contains(.cyber) { steps.append("plan_online") }
        steps.append("plan_evidence")
        if situation.isAtWork || situation.kinds.contains(.coercion) || situation.kinds.contains(.physical) {
            steps.append("plan_legal_aid")
        }
        steps.append("plan_support")
        steps.append("plan_not_your_fault")
        return steps
    }

    struct Line: Encodable, Sendable {
        var name: String
        var phones: [String]
        var hasPhones: Bool
    }

    /// The plan in words: each step (`steps`, already in the reader's language) with the help
    /// lines' numbers it names made dialable, then whom to call — the city's own entries first,
    /// then the national lines — leaving out the lines whose every number a step already names
    /// (issue #15: 112 once, not in a step and again in the list). One read of the directory.
    static func plan(
        for situation: Situation, steps: [String], language: Language, on database: any Database
    ) async throws -> (steps: [[StepPart]], lines: [Line]) {
        let listing = try await HotlineDirectory.listing(city: situation.city, on: database)
        let hotlines = listing.local + listing.nationwide
        let dialable = Set(hotlines.flatMap(\.phones))
        let parts = steps.map { Self.parts(of: $0, dialable: dialable) }
        let named = Set(parts.joined().compactMap(\.phone))
        let lines = hotlines.filter { $0.phones.isEmpty || !$0.phones.allSatisfy(named.contains) }.map {
            Line(name: $0.name(language), phones: $0.phones, hasPhones: !$0.phones.isEmpty)
        }
        return (parts, lines)
    }
}

extension ActionPlan {
    /// A piece of a step's text: words, or a phone number to dial with one tap.
    struct StepPart: Encodable, Equatable {
        var text: String
        var phone: String?
    }

    /// A step's text with the help lines' numbers it names (112, 102, 111…) made dialable,
    /// since the list of lines below leaves them out once a step names them. Other numbers (a
    /// year, an article) stay words.
    static func parts(of step: String, dialable: Set<String>) -> [StepPart] {
        var parts: [StepPart] = []
        var words = ""
        var index = step.startIndex
        while index < step.endIndex {
            guard step[index].isASCII, step[index].isNumber else {
                words.append(step[index])
                index = step.index(after: index)
                continue
            }
            // A whole run of digits, not part of a longer number such as +7 701…
            var end = index
            while end < step.endIndex, step[end].isASCII, step[end].isNumber { end = step.index(after: end) }
            let number = String(step[index..<end])
            let afterPlus = index > step.startIndex && step[step.index(before: index)] == "+"
            if dialable.contains(number) && !afterPlus {
                if !words.isEmpty { parts.append(StepPart(text: words)) }
                words = ""
                parts.append(StepPart(text: number, phone: number))
            } else {
                words += number
            }
            index = end
        }
        if !words.isEmpty { parts.append(StepPart(text: words)) }
        return parts
    }
}
