import Foundation

/// The detectors behind `Redaction.findings`: hand-written scanners over the normalised text,
/// each a single pass with bounded look-ahead, so a crafted text costs linear time (issue #21).
extension Redaction {
    /// A detector's hit, in units of the view it scanned.
    struct Hit {
        var kind: Kind
        var range: Range<Int>
    }

    // MARK: Markers of e-mails and links

    /// Words and bracketed forms that stand for "@" in a disguised e-mail.
    static let atWords: Set<String> = ["at", "собака", "собачка", "собаку", "эт", "sobaka"]
    /// Words that stand for "." in a disguised address.
    static let dotWords: Set<String> = ["dot", "точка", "точку", "нүкте", "нукте", "тчк", "tochka", "nukte"]

    private static func isLabelUnit(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isLetterOrDigit || scalar == "-" || scalar == "_"
    }

    private static func skipSpaces(_ units: [Unicode.Scalar], from start: Int, limit: Int = 2) -> Int {
        var index = start
        while index < units.count && index - start < limit && units[index].isSpace { index += 1 }
        return index
    }

    /// The end of a word made only of letters starting at `start`, if it is one of `words`
    /// (optionally in brackets), else nil.
    private static func markerWord(
        _ text: RedactionText, at start: Int, words: Set<String>, symbol: Unicode.Scalar
    ) -> Int? {
        let units = text.units
        guard start < units.count else { return nil }
        let opening: Unicode.Scalar? = ["(", "[", "{", "<"].contains(units[start]) ? units[start] : nil
        var index = opening == nil ? start : skipSpaces(units, from: start + 1, limit: 1)
        guard index < units.count else { return nil }
        if units[index] == symbol {
            index += 1
        } else {
            let wordStart = index
            while index < units.count && units[index].isLetter && index - wordStart < 9 { index += 1 }
            guard index > wordStart, index == units.count || !units[index].isLetterOrDigit,
                words.contains(text.lowercased(wordStart..<index))
            else { return nil }
            // A bare "." or "@" is handled by the caller; a bare word must stand alone.
        }
        if opening != nil {
            index = skipSpaces(units, from: index, limit: 1)
            guard index < units.count, [")", "]", "}", ">"].contains(units[index]) else { return nil }
            index += 1
        } else if units[start] == symbol {
            return nil
        }
        return index
    }

    /// After a label ending at `end`: the start of the next label when a dot (plain, spaced,
    /// bracketed or spelled) follows, and whether it was disguised.
    private static func dot(
        after end: Int, in text: RedactionText, spacedPlainDot: Bool
    ) -> (next: Int, disguised: Bool)? {
        let units = text.units
        let start = skipSpaces(units, from: end)
        guard start < units.count else { return nil }
        if units[start] == "." {
            let next = skipSpaces(units, from: start + 1)
            let before = start - end
            let after = next - start - 1
            guard next < units.count, isLabelUnit(units[next]) else { return nil }
            if before == 0 && after == 0 { return (next, false) }
            if (before > 0 && after > 0) || spacedPlainDot { return (next, true) }
            return nil
        }
        if let markerEnd = markerWord(text, at: start, words: dotWords, symbol: ".") {
            let next = skipSpaces(units, from: markerEnd)
            guard next < units.count, isLabelUnit(units[next]), start > end || units[start] != "." else { return nil }
            return (next, true)
        }
        return nil
    }

    private static func labelEnd(_ units: [Unicode.Scalar], from start: Int, asciiOnly: Bool) -> Int {
        var index = start
        while index < units.count && isLabelUnit(units[index]) && (!asciiOnly || units[index].isASCII)
            && index - start < 63
        {
            index += 1
        }
        return index
    }

    /// Whether a label can end a domain: letters (any script) or punycode, two to 24, written
    /// all in lower case or all in capitals.
    private static func isTopLevel(_ text: RedactionText, _ range: Range<Int>) -> Bool {
        guard (2...24).contains(range.count) else { return false }
        let label = text.units[range]
        if text.lowercased(range).hasPrefix("xn--") { return true }
        guard label.allSatisfy(\.isLetter) else { return false }
        let upper = label.filter { $0.isUpper }.count
        return upper == 0 || upper == label.count
    }

    /// A domain (two labels or more) from `start`: its end, whether any dot was disguised,
    /// and its labels.
    private static func domain(
        in text: RedactionText, from start: Int, asciiOnly: Bool, spacedPlainDot: Bool
    ) -> (end: Int, disguised: Bool, labels: [Range<Int>])? {
        let units = text.units
        var labels: [Range<Int>] = []
        var index = start
        var disguised = false
        while labels.count < 10 {
            let end = labelEnd(units, from: index, asciiOnly: asciiOnly)
            guard end > index else { break }
            labels.append(index..<end)
            guard let (next, spelled) = dot(after: end, in: text, spacedPlainDot: spacedPlainDot) else { break }
            // A spelled dot only joins labels that are not themselves the word.
            let nextEnd = labelEnd(units, from: next, asciiOnly: asciiOnly)
            guard nextEnd > next else { break }
            disguised = disguised || spelled
            index = next
        }
        // Drop trailing labels until one can be a top-level domain.
        while labels.count >= 2, !isTopLevel(text, labels[labels.count - 1]) { labels.removeLast() }
        guard labels.count >= 2, let last = labels.last else { return nil }
        return (last.upperBound, disguised, labels)
    }

