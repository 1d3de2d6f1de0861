import Foundation

/// Finds what could identify a person in a report's text and proposes a public version
/// without it (SPEC §6: the public text is written by a moderator and never holds a phone
/// number, e-mail, IIN, card number, car plate, URL or @handle).
///
/// Detection is deliberately eager: a false alarm costs a moderator one glance, a miss can
/// cost a reporter their safety. Name-like words are only proposed for removal, because a
/// capitalised word may also be a shop or a street the moderator wants to keep; everything
/// else is refused at publication.
enum Redaction {
    enum Kind: String, CaseIterable, Codable, Sendable {
        case email, url, handle, card, iin, phone, plate, name

        /// Whether the server refuses to publish a text that still holds this.
        var blocksPublication: Bool { self != .name }
    }

    struct Finding: Equatable, Sendable {
        var kind: Kind
        var range: Range<String.Index>
    }

    /// A run of the original text, marked when it is a finding; the admin page highlights these.
    struct Segment: Encodable, Equatable, Sendable {
        var text: String
        /// The finding's kind, or nil for plain text.
        var kind: String?
    }

    /// Everything identifying in `text`, in reading order, never overlapping.
    static func findings(in text: String) -> [Finding] {
        var taken: [Finding] = []
        func isFree(_ range: Range<String.Index>) -> Bool { !taken.contains { $0.range.overlaps(range) } }
        for (kind, pattern) in patterns {
            for range in matches(of: pattern, in: text) {
                let trimmed = trimTrailingPunctuation(range, in: text, kind: kind)
                if !trimmed.isEmpty && isFree(trimmed) { taken.append(Finding(kind: kind, range: trimmed)) }
            }
        }
        for range in nameLikeWords(in: text) where isFree(range) {
            taken.append(Finding(kind: .name, range: range))
        }
        return taken.sorted { $0.range.lowerBound < $1.range.lowerBound }
    }

    /// The original with every finding replaced by a bracketed placeholder such as "[phone]".
    static func proposal(for text: String, placeholder: (Kind) -> String) -> String {
        var result = ""
        var position = text.startIndex
        for finding in findings(in: text) {
            result += text[position..<finding.range.lowerBound]
            result += placeholder(finding.kind)
            position = finding.range.upperBound
        }
        result += text[position...]
        return result
    }

    /// The original cut into plain and marked runs, for showing the findings in place.
    static func segments(of text: String) -> [Segment] {
        var segments: [Segment] = []
        var position = text.startIndex
        for finding in findings(in: text) {
            if position < finding.range.lowerBound {
                segments.append(Segment(text: String(text[position..<finding.range.lowerBound]), kind: nil))
            }
            segments.append(Segment(text: String(text[finding.range]), kind: finding.kind.rawValue))
            position = finding.range.upperBound
        }
        if position < text.endIndex { segments.append(Segment(text: String(text[position...]), kind: nil)) }
        return segments
    }

    /// The kinds that stop `text` from being published, in a fixed order.
    static func blockingKinds(in text: String) -> [Kind] {
        let found = Set(findings(in: text).map(\.kind))
        return Kind.allCases.filter { $0.blocksPublication && found.contains($0) }
    }

    /// Whether two texts are the same words, ignoring spacing and letter case: publishing the
    /// original unchanged is exactly what the review must prevent.
    static func isSameText(_ a: String, _ b: String) -> Bool {
        func normal(_ text: String) -> String {
            text.lowercased().split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        }
        return normal(a) == normal(b)
    }

    // MARK: Patterns

