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
        case email, url, handle, card, iban, iin, phone, plate, invisible, name

        /// Whether the server refuses to publish a text that still holds this.
        var blocksPublication: Bool { self != .name }
    }

    struct Finding: Equatable, Sendable {
        var kind: Kind
        /// Always on Unicode scalar boundaries of the text; slice with `text.unicodeScalars`.
        var range: Range<String.Index>
    }

    /// A run of the original text, marked when it is a finding; the admin page highlights these.
    struct Segment: Encodable, Equatable, Sendable {
        var text: String
        /// The finding's kind, or nil for plain text.
        var kind: String?
    }

    /// Everything identifying in `text`, in reading order, never overlapping.
    ///
    /// The detectors read a normalised copy (NFKC, digits of any script as ASCII digits,
    /// invisible characters removed, look-alike letters and spelled-out numbers in digit runs
    /// read as digits) and every finding maps back to the original's own characters.
    static func findings(in text: String) -> [Finding] {
        let base = RedactionText(text)
        let digits = SpokenNumbers.digitView(of: base)
        var taken = [Bool](repeating: false, count: base.bounds.count)
        var found: [(kind: Kind, range: Range<Int>)] = []
        func take(_ hits: [Hit], in view: RedactionText) {
            for hit in hits where !hit.range.isEmpty {
                let range = view.originalRange(hit.range)
                guard !range.isEmpty, !taken[range].contains(true) else { continue }
                for offset in range { taken[offset] = true }
                found.append((hit.kind, range))
            }
        }
        take(emails(in: base), in: base)
        take(ibans(in: base), in: base)
        take(handles(in: base), in: base)
        take(links(in: base), in: base)
        take(digitFamilies(in: digits), in: digits)
        take(plates(in: base), in: base)
        for run in base.invisible where !taken[run].contains(true) {
            for offset in run { taken[offset] = true }
            found.append((.invisible, run))
        }
        take(nameLikeWords(in: base), in: base)
        return found.sorted { $0.range.lowerBound < $1.range.lowerBound }.map {
            Finding(kind: $0.kind, range: base.bounds[$0.range.lowerBound]..<base.bounds[$0.range.upperBound])
        }
    }

    /// The original with every finding replaced by a bracketed placeholder such as "[phone]";
    /// invisible characters are simply left out.
    static func proposal(for text: String, placeholder: (Kind) -> String) -> String {
        var result = String.UnicodeScalarView()
        var position = text.startIndex
        for finding in findings(in: text) {
            result.append(contentsOf: text.unicodeScalars[position..<finding.range.lowerBound])
            if finding.kind != .invisible { result.append(contentsOf: placeholder(finding.kind).unicodeScalars) }
            position = finding.range.upperBound
        }
        result.append(contentsOf: text.unicodeScalars[position...])
        return String(result)
    }

    /// The original cut into plain and marked runs, for showing the findings in place.
    static func segments(of text: String) -> [Segment] {
        var segments: [Segment] = []
        var position = text.startIndex
        func slice(_ range: Range<String.Index>) -> String {
            String(String.UnicodeScalarView(text.unicodeScalars[range]))
        }
        for finding in findings(in: text) {
            if position < finding.range.lowerBound {
                segments.append(Segment(text: slice(position..<finding.range.lowerBound), kind: nil))
            }
            segments.append(Segment(text: slice(finding.range), kind: finding.kind.rawValue))
            position = finding.range.upperBound
        }
        if position < text.endIndex { segments.append(Segment(text: slice(position..<text.endIndex), kind: nil)) }
        return segments
    }

    /// The kinds that stop `text` from being published, in a fixed order. An invisible
    /// character counts even inside another finding.
    static func blockingKinds(in text: String) -> [Kind] {
        var found = Set(findings(in: text).map(\.kind))
        if text.unicodeScalars.contains(where: RedactionText.isInvisible) && !RedactionText(text).invisible.isEmpty {
            found.insert(.invisible)
        }
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

    // MARK: Name-like words

    private struct Word {
        var range: Range<Int>
        var lowered: String
        var sentenceStart: Bool
    }

    /// Capitalised words that are not at the start of a sentence and not common words; a
    /// sentence's first word when it is a common first name or ends like a surname or
    /// patronymic, or when a name-like word follows it ("Иван Петров звонил…"). Runs of such
    /// words become one finding.
    static func nameLikeWords(in text: RedactionText) -> [Hit] {
        let units = text.units
        var words: [Word] = []
        var index = 0
        while index < units.count {
            guard units[index].isLetter, index == 0 || !units[index - 1].isLetterOrDigit else {
                index += 1
                continue
            }
            let start = index
            var capitalised = units[index].isUpper
            var lowercase = false
            index += 1
            while index < units.count {
                let unit = units[index]
                if unit.isLetter || (!unit.isASCII && unit.properties.generalCategory == .nonspacingMark) {
                    if unit.isUpper { capitalised = false }
                    if unit.isLower { lowercase = true }
                    index += 1
                } else if "-'’".unicodeScalars.contains(unit), index + 1 < units.count, units[index + 1].isLetter {
                    index += 2
                    lowercase = lowercase || units[index - 1].isLower
                } else {
                    break
                }
            }
            if index < units.count && units[index].isASCIIDigit { continue }
            if capitalised && lowercase {
                words.append(
                    Word(
                        range: start..<index, lowered: text.lowercased(start..<index),
                        sentenceStart: isSentenceStart(start, in: units)))
            }
        }
        var marked = words.map { word in
            guard !commonWords.contains(word.lowered) else { return false }
            return !word.sentenceStart || FirstNames.contains(word.lowered) || FirstNames.looksLikeSurname(word.lowered)
        }
        func adjacent(_ a: Range<Int>, _ b: Range<Int>) -> Bool {
            units[a.upperBound..<b.lowerBound].allSatisfy { $0 == " " || $0 == "\u{00A0}" }
        }
        for index in words.indices.dropLast() where !marked[index] && marked[index + 1] {
            if adjacent(words[index].range, words[index + 1].range) && !commonWords.contains(words[index].lowered) {
                marked[index] = true
            }
        }
        var runs: [Hit] = []
        for (index, word) in words.enumerated() where marked[index] {
            if let last = runs.last, adjacent(last.range, word.range) {
                runs[runs.count - 1].range = last.range.lowerBound..<word.range.upperBound
            } else {
                runs.append(Hit(kind: .name, range: word.range))
            }
        }
        return runs
    }

    /// Whether the word starting at `index` opens a sentence or a line. A full stop after a
    /// single capital letter is an initial ("И. Петров"), not the end of a sentence.
    private static func isSentenceStart(_ index: Int, in units: [Unicode.Scalar]) -> Bool {
        var position = index
        while position > 0 {
            let previous = position - 1
            let unit = units[previous]
            if unit.isLineBreak { return true }
            if unit.isSpace || "\"«“„(‘'—–-•*".unicodeScalars.contains(unit) {
                position = previous
                continue
            }
            guard ".!?…".unicodeScalars.contains(unit) else { return false }
            if unit == "." && previous > 0 {
                let before = previous - 1
                let isInitial =
                    units[before].isUpper && (before == 0 || !units[before - 1].isLetter)
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