    // MARK: E-mails

    static func emails(in text: RedactionText) -> [Hit] {
        let units = text.units
        var hits: [Hit] = []
        var index = 0
        var searchFrom = 0
        while index < units.count {
            defer { index += 1 }
            guard index >= searchFrom else { continue }
            let isSymbol = units[index] == "@"
            var markerEnd: Int?
            if isSymbol {
                markerEnd = index + 1
            } else if units[index] == "(" || units[index] == "[" || units[index] == "{"
                || (units[index].isLetter && (index == 0 || !units[index - 1].isLetterOrDigit))
            {
                markerEnd = markerWord(text, at: index, words: atWords, symbol: "@")
            }
            guard let markerEnd else { continue }
            let asciiOnly = !isSymbol
            // The local part, read backwards: letters, digits and . _ % + -.
            var localEnd = index
            let spacedAfter = markerEnd < units.count && units[markerEnd].isSpace
            while localEnd > 0 && index - localEnd < 2 && units[localEnd - 1].isSpace && (!isSymbol || spacedAfter) {
                localEnd -= 1
            }
            var localStart = localEnd
            while localStart > 0 && localEnd - localStart < 64 {
                let unit = units[localStart - 1]
                guard (unit.isLetterOrDigit || "._%+-".unicodeScalars.contains(unit)) && (!asciiOnly || unit.isASCII)
                else { break }
                localStart -= 1
            }
            while localStart < localEnd && "._-".unicodeScalars.contains(units[localStart]) { localStart += 1 }
            guard localStart < localEnd, units[localStart..<localEnd].contains(where: \.isLetterOrDigit) else {
                continue
            }
            if localStart > 0 && units[localStart - 1] == "@" { continue }
            let domainStart = skipSpaces(units, from: markerEnd)
            guard
                let found = domain(
                    in: text, from: domainStart, asciiOnly: asciiOnly,
                    spacedPlainDot: !isSymbol || markerEnd < domainStart)
                    ?? providerWithoutDot(in: text, from: domainStart)
            else { continue }
            hits.append(Hit(kind: .email, range: localStart..<found.end))
            searchFrom = found.end
        }
        return hits
    }

    /// Mail services people name without the dot: "ivan собака mail ru", "ivan at gmail com".
    static let mailProviders: Set<String> = [
        "mail", "gmail", "yandex", "ya", "inbox", "list", "bk", "rambler", "outlook", "hotmail", "yahoo", "icloud",
        "proton", "protonmail", "internet",
    ]

    private static func providerWithoutDot(
        in text: RedactionText, from start: Int
    ) -> (end: Int, disguised: Bool, labels: [Range<Int>])? {
        let units = text.units
        let providerEnd = labelEnd(units, from: start, asciiOnly: true)
        guard providerEnd > start, mailProviders.contains(text.lowercased(start..<providerEnd)) else { return nil }
        let topStart = skipSpaces(units, from: providerEnd)
        let topEnd = labelEnd(units, from: topStart, asciiOnly: true)
        // Without the dot the ending must be one these services use, or "at list of" would be one.
        guard topStart > providerEnd, topEnd > topStart,
            ["ru", "com", "kz", "net", "org", "ua", "by", "uz", "kg"].contains(text.lowercased(topStart..<topEnd)),
            topEnd == units.count || !units[topEnd].isLetterOrDigit
        else { return nil }
        return (topEnd, true, [start..<providerEnd, topStart..<topEnd])
    }

    // MARK: Links

    /// Short words that end with a full stop in ordinary writing ("ул.Абая", "т.е.", "e.g."),
    /// and file endings: a plain "x.y" starting or ending with one is not taken for a link.
    static let abbreviations: Set<String> = [
        "ул", "пр", "просп", "пер", "пл", "бул", "мкр", "мкрн", "г", "гор", "д", "дом", "кв", "корп", "обл", "р",
        "рн", "с", "пос", "им", "см", "т", "тел", "напр", "др", "проф", "доц", "зав", "зам", "нач", "гос", "яз",
        "тыс", "млн", "млрд", "руб", "коп", "тг", "мин", "сек", "час", "ч", "кг", "мм", "км", "м", "шт", "стр",
        "рис", "табл", "гл", "п", "ст", "ж", "көш", "даң", "ш", "etc", "vs", "approx", "no", "st", "dr", "mr",
        "mrs", "ms", "jr", "sr", "ave", "rd", "inc", "ltd", "co", "fig", "min", "max", "sec", "hr", "hrs",
    ]
    static let cyrillicTopLevel: Set<String> = [
        "рф", "қаз", "каз", "рус", "бел", "укр", "срб", "мкд", "мон", "орг", "ком", "сайт", "онлайн", "дети", "москва",
        "бг", "юа",
    ]
    static let fileEndings: Set<String> = [
        "jpg", "jpeg", "png", "gif", "heic", "pdf", "doc", "docx", "txt", "mp3", "mp4", "xls", "xlsx", "ppt",
        "pptx", "webp", "ogg", "wav", "avi",
    ]

