import Foundation

/// Finds what could identify a person in a report's text and proposes a public version
/// without it (SPEC §6: the public text is written by a moderator and never holds a phone
/// number, e-mail, IIN, card number, car plate, URL or @handle).
///
/// Detection is deliberately eager: a false alarm costs a moderator one glance, a miss can
/// cost a reporter their safety. A person's name — a capitalised word that is a known first
/// name or ends like a surname or patronymic (SPEC §2: the public version has names removed) —
/// is refused at publication like everything else; other capitalised words are only proposed
/// for removal, because they may also be a shop or a street the moderator wants to keep.
enum Redaction {
    enum Kind: String, CaseIterable, Codable, Sendable {
        /// `person` is a name the lists know (a first name, a surname's or patronymic's
        /// ending); `name` is any other capitalised word, only proposed for removal.
        case email, url, handle, card, iban, iin, phone, plate, invisible, person, name

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
    /// invisible characters removed, HTML references and percent-encoding decoded, look-alike
    /// letters and spelled-out numbers in digit runs read as digits), again with characters spaced
    /// one by one read together, and base64 tokens decoded; every finding maps back to the
    /// original's own characters.
    static func findings(in text: String) -> [Finding] { findings(in: text, decoding: true) }

    private static func findings(in text: String, decoding: Bool) -> [Finding] {
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
        take(socialLinksWithoutDot(in: base), in: base)
        take(digitFamilies(in: digits), in: digits)
        take(plates(in: base), in: base)
        // "номер машины сто двадцать три АВС ноль два": a plate with spoken numbers.
        take(plates(in: digits), in: digits)
        // "w w w . e v i l . k z": characters spaced one by one, read together.
        if let collapsed = collapsedSpacing(of: base) {
            take(emails(in: collapsed), in: collapsed)
            take(handles(in: collapsed), in: collapsed)
            take(links(in: collapsed), in: collapsed)
            let collapsedDigits = SpokenNumbers.digitView(of: collapsed)
            take(digitFamilies(in: collapsedDigits), in: collapsedDigits)
            take(plates(in: collapsed), in: collapsed)
        }
        if decoding { take(base64Tokens(in: base), in: base) }
        for run in base.invisible where !taken[run].contains(true) {
            for offset in run { taken[offset] = true }
            found.append((.invisible, run))
        }
        take(nameLikeWords(in: base), in: base)
        return found.sorted { $0.range.lowerBound < $1.range.lowerBound }.map {
            Finding(kind: $0.kind, range: base.bounds[$0.range.lowerBound]..<base.bounds[$0.range.upperBound])
        }
    }

    /// Runs of five characters or more written one by one with single spaces between them
    /// ("w w w . e v i l . k z", "1 2 3 A B C 0 2") read without the spaces; nil when the text
    /// has none. Linear.
    static func collapsedSpacing(of text: RedactionText) -> RedactionText? {
        let units = text.units
        func single(_ index: Int) -> Bool {
            !units[index].isSpace && !units[index].isLineBreak && (index == 0 || units[index - 1] == " ")
                && (index + 1 == units.count || units[index + 1] == " ")
        }
        var collapsed = RedactionText(derivedFrom: text)
        var changed = false
        var index = 0
        while index < units.count {
            guard single(index) else {
                collapsed.append(units[index], lower: text.lower[index], upper: text.upper[index])
                index += 1
                continue
            }
            var end = index
            var count = 1
            while end + 2 < units.count && units[end + 1] == " " && single(end + 2) {
                end += 2
                count += 1
            }
            let step = count >= 5 ? 2 : 1
            changed = changed || count >= 5
            for position in stride(from: index, through: end, by: step) {
                collapsed.append(units[position], lower: text.lower[position], upper: text.upper[position])
            }
            index = end + 1
        }
        return changed ? collapsed : nil
    }