    /// Tried in this order; a later match that overlaps an earlier one is dropped, so a card
    /// number is never also reported as a phone number.
    private static let patterns: [(Kind, NSRegularExpression)] = [
        (.email, #"[\p{L}\p{N}._%+\-]+@[\p{L}\p{N}\-]+(?:\.[\p{L}\p{N}\-]+)*\.\p{L}{2,}"#),
        (
            .url,
            #"(?i)(?:https?://|www\.)[^\s<>«»"]+|(?<![\p{L}\p{N}@._\-])(?:[\p{L}\p{N}\-]+\.)+(?:com|kz|ru|org|net|me|io|info|su|ly|gg|co|tv|app|by|uz|kg|рф|қаз)(?:/[^\s<>«»"]*)?(?![\p{L}\p{N}])"#
        ),
        (.handle, #"(?<![\p{L}\p{N}_@.])@[A-Za-z0-9_][A-Za-z0-9_.]{2,31}"#),
        // Bank cards: 16 digits (up to 19), together or in groups of four.
        (.card, #"(?<![0-9])[0-9]{4}(?:[ \-]?[0-9]{4}){3}(?:[ \-]?[0-9]{1,3})?(?![0-9])"#),
        // IIN and BIN: twelve digits.
        (.iin, #"(?<![0-9])[0-9]{12}(?![0-9])"#),
        // International, with a plus: 8 to 15 digits, spaced, dashed or bracketed.
        (.phone, #"\+\s?[0-9](?:[\s\-()]{0,2}[0-9]){7,14}(?![0-9])"#),
        // Kazakhstan's 8 or 7 prefix and ten digits: 8 701 555 12 34, 8(7172)55-12-34, 87015551234.
        (.phone, #"(?<![0-9+])[78][\s\-]?\(?[0-9](?:[\s\-()]{0,2}[0-9]){9}(?![0-9])"#),
        // Ten digits of a Kazakh number without the prefix: 701 555 12 34, (701) 555-12-34.
        (.phone, #"(?<![0-9+])\(?7[0-9]{2}\)?(?:[\s\-]?[0-9]){7}(?![0-9])"#),
        // A local number: 555-12-34, 555 12 34, 555-1234.
        (.phone, #"(?<![0-9\-.:/])[0-9]{3}(?:[\s\-][0-9]{2}[\s\-][0-9]{2}|-[0-9]{4})(?![0-9\-.:/])"#),
        // Plates since 2012: 123 ABC 02 (Latin letters, or Cyrillic look-alikes as people type them).
        (
            .plate,
            #"(?<![\p{L}\p{N}])[0-9]{3}\s?[A-Za-zАВЕКМНОРСТУХавекмнорстух]{2,3}\s?[0-9]{2}(?![\p{L}\p{N}])"#
        ),
        // Older and Russian plates: A 123 BCD, A123BC 77 (capitals only, so words are not caught).
        (
            .plate,
            #"(?<![\p{L}\p{N}])[A-ZАВЕКМНОРСТУХ]\s?[0-9]{3}\s?[A-ZАВЕКМНОРСТУХ]{2,3}(?:\s?[0-9]{2,3})?(?![\p{L}\p{N}])"#
        ),
    ].map { kind, pattern in
        // The patterns are constants of this file; a typo in one is a programming error.
        (kind, try! NSRegularExpression(pattern: pattern))
    }

    private static let capitalisedWord = try! NSRegularExpression(
        pattern: #"(?<![\p{L}\p{N}\p{M}])\p{Lu}[\p{Ll}\p{M}]+(?:[\-'’]\p{Lu}?[\p{Ll}\p{M}]+)*(?![\p{L}\p{N}\p{M}])"#)

    private static func matches(of pattern: NSRegularExpression, in text: String) -> [Range<String.Index>] {
        pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
            Range($0.range, in: text)
        }
    }

    /// A URL or handle at the end of a sentence does not take the full stop with it.
    private static func trimTrailingPunctuation(
        _ range: Range<String.Index>, in text: String, kind: Kind
    ) -> Range<String.Index> {
        guard kind == .url || kind == .handle || kind == .email else { return range }
        var end = range.upperBound
        while end > range.lowerBound, let last = text[range.lowerBound..<end].last, ".,;:!?)»\"'’".contains(last) {
            end = text.index(before: end)
        }
        return range.lowerBound..<end
    }

    // MARK: Name-like words

    /// Capitalised words that are not at the start of a sentence and not common words, plus a
    /// sentence's first word when a name-like word follows it ("Иван Петров звонил…"). Runs
    /// of such words become one finding.
    private static func nameLikeWords(in text: String) -> [Range<String.Index>] {
        let words = matches(of: capitalisedWord, in: text)
        var marked = words.map { range in
            !isSentenceStart(range.lowerBound, in: text) && !commonWords.contains(text[range].lowercased())
        }
        func adjacent(_ a: Range<String.Index>, _ b: Range<String.Index>) -> Bool {
            text[a.upperBound..<b.lowerBound].allSatisfy { $0 == " " || $0 == "\u{00A0}" }
        }
        for index in words.indices.dropLast() where !marked[index] && marked[index + 1] {
            if adjacent(words[index], words[index + 1]) && !commonWords.contains(text[words[index]].lowercased()) {
                marked[index] = true
            }
        }
        var runs: [Range<String.Index>] = []
        for (index, range) in words.enumerated() where marked[index] {
            if let last = runs.last, adjacent(last, range) {
                runs[runs.count - 1] = last.lowerBound..<range.upperBound
            } else {
                runs.append(range)
            }
        }
        return runs
    }

    /// Whether the word starting at `index` opens a sentence or a line. A full stop after a
    /// single capital letter is an initial ("И. Петров"), not the end of a sentence.
    private static func isSentenceStart(_ index: String.Index, in text: String) -> Bool {
        var position = index
        while position > text.startIndex {
            let previous = text.index(before: position)
            let character = text[previous]
            if character.isNewline { return true }
            if character.isWhitespace || "\"«“„(‘'—–-•*".contains(character) {
                position = previous
                continue
            }
            guard ".!?…".contains(character) else { return false }
            if character == "." && previous > text.startIndex {
                let before = text.index(before: previous)
                let isInitial =
                    text[before].isUppercase
                    && (before == text.startIndex || !text[text.index(before: before)].isLetter)
                return !isInitial
            }
            return true
        }
        return true
    }

    /// Words that are capitalised mid-sentence without naming a person: polite pronouns,
    /// English months and days, countries and languages, common services, and the cities of
    /// the built-in list (the city is public anyway).
    static let commonWords: Set<String> = {
        let words = """
            вы вас вам ваш ваша ваше ваши вами сіз сізге сізді сіздің сізбен сіздер
            god бог аллах құдай mr mrs ms dr
            january february march april may june july august september october november december
            monday tuesday wednesday thursday friday saturday sunday
            kazakhstan казахстан қазақстан russia россия ресей kazakh russian english
            қазақ қазақша русский орыс
            instagram whatsapp telegram facebook tiktok youtube google yandex яндекс kaspi каспи
            uber indrive indriver olx dauys дауыс
            """
        var set = Set(words.split(whereSeparator: \.isWhitespace).map(String.init))
        for city in CityCatalog.all {
            for name in [city.en, city.kk, city.ru] {
                for part in name.split(whereSeparator: { !$0.isLetter && $0 != "-" }) { set.insert(part.lowercased()) }
            }
        }
        return set
    }()
}