    static func links(in text: RedactionText) -> [Hit] {
        let units = text.units
        var hits: [Hit] = []
        var index = 0
        while index < units.count {
            let previous: Unicode.Scalar? = index > 0 ? units[index - 1] : nil
            guard units[index].isLetterOrDigit,
                previous.map({ !$0.isLetterOrDigit && !"@._-/".unicodeScalars.contains($0) }) ?? true
            else {
                index += 1
                continue
            }
            // A scheme: letters, then "://" (any scheme: https, tg, hxxp …) or "mailto:".
            var schemeEnd = index
            while schemeEnd < units.count && schemeEnd - index < 16
                && (units[schemeEnd].isASCIILetter
                    || (schemeEnd > index && "+.-0123456789".unicodeScalars.contains(units[schemeEnd])))
            {
                schemeEnd += 1
            }
            let afterScheme = skipSpaces(units, from: schemeEnd, limit: 1)
            if schemeEnd > index, afterScheme + 2 < units.count, units[afterScheme] == ":",
                (units[afterScheme + 1] == "/" && units[afterScheme + 2] == "/")
                    || text.lowercased(index..<schemeEnd) == "mailto"
            {
                let end = pathEnd(units, from: afterScheme + 1)
                hits.append(Hit(kind: .url, range: index..<end))
                index = end
                continue
            }
            let asciiLabel = labelEnd(units, from: index, asciiOnly: false)
            let isWWW = asciiLabel - index == 3 && units[index..<asciiLabel].allSatisfy { $0 == "w" || $0 == "W" }
            var domainFound = domain(in: text, from: index, asciiOnly: false, spacedPlainDot: false)
            // "t. me/name": a lopsided spaced dot counts when a path follows.
            if let loose = domain(in: text, from: index, asciiOnly: false, spacedPlainDot: true),
                loose.end > (domainFound?.end ?? index), loose.end < units.count, units[loose.end] == "/"
            {
                domainFound = (loose.end, true, loose.labels)
            }
            guard let found = domainFound else {
                index = max(asciiLabel, index + 1)
                continue
            }
            var end = found.end
            // A path, a port or a query after the domain.
            let pathStart = found.disguised ? skipSpaces(units, from: end, limit: 1) : end
            let hasPath =
                pathStart < units.count
                && (units[pathStart] == "/" || units[pathStart] == "?" || units[pathStart] == "#"
                    || (units[pathStart] == ":" && pathStart + 1 < units.count && units[pathStart + 1].isASCIIDigit))
            if hasPath { end = pathEnd(units, from: pathStart) }
            let first = text.lowercased(found.labels[0])
            let last = text.lowercased(found.labels[found.labels.count - 1])
            let plain = !found.disguised && !hasPath && !isWWW
            let startsCapitalised =
                units[index].isUpper && found.labels[0].count > 1
                && !units[found.labels[0]].dropFirst().contains { $0.isUpper }
            // Russian and Kazakh typing often drops the space after a full stop ("страшно.потом"):
            // a bare Cyrillic "word.word" is a link only on a Cyrillic top-level domain that exists.
            let cyrillicTypo =
                !units[found.labels[found.labels.count - 1]].allSatisfy(\.isASCII) && !cyrillicTopLevel.contains(last)
            if plain
                && (abbreviations.contains(first) || fileEndings.contains(last) || startsCapitalised || cyrillicTypo
                    || units[found.labels[0]].allSatisfy(\.isASCIIDigit))
            {
                index = max(asciiLabel, index + 1)
                continue
            }
            hits.append(Hit(kind: .url, range: index..<end))
            index = end
        }
        return hits
    }

    /// Social and messenger sites people write with a space for the dot, and their endings.
    static let socialDomains: [String: Set<String>] = [
        "vk": ["com", "ru", "me"], "t": ["me"], "telegram": ["me"], "instagram": ["com"], "facebook": ["com"],
        "fb": ["com", "me"], "tiktok": ["com"], "ok": ["ru"], "youtube": ["com"], "twitter": ["com"],
        "wa": ["me"], "linktr": ["ee"], "threads": ["net"], "snapchat": ["com"], "vkontakte": ["ru"],
    ]