    /// Base64-looking tokens (12 characters or more of A–Z, a–z, 0–9, + and /, with optional
    /// "=" padding) that decode to printable ASCII holding something that blocks publication:
    /// the token is a finding of that kind ("ODcwMTU1NTEyMzQ=" is a phone).
    static func base64Tokens(in text: RedactionText) -> [Hit] {
        let units = text.units
        func isBase64(_ unit: Unicode.Scalar) -> Bool {
            unit.isASCIILetter || unit.isASCIIDigit || unit == "+" || unit == "/"
        }
        var hits: [Hit] = []
        var index = 0
        while index < units.count {
            guard isBase64(units[index]), index == 0 || !units[index - 1].isLetterOrDigit else {
                index += 1
                continue
            }
            var end = index
            while end < units.count && isBase64(units[end]) { end += 1 }
            let bodyEnd = end
            while end < units.count && end - bodyEnd < 2 && units[end] == "=" { end += 1 }
            defer { index = max(end, index + 1) }
            guard bodyEnd - index >= 12, bodyEnd - index <= 4096, (bodyEnd - index) % 4 != 1,
                end == units.count || !units[end].isLetterOrDigit,
                let decoded = decodeBase64(units[index..<bodyEnd])
            else { continue }
            let blocking = findings(in: decoded, decoding: false).map(\.kind).filter(\.blocksPublication)
            if let kind = blocking.first { hits.append(Hit(kind: kind, range: index..<end)) }
        }
        return hits
    }

