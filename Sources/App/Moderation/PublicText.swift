import Foundation

/// The public text of a report (SPEC §6): the proposal the publish form starts from, written
/// from the report's answers and never from its description, and the test that says a text
/// quotes the reporter. ``ModerationService/publishablePublicDescription(_:original:)`` is the
/// one check every saved public text passes.
enum PublicText {
    /// A few short sentences in the report's language, made only of the answer labels of the
    /// locale files (`proposal_*`): place type and time band, kinds, who did it (stranger or
    /// known and the relation, one or a group), whether and by whom it was stopped, and the
    /// reporter's role. Not one word of the description. Each sentence is a whole template, so
    /// no word has to agree with another one filled in beside it.
    static func proposal(for report: Report, translations: Translations) -> String {
        let language = Language(rawValue: report.language) ?? .ru
        func text(_ key: String) -> String { translations.text(key, language) }
        func fill(_ key: String, _ values: [String: String]) -> String {
            values.reduce(text(key)) { $0.replacingOccurrences(of: "{\($1.key)}", with: $1.value) }
        }

        var sentences: [String] = []
        let place = text("proposal_place_" + (PlaceType(rawValue: report.placeType) ?? .other).rawValue)
        let band =
            report.timeBand.flatMap(TimeBand.init(rawValue:))
            ?? report.incidentTime.flatMap { Int($0.prefix(2)) }.map(TimeBand.init(hour:))
        if let band {
            sentences.append(fill("proposal_what", ["place": place, "time": text("proposal_time_" + band.rawValue)]))
        } else {
            sentences.append(fill("proposal_what_no_time", ["place": place]))
        }

        let kinds = report.kinds.isEmpty ? [HarassmentKind.other] : report.kinds
        sentences.append(
            fill(
                "proposal_kinds", ["kinds": kinds.map { text("proposal_kind_" + $0.rawValue) }.joined(separator: "; ")])
        )

        let size = report.perpetratorCount == PerpetratorCount.group.rawValue ? "group" : "one"
        if report.perpetrator == Perpetrator.known.rawValue {
            // An acquaintance is what "someone they knew" already says.
            if let relation = report.perpetratorRelation.flatMap(PerpetratorRelation.init(rawValue:)),
                relation != .acquaintance
            {
                sentences.append(
                    fill("proposal_who_known_" + size, ["relation": text("proposal_relation_" + relation.rawValue)]))
            } else {
                sentences.append(text("proposal_who_known_\(size)_unsaid"))
            }
        } else {
            sentences.append(text("proposal_who_stranger_" + size))
        }

        if !report.prevented {
            sentences.append(text("proposal_prevented_no"))
        } else if let by = report.preventedBy.flatMap(PreventedBy.init(rawValue:)) {
            sentences.append(text("proposal_prevented_by_" + by.rawValue))
        } else {
            sentences.append(text("proposal_prevented_yes"))
        }

        if let role = ReporterRole(rawValue: report.role) { sentences.append(text("proposal_role_" + role.rawValue)) }
        return sentences.map(capitalizingFirstLetter).joined(separator: " ")
    }

    /// How many of the original's words in a row make a public text "the reporter's words".
    /// Eight is a clause: two retellings of one event rarely share one by chance, while a copied
    /// sentence always does. An original shorter than that counts as quoted when the text holds
    /// all of it, from four words up.
    static let quotedRunLength = 8

    /// The first run of `quotedRunLength` words (or the whole original, when it is shorter but
    /// at least four words) that `text` repeats from `original`, as it stands in `text`; nil when
    /// none. Words are compared after compatibility normalisation, without letter case, without
    /// invisible format characters and with look-alike Latin, Cyrillic and Greek letters folded
    /// together, so neither spacing, punctuation, full-width letters, a zero-width space nor a
    /// Latin "o" in a Russian word hides a copied sentence. Linear in the two lengths.
    static func quotedRun(in text: String, from original: String) -> String? {
        let source = words(of: original)
        let length = min(quotedRunLength, source.count)
        guard length >= 4 else { return nil }
        var runs = Set<String>()
        for start in 0...(source.count - length) {
            runs.insert(source[start..<(start + length)].map(\.word).joined(separator: " "))
        }
        let candidate = words(of: text)
        guard candidate.count >= length else { return nil }
        for start in 0...(candidate.count - length) {
            let slice = candidate[start..<(start + length)]
            if runs.contains(slice.map(\.word).joined(separator: " ")) {
                return slice.map(\.shown).joined(separator: " ")
            }
        }
        return nil
    }

    /// The words of a text, compared through their look-alike skeleton
    /// (``Redaction/skeletonWords(of:)``).
    private static func words(of text: String) -> [(word: String, shown: String)] {
        Redaction.skeletonWords(of: text)
    }

    private static func capitalizingFirstLetter(_ sentence: String) -> String {
        guard let first = sentence.first else { return sentence }
        return first.uppercased() + sentence.dropFirst()
    }
}