    /// "vk com id123456", "t me aigerim": a known site, a space for the dot, its ending, and a
    /// page name after a space or a slash.
    static func socialLinksWithoutDot(in text: RedactionText) -> [Hit] {
        let units = text.units
        var hits: [Hit] = []
        var index = 0
        func word(from start: Int) -> Int {
            var end = start
            while end < units.count && units[end].isASCIILetter && end - start < 12 { end += 1 }
            return end
        }
        while index < units.count {
            guard units[index].isASCIILetter,
                index == 0 || units[index - 1].isSpace || units[index - 1].isLineBreak
                    || "(«\"".unicodeScalars.contains(units[index - 1])
            else {
                index += 1
                continue
            }
            let end = word(from: index)
            defer { index = max(end, index + 1) }
            guard let endings = socialDomains[text.lowercased(index..<end)] else { continue }
            let topStart = skipSpaces(units, from: end)
            let topEnd = word(from: topStart)
            guard topStart > end, topEnd > topStart, endings.contains(text.lowercased(topStart..<topEnd)),
                topEnd < units.count
            else { continue }
            var pageStart = skipSpaces(units, from: topEnd)
            if pageStart < units.count && units[pageStart] == "/" { pageStart = skipSpaces(units, from: pageStart + 1) }
            guard pageStart > topEnd else { continue }
            var pageEnd = pageStart
            while pageEnd < units.count && pageEnd - pageStart < 40
                && (units[pageEnd].isASCIILetter || units[pageEnd].isASCIIDigit
                    || "_.+".unicodeScalars.contains(units[pageEnd]))
            {
                pageEnd += 1
            }
            while pageEnd > pageStart && units[pageEnd - 1] == "." { pageEnd -= 1 }
            guard pageEnd - pageStart >= 3, pageEnd == units.count || !units[pageEnd].isLetterOrDigit else { continue }
            hits.append(Hit(kind: .url, range: index..<pageEnd))
        }
        return hits
    }

    /// The end of a link's path: up to white space or a quote or bracket that closes it.
    private static func pathEnd(_ units: [Unicode.Scalar], from start: Int) -> Int {
        var end = start
        while end < units.count && !units[end].isSpace && !units[end].isLineBreak
            && !"<>«»\"“”".unicodeScalars.contains(units[end])
        {
            end += 1
        }
        return end
    }

    // MARK: Handles

    /// Words after which a bare user name is an account ("инстаграм: ivan_88", "tg ivan.petrov").
    static let accountWords: Set<String> = [
        "instagram", "insta", "инстаграм", "инстаграмм", "инста", "инсте", "инстаграме", "tg", "тг", "telegram",
        "телеграм", "телеграмм", "телеграме", "телеграмме", "tiktok", "тикток", "тиктоке", "ник", "ника", "nick",
        "nickname", "username", "логин", "login", "аккаунт", "акк", "account", "профиль", "profile", "vk", "вк",
        "snapchat", "snap", "снэп", "снап", "twitter", "x", "threads", "парақша", "парақшасы", "аккаунты", "ники",
        "телега", "телеге", "телегу", "телеги", "телеграмы", "тележка", "инсту", "инсты",
        "whatsapp", "ватсап", "вацап", "вотсап", "viber", "вайбер",
    ]
    /// Words after which a bare user name and a colon or dash is an e-mail address without its
    /// domain ("gmail: aigerim.k95", "почта — aigerim_95").
    static let mailWords: Set<String> = [
        "почта", "почту", "почты", "пошта", "поштасы", "поштам", "email", "mail", "gmail", "емейл", "имейл", "мейл",
        "мэйл", "yandex", "яндекс", "inbox", "outlook", "icloud", "hotmail", "yahoo", "ящик",
    ]

    static func handles(in text: RedactionText) -> [Hit] {
        let units = text.units
        var hits: [Hit] = []
        func isNameUnit(_ unit: Unicode.Scalar) -> Bool {
            unit.isASCIILetter || unit.isASCIIDigit || unit == "_" || unit == "."
        }
        // After "@" letters of any script count beside at least one Latin one: look-alikes
        // ("@іvаn" with Cyrillic і and а) disguise a Latin name.
        func name(from start: Int, anyScript: Bool = false) -> Range<Int>? {
            var end = start
            while end < units.count && (isNameUnit(units[end]) || (anyScript && units[end].isLetter))
                && end - start < 40
            {
                end += 1
            }
            while end > start && units[end - 1] == "." { end -= 1 }
            guard end - start >= 3, end - start <= 32, units[start] != ".",
                end == units.count || !(units[end].isLetterOrDigit || ":/@".unicodeScalars.contains(units[end])),
                units[start..<end].contains(where: \.isASCIILetter)
            else { return nil }
            return start..<end
        }
        // "@айгерим_95": right after the sign a name of Cyrillic letters counts too.
        func cyrillicName(from start: Int, spaced: Bool) -> Range<Int>? {
            guard !spaced else { return nil }
            var end = start
            while end < units.count && (units[end].isLetterOrDigit || units[end] == "_" || units[end] == ".")
                && end - start < 40
            {
                end += 1
            }
            while end > start && units[end - 1] == "." { end -= 1 }
            guard end - start >= 3, end - start <= 32, units[start].isLetter,
                end == units.count || !":/@".unicodeScalars.contains(units[end])
            else { return nil }
            return start..<end
        }
        // "gmail: aigerim.k95", "mail.ru — aigerim_95": a mail word, a colon or dash, and a
        // name of five characters or more with a digit or an underscore.
        func mailAccount(after end: Int, word: String) -> Range<Int>? {
            guard mailWords.contains(word) else { return nil }
            var position = end
            // "mail.ru", "yandex.kz"
            if position + 2 < units.count && units[position] == "." && units[position + 1].isASCIILetter {
                position += 1
                while position < units.count && units[position].isASCIILetter && position - end < 5 { position += 1 }
            }
            position = skipSpaces(units, from: position)
            guard position < units.count, ":—–-".unicodeScalars.contains(units[position]) else { return nil }
            let start = skipSpaces(units, from: position + 1)
            guard let found = name(from: start), found.count >= 5,
                units[found].contains(where: { $0 == "_" || $0.isASCIIDigit })
            else { return nil }
            return found
        }
        var index = 0
        while index < units.count {
            if units[index] == "@",
                index == 0 || !(units[index - 1].isLetterOrDigit || "_.@/".unicodeScalars.contains(units[index - 1]))
            {
                // "@ name", "@\nname": a space or a line break may follow the sign.
                var start = index + 1
                while start < units.count && start - index <= 2 && (units[start].isSpace || units[start].isLineBreak) {
                    start += 1
                }
                if let found = name(from: start, anyScript: true)
                    ?? cyrillicName(from: start, spaced: start > index + 1)
                {
                    hits.append(Hit(kind: .handle, range: index..<found.upperBound))
                    index = found.upperBound
                    continue
                }
            } else if units[index].isLetter, index == 0 || !units[index - 1].isLetterOrDigit {
                var end = index
                while end < units.count && units[end].isLetter && end - index < 12 { end += 1 }
                let word = text.lowercased(index..<end)
                if let found = mailAccount(after: end, word: word) {
                    hits.append(Hit(kind: .email, range: found))
                    index = found.upperBound
                    continue
                }
                if end < units.count, !units[end].isLetterOrDigit, accountWords.contains(word) {
                    var start = skipSpaces(units, from: end)
                    var colon = false
                    if start < units.count && (units[start] == ":" || units[start] == "—" || units[start] == "-") {
                        colon = true
                        start = skipSpaces(units, from: start + 1)
                    }
                    if let found = name(from: start),
                        colon || units[found].contains(where: { $0 == "_" || $0 == "." || $0.isASCIIDigit })
                    {
                        hits.append(Hit(kind: .handle, range: found))
                        index = found.upperBound
                        continue
                    }
                }
                index = max(end, index + 1)
                continue
            }
            index += 1
        }
        return hits
    }