    /// Base64 without padding to the text it encodes, when that is mostly printable ASCII.
    private static func decodeBase64(_ units: ArraySlice<Unicode.Scalar>) -> String? {
        var bytes: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for unit in units {
            let value: UInt32
            switch unit.value {
            case 65...90: value = unit.value - 65
            case 97...122: value = unit.value - 71
            case 48...57: value = unit.value + 4
            case 43: value = 62
            default: value = 63
            }
            buffer = (buffer << 6) | value
            bits += 6
            if bits >= 8 {
                bits -= 8
                bytes.append(UInt8((buffer >> UInt32(bits)) & 0xFF))
            }
        }
        let printable = bytes.filter { ($0 >= 0x20 && $0 < 0x7F) || $0 == 0x0A }.count
        guard !bytes.isEmpty, printable * 10 >= bytes.count * 9 else { return nil }
        return String(decoding: bytes.map { ($0 >= 0x20 && $0 < 0x7F) || $0 == 0x0A ? $0 : 0x20 }, as: UTF8.self)
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

    /// Whether two texts are the same words, ignoring spacing, punctuation, letter case,
    /// invisible characters and look-alike letters of another script (the skeleton of
    /// ``skeletonWords(of:)``): publishing the original unchanged is exactly what the review
    /// must prevent.
    static func isSameText(_ a: String, _ b: String) -> Bool {
        let (first, second) = (skeletonWords(of: a), skeletonWords(of: b))
        if first.isEmpty && second.isEmpty {
            return a.lowercased().split(whereSeparator: \.isWhitespace)
                == b.lowercased().split(whereSeparator: \.isWhitespace)
        }
        return first.map(\.word) == second.map(\.word)
    }

    /// The words of a text: runs of letters, digits and combining marks after compatibility
    /// normalisation, without invisible format characters, each as a skeleton for comparing
    /// (`word`: lower case, with Latin, Cyrillic and Greek look-alikes folded to one letter, so
    /// "Он" with a Latin "O" is "Он") and as written for naming (`shown`). Linear.
    static func skeletonWords(of text: String) -> [(word: String, shown: String)] {
        var result: [(word: String, shown: String)] = []
        var current = String.UnicodeScalarView()
        func finish() {
            guard !current.isEmpty else { return }
            let shown = String(current)
            var folded = String.UnicodeScalarView()
            for scalar in shown.lowercased().unicodeScalars { folded.append(skeleton(scalar)) }
            result.append((String(folded), shown))
            current = String.UnicodeScalarView()
        }
        for scalar in text.precomposedStringWithCompatibilityMapping.unicodeScalars {
            let properties = scalar.properties
            if properties.generalCategory == .format || RedactionText.isInvisible(scalar) { continue }
            if properties.isAlphabetic || properties.numericType != nil || properties.generalCategory == .nonspacingMark
            {
                current.append(scalar)
            } else {
                finish()
            }
        }
        finish()
        return result
    }

    /// A lower-case letter's look-alike class: Cyrillic and Greek letters drawn like a Latin one
    /// become that Latin letter ("а" → "a", "р" → "p", "н" as the capital "Н" → "h").
    static func skeleton(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        switch scalar {
        case "а", "α": return "a"
        case "в", "β": return "b"
        case "с", "ϲ": return "c"
        case "е", "ё", "ε": return "e"
        case "һ", "н", "η": return "h"
        case "і", "ї", "ι", "ı": return "i"
        case "ј": return "j"
        case "к", "κ": return "k"
        case "м", "μ": return "m"
        case "о", "ο", "σ": return "o"
        case "р", "ρ": return "p"
        case "ԛ": return "q"
        case "ѕ": return "s"
        case "т", "τ": return "t"
        case "у", "ү", "γ": return "y"
        case "х", "χ": return "x"
        case "ԝ": return "w"
        case "ν": return "v"
        default: return scalar
        }
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
        var runWords: [[Int]] = []
        for (index, word) in words.enumerated() where marked[index] {
            if let last = runs.last, adjacent(last.range, word.range) {
                runs[runs.count - 1].range = last.range.lowerBound..<word.range.upperBound
                runWords[runWords.count - 1].append(index)
            } else {
                runs.append(Hit(kind: .name, range: word.range))
                runWords.append([index])
            }
        }
        // A run holding a known first name or a surname's ending names a person (SPEC §2:
        // the public text has no names) — unless it names a street ("Абай даңғылы").
        for (run, members) in zip(runs.indices, runWords) {
            let named = members.contains { index in
                let word = words[index].lowered
                return !commonWords.contains(word) && (FirstNames.contains(word) || FirstNames.looksLikeSurname(word))
            }
            guard named, !isStreet(around: runs[run].range, in: text) else { continue }
            runs[run].kind = .person
            runs[run].range = runs[run].range.lowerBound..<initialsEnd(after: runs[run].range.upperBound, in: units)
        }
        return runs
    }

    /// Words that make the name beside them a street or a square, not a person.
    static let streetWordsAfter = [
        "даңғыл", "көше", "проспект", "улиц", "бульвар", "street", "avenue", "ave", "square", "мкр", "ықшам", "шағын",
        "алаң", "площад",
    ]
    static let streetWordsBefore: Set<String> = [
        "улица", "улице", "улицу", "улицы", "ул", "проспект", "проспекте", "проспекту", "пр", "бульвар", "бульваре",
        "площадь", "площади", "мкр", "микрорайон", "микрорайоне", "street", "avenue", "көшесі", "даңғылы",
    ]

    private static func isStreet(around range: Range<Int>, in text: RedactionText) -> Bool {
        let units = text.units
        var start = range.upperBound
        while start < units.count && start - range.upperBound < 2 && units[start].isSpace { start += 1 }
        var end = start
        while end < units.count && units[end].isLetter && end - start < 16 { end += 1 }
        if end > start {
            let next = text.lowercased(start..<end)
            if streetWordsAfter.contains(where: { next.hasPrefix($0) }) { return true }
        }
        end = range.lowerBound
        while end > 0 && range.lowerBound - end < 3 && (units[end - 1].isSpace || units[end - 1] == ".") { end -= 1 }
        start = end
        while start > 0 && units[start - 1].isLetter && end - start < 16 { start -= 1 }
        return start < end && streetWordsBefore.contains(text.lowercased(start..<end))
    }

    /// The end of initials after a surname ("Асанов А.Б.", "Asanov A. B."), or `end` itself.
    private static func initialsEnd(after end: Int, in units: [Unicode.Scalar]) -> Int {
        var result = end
        var position = end
        for _ in 0..<2 {
            while position < units.count && position - result < 1 && units[position].isSpace { position += 1 }
            guard position + 1 < units.count, units[position].isUpper, units[position + 1] == ".",
                position + 2 == units.count || !units[position + 2].isLetter || units[position + 2].isUpper
            else { break }
            position += 2
            result = position
        }
        return result
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