    // MARK: IBAN

    /// IBANs (KZ and every other country): two letters, two check digits and the account,
    /// in any grouping, with the mod-97 check (ISO 13616).
    static func ibans(in text: RedactionText) -> [Hit] {
        let units = text.units
        var hits: [Hit] = []
        var index = 0
        while index + 4 < units.count {
            guard units[index].isASCIILetter, units[index + 1].isASCIILetter,
                index == 0 || !units[index - 1].isLetterOrDigit
            else {
                index += 1
                continue
            }
            // Up to 34 letters and digits, with single separators between groups.
            var characters: [(value: Int, end: Int)] = []
            var position = index
            while position < units.count && characters.count < 34 {
                let unit = units[position]
                if unit.isASCIIDigit || unit.isASCIILetter {
                    let value = unit.isASCIIDigit ? unit.digitValue : Int(unit.value & 0xDF) - 55
                    characters.append((value, position + 1))
                    position += 1
                } else if (unit == " " || unit == "-" || unit == "." || unit == "\u{00A0}"), position + 1 < units.count,
                    units[position + 1].isASCIIDigit || units[position + 1].isASCIILetter, !characters.isEmpty
                {
                    position += 1
                } else {
                    break
                }
            }
            guard characters.count >= 15, characters[2].value < 10, characters[3].value < 10 else {
                index += 1
                continue
            }
            let country = text.lowercased(index..<index + 2)
            // The check moves the first four characters to the end: country letters as two
            // digits each, then the two check digits.
            let tail =
                (characters[0].value * 100 + characters[1].value) * 100 + characters[2].value * 10 + characters[3].value
            var remainder = 0
            var best: Int?
            for length in 5...characters.count {
                let value = characters[length - 1].value
                remainder = (remainder * (value >= 10 ? 100 : 10) + value) % 97
                guard length >= 15 else { continue }
                if country == "kz" && length != 20 { continue }
                let end = characters[length - 1].end
                let atBoundary =
                    end == units.count || !units[end].isLetterOrDigit || length == characters.count
                    || !(units[end].isASCIIDigit || units[end].isASCIILetter)
                if atBoundary || end < units.count && !(units[end].isASCIIDigit || units[end].isASCIILetter) {
                    if (remainder * 1_000_000 + tail) % 97 == 1 { best = end }
                } else if (remainder * 1_000_000 + tail) % 97 == 1 {
                    best = end
                }
            }
            if let best {
                hits.append(Hit(kind: .iban, range: index..<best))
                index = best
            } else {
                index += 2
            }
        }
        return hits
    }

    // MARK: Car plates

    private static let plateLetters: Set<Unicode.Scalar> = Set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyzАВЕКМНОРСТУХавекмнорстух".unicodeScalars)

    /// Kazakh plates in every order people write them (123 ABC 02, 02 123 ABC, 123ABC02),
    /// and the older and Russian ones (A 123 BCD, А123ВС 77).
    static func plates(in text: RedactionText) -> [Hit] {
        let units = text.units
        enum PieceKind { case digits, letters }
        struct Piece {
            var kind: PieceKind
            var range: Range<Int>
            var upper: Bool
            var latin: Bool
            /// Digits or letters, without the spaces of merged single digits.
            var length: Int
        }
        // The pieces of one word-group: digit runs and plate-letter runs, glued or separated
        // by at most two spaces, dashes or dots.
        var hits: [Hit] = []
        var index = 0
        var pieces: [Piece] = []
        func flush() {
            var start = 0
            while start < pieces.count {
                if let length = plateShape(
                    pieces[start...].prefix(4).map { ($0.kind == .digits, $0.length, $0.upper, $0.latin) })
                {
                    hits.append(
                        Hit(
                            kind: .plate,
                            range: pieces[start].range.lowerBound..<pieces[start + length - 1].range.upperBound))
                    start += length
                } else {
                    start += 1
                }
            }
            pieces.removeAll(keepingCapacity: true)
        }
        while index < units.count {
            let unit = units[index]
            let isDigit = unit.isASCIIDigit
            let isPlateLetter = plateLetters.contains(unit)
            if isDigit || isPlateLetter {
                let start = index
                while index < units.count && (isDigit ? units[index].isASCIIDigit : plateLetters.contains(units[index]))
                {
                    index += 1
                }
                // A letter run inside a longer word is not a plate.
                if !isDigit
                    && ((start > 0 && units[start - 1].isLetter) || (index < units.count && units[index].isLetter))
                {
                    flush()
                    continue
                }
                if !isDigit && pieces.isEmpty && start > 0 && units[start - 1].isLetterOrDigit {
                    flush()
                    continue
                }
                let range = start..<index
                // Single digits a space apart ("ноль два" read as "0 2") make one number.
                if isDigit, range.count == 1, let last = pieces.last, last.kind == .digits, last.length < 3,
                    units[last.range.upperBound..<start].allSatisfy({ $0 == " " })
                {
                    pieces[pieces.count - 1].range = last.range.lowerBound..<index
                    pieces[pieces.count - 1].length += 1
                } else {
                    pieces.append(
                        Piece(
                            kind: isDigit ? .digits : .letters, range: range,
                            upper: units[range].allSatisfy { !$0.isLower },
                            latin: units[range].allSatisfy(\.isASCII), length: range.count))
                }
                // A separator of at most two spaces, dashes or dots may join the next piece.
                var gap = index
                while gap < units.count && gap - index < 2
                    && (units[gap] == " " || units[gap] == "-" || units[gap] == "\u{00A0}")
                {
                    gap += 1
                }
                if gap < units.count && (units[gap].isASCIIDigit || plateLetters.contains(units[gap])) {
                    index = gap
                } else {
                    if index < units.count && units[index].isLetterOrDigit { pieces.removeAll() }
                    flush()
                }
            } else {
                if unit.isLetterOrDigit && !pieces.isEmpty { pieces.removeLast() }
                flush()
                index += 1
                while index < units.count && units[index].isLetterOrDigit && !units[index].isASCIIDigit
                    && !plateLetters.contains(units[index])
                {
                    index += 1
                }
            }
        }
        flush()
        return hits
    }

    /// How many of these pieces (digits?, length, all capitals?, Latin?) make a plate, if any.
    private static func plateShape(_ pieces: [(Bool, Int, Bool, Bool)]) -> Int? {
        func letters(_ piece: (Bool, Int, Bool, Bool), _ lengths: ClosedRange<Int>) -> Bool {
            !piece.0 && lengths.contains(piece.1) && (piece.2 || (piece.3 && piece.1 == 3))
        }
        func digits(_ piece: (Bool, Int, Bool, Bool), _ lengths: ClosedRange<Int>) -> Bool {
            piece.0 && lengths.contains(piece.1)
        }
        if pieces.count >= 3 {
            // 123 ABC 02
            if digits(pieces[0], 3...3) && letters(pieces[1], 2...3) && digits(pieces[2], 2...2) { return 3 }
            // 02 123 ABC and 02 ABC 123
            if digits(pieces[0], 2...2) && digits(pieces[1], 3...3) && letters(pieces[2], 2...3) { return 3 }
            if digits(pieces[0], 2...2) && letters(pieces[1], 2...3) && digits(pieces[2], 3...3) { return 3 }
            // A 123 BCD (02), А123ВС 77 — capitals only
            if letters(pieces[0], 1...1) && pieces[0].2 && digits(pieces[1], 3...3) && letters(pieces[2], 2...3)
                && pieces[2].2
            {
                if pieces.count >= 4 && digits(pieces[3], 2...3) { return 4 }
                return 3
            }
        }
        return nil
    }

    // MARK: Digit families: cards, IIN/BIN, phones

    /// Words that name a 12-digit number an IIN or BIN whatever its check digit.
    static let iinWords: Set<String> = ["иин", "жсн", "бин", "бсн", "iin", "bin", "ИИН", "ЖСН"]
    /// Words after an amount.
    static let currencyWords: Set<String> = [
        "тенге", "теңге", "тг", "₸", "kzt", "руб", "рублей", "рубля", "сом", "usd", "eur", "долларов", "доллар",
        "dollars", "евро", "tenge", "млн", "миллионов", "million",
    ]

    private struct Group {
        var start: Int
        var end: Int
        var separator: Unicode.Scalar?
    }

    static func digitFamilies(in text: RedactionText) -> [Hit] {
        let units = text.units
        var hits: [Hit] = []
        var index = 0
        func isRunSeparator(_ unit: Unicode.Scalar) -> Bool {
            switch unit {
            case " ", "\u{00A0}", "\t", "\n", "\r", "-", ".", ",", "/", "\\", "(", ")", "[", "]", "_", "*", "·", "•",
                "'",
                "’", "‐", "‑", "‒", "–", "—", "−", "~", "|":
                return true
            default: return !unit.isASCII && unit.properties.generalCategory == .spaceSeparator
            }
        }
        while index < units.count {
            guard units[index].isASCIIDigit else {
                index += 1
                continue
            }
            // A run: groups of digits with at most three separators between them, up to a
            // date, a time or anything else.
            var groups: [Group] = []
            var firstLetterSeparated: Int?
            var position = index
            while position < units.count && units[position].isASCIIDigit {
                let start = position
                if let dateEnd = dateEnd(units, from: start, runStart: groups.isEmpty) {
                    if groups.isEmpty { position = dateEnd }
                    break
                }
                while position < units.count && units[position].isASCIIDigit { position += 1 }
                // A time: the hours before ":mm" and the minutes after "hh:".
                let isHours =
                    position - start <= 2 && position + 2 < units.count && units[position] == ":"
                    && units[position + 1].isASCIIDigit && units[position + 2].isASCIIDigit
                let isMinutes =
                    position - start <= 2 && start >= 2 && units[start - 1] == ":" && units[start - 2].isASCIIDigit
                if isHours || isMinutes {
                    if !groups.isEmpty { position = start }
                    break
                }
                groups.append(Group(start: start, end: position, separator: nil))
                var gap = position
                while gap < units.count && gap - position < 3 && isRunSeparator(units[gap]) { gap += 1 }
                // One letter between digits ("8a7b0c1…", "4111a1111b…") separates them too,
                // when the run is long enough to be a number (checked below).
                if gap == position, position + 1 < units.count, units[position].isLetter,
                    units[position + 1].isASCIIDigit
                {
                    gap = position + 1
                    if firstLetterSeparated == nil { firstLetterSeparated = groups.count - 1 }
                }
                guard gap > position, gap < units.count, units[gap].isASCIIDigit else { break }
                groups[groups.count - 1].separator = units[position]
                position = gap
            }
            // Letters read as separators only in a run of eight digits or more; otherwise the
            // run ends before the first of them ("3к2", "10Б5").
            if let cut = firstLetterSeparated,
                groups.reduce(0, { $0 + $1.end - $1.start }) < 8 || groups.count <= cut + 1
            {
                groups.removeSubrange((cut + 1)...)
                groups[cut].separator = nil
            }
            if groups.isEmpty {
                index = max(position, index + 1)
                while index < units.count && units[index].isASCIIDigit { index += 1 }
                continue
            }
            hits += classify(groups, in: text)
            index = max(groups[groups.count - 1].end, index + 1)
        }
        return hits
    }

    /// The end of a date (d.m.yy, dd/mm/yyyy, yyyy-mm-dd) starting at `start`, if one does.
    private static func dateEnd(_ units: [Unicode.Scalar], from start: Int, runStart: Bool) -> Int? {
        func number(_ from: Int) -> (value: Int, end: Int)? {
            var end = from
            var value = 0
            while end < units.count && units[end].isASCIIDigit && end - from < 5 {
                value = value * 10 + units[end].digitValue
                end += 1
            }
            guard end > from, end == units.count || !units[end].isASCIIDigit else { return nil }
            return (value, end)
        }
        guard let first = number(start), first.end < units.count else { return nil }
        let separator = units[first.end]
        guard separator == "." || separator == "/" || separator == "-",
            let second = number(first.end + 1), second.end < units.count, units[second.end] == separator,
            let third = number(second.end + 1)
        else { return nil }
        let lengths = (first.end - start, second.end - first.end - 1, third.end - second.end - 1)
        if lengths.0 <= 2 && lengths.1 <= 2 && (lengths.2 == 2 || lengths.2 == 4) {
            guard (1...31).contains(first.value), (1...12).contains(second.value) else { return nil }
            return third.end
        }
        if lengths.0 == 4 && lengths.1 <= 2 && lengths.2 <= 2 {
            guard (1...12).contains(second.value), (1...31).contains(third.value) else { return nil }
            return third.end
        }
        return nil
    }

    /// The identifiers in one run of digit groups: the longest reading from each group on.
    private static func classify(_ groups: [Group], in text: RedactionText) -> [Hit] {
        let units = text.units
        var hits: [Hit] = []
        var first = 0
        var covered = -1
        while first < groups.count {
            var digits: [Int] = []
            var lengths: [Int] = []
            var candidates: [(last: Int, kind: Kind)] = []
            var last = first
            while last < groups.count {
                let group = groups[last]
                if digits.count + (group.end - group.start) > 19 { break }
                digits += units[group.start..<group.end].map(\.digitValue)
                lengths.append(group.end - group.start)
                if let kind = kind(digits: digits, lengths: lengths, groups: groups[first...last], in: text) {
                    candidates.append((last, kind))
                }
                last += 1
            }
            if let best = candidates.last {
                var start = groups[first].start
                if best.kind == .phone {
                    var plus = start - 1
                    while plus >= 0 && start - plus <= 2 && units[plus] == " " { plus -= 1 }
                    if plus >= 0 && units[plus] == "+" { start = plus }
                }
                hits.append(Hit(kind: best.kind, range: start..<groups[best.last].end))
                covered = best.last
                first = best.last + 1
            } else {
                // A long number nothing else explains still reaches someone.
                let group = groups[first]
                if group.end - group.start >= 10 && first > covered {
                    hits.append(Hit(kind: .phone, range: group.start..<group.end))
                }
                first += 1
            }
        }
        return hits
    }

    /// What these digits are, if anything, in this order:
    /// - 13 to 19 digits passing Luhn: a card.
    /// - 12 digits passing the IIN/BIN check digit, or called an IIN/BIN/ЖСН/БСН just before:
    ///   an IIN. Twelve digits that fail the check are not called an IIN (a random number passes
    ///   one time in eleven), but they are still refused as a phone below: twelve digits can be
    ///   an international number, and a number that long identifies someone whatever it is.
    /// - A plus before and 7 to 15 digits, 11 digits from 7 or 8, or any other 10 to 19 digits
    ///   (a card number that fails Luhn included): a phone, as a long number that reaches or
    ///   names someone — unless grouped in thousands and followed by a currency
    ///   ("1 000 000 000 тенге").
    /// - 7 digits as 3-2-2 or 3-4, or 6 as 2-2-2 with dashes: a local phone.
    /// Dates and times never reach here (a run stops at them), and shorter numbers are never
    /// identifiers, so "3 раза", "5000 тенге" and "автобус 92" stay.
    private static func kind(
        digits: [Int], lengths: [Int], groups: ArraySlice<Group>, in text: RedactionText
    ) -> Kind? {
        let units = text.units
        let count = digits.count
        let start = groups.first!.start
        let end = groups.last!.end
        var plusAt = start - 1
        while plusAt >= 0 && start - plusAt <= 2 && units[plusAt] == " " { plusAt -= 1 }
        let plus = plusAt >= 0 && units[plusAt] == "+"
        if (13...19).contains(count) && luhn(digits) { return .card }
        if count == 12 && (iinCheck(digits) || namedIIN(before: start, in: text)) { return .iin }
        if plus && (7...15).contains(count) { return .phone }
        if count == 11 && (digits[0] == 7 || digits[0] == 8) { return .phone }
        if (10...19).contains(count) { return isAmount(lengths, groups, end: end, in: text) ? nil : .phone }
        let separators = groups.dropLast().compactMap(\.separator)
        if count == 7 && (lengths == [3, 2, 2] || lengths == [3, 4]) { return .phone }
        if count == 6 && lengths == [2, 2, 2] && separators.allSatisfy({ $0 == "-" }) { return .phone }
        return nil
    }

    /// Thousands written in groups of three and followed by a currency: "1 000 000 000 тенге".
    private static func isAmount(
        _ lengths: [Int], _ groups: ArraySlice<Group>, end: Int, in text: RedactionText
    ) -> Bool {
        guard lengths.count >= 2, (1...3).contains(lengths[0]), lengths.dropFirst().allSatisfy({ $0 == 3 }) else {
            return false
        }
        let units = text.units
        var start = end
        while start < units.count && start - end < 2 && units[start].isSpace { start += 1 }
        var wordEnd = start
        while wordEnd < units.count && !units[wordEnd].isSpace && wordEnd - start < 12
            && (units[wordEnd].isLetter || units[wordEnd] == "₸")
        {
            wordEnd += 1
        }
        return wordEnd > start && currencyWords.contains(text.lowercased(start..<wordEnd))
    }

    private static func namedIIN(before start: Int, in text: RedactionText) -> Bool {
        let units = text.units
        var end = start
        while end > 0 && start - end < 4 && !units[end - 1].isLetter { end -= 1 }
        var wordStart = end
        while wordStart > 0 && end - wordStart < 4 && units[wordStart - 1].isLetter { wordStart -= 1 }
        return wordStart < end && iinWords.contains(text.lowercased(wordStart..<end))
    }

    /// The Luhn check of bank cards.
    static func luhn(_ digits: [Int]) -> Bool {
        var sum = 0
        for (offset, digit) in digits.reversed().enumerated() {
            if offset % 2 == 1 {
                let doubled = digit * 2
                sum += doubled > 9 ? doubled - 9 : doubled
            } else {
                sum += digit
            }
        }
        return sum % 10 == 0
    }

    /// The check digit of a Kazakh IIN or BIN: the first eleven digits weighted 1…11, mod 11;
    /// a remainder of 10 is weighted again 3…11, 1, 2; a second 10 is never issued.
    static func iinCheck(_ digits: [Int]) -> Bool {
        guard digits.count == 12 else { return false }
        var sum = (0..<11).reduce(0) { $0 + digits[$1] * ($1 + 1) }
        var check = sum % 11
        if check == 10 {
            let weights = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]
            sum = (0..<11).reduce(0) { $0 + digits[$1] * weights[$1] }
            check = sum % 11
            if check == 10 { return false }
        }
        return check == digits[11]
    }
}
