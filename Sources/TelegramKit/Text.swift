/// Text rules of the Bot API.
public enum TelegramText {
    /// The longest message text, counted in UTF-16 code units to be safe.
    public static let maxMessageLength = 4096

    /// Escapes user-written text for `parse_mode: HTML`: `&`, `<` and `>` are what Telegram
    /// requires; `"` is escaped too, so no text can ever close an attribute.
    public static func escapeHTML(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            default: result.append(character)
            }
        }
        return result
    }

    /// Splits a long text into messages of at most `limit` UTF-16 units, preferring to break
    /// between paragraphs, then lines, then words, and never inside a character. With `html`,
    /// a cut never falls inside an entity such as `&amp;` or a tag.
    public static func split(_ text: String, limit: Int = maxMessageLength, html: Bool = false) -> [String] {
        precondition(limit > 1)
        var parts: [String] = []
        var rest = Substring(text)
        while rest.utf16.count > limit {
            // The longest prefix that fits, in whole characters.
            var end = rest.startIndex
            var units = 0
            for index in rest.indices {
                let size = rest[index].utf16.count
                if units + size > limit { break }
                units += size
                end = rest.index(after: index)
            }
            if end == rest.startIndex { end = rest.index(after: rest.startIndex) }  // one huge character
            let window = rest[rest.startIndex..<end]
            var cut = end
            for separator in ["\n\n", "\n", " "] {
                if let range = window.range(of: separator, options: .backwards), range.lowerBound > rest.startIndex {
                    cut = range.upperBound
                    break
                }
            }
            if html, cut == end { cut = outsideMarkup(rest[rest.startIndex..<cut]) }
            let part = rest[rest.startIndex..<cut].trimmingTrailingWhitespace()
            if !part.isEmpty { parts.append(part) }
            rest = rest[cut...].drop { $0 == " " || $0 == "\n" }
        }
        if !rest.isEmpty { parts.append(String(rest)) }
        return parts
    }

    /// Moves a hard cut back before an `&…;` entity or a `<…>` tag that it would break.
    private static func outsideMarkup(_ window: Substring) -> Substring.Index {
        var cut = window.endIndex
        for (open, close) in [("&", ";"), ("<", ">")] {
            if let opening = window.lastIndex(of: Character(open)), opening > window.startIndex,
                window[opening...].firstIndex(of: Character(close)) == nil, opening < cut
            {
                cut = opening
            }
        }
        return cut
    }

    /// `callback_data` must be 1–64 bytes of UTF-8.
    public static func isValidCallbackData(_ data: String) -> Bool {
        (1...64).contains(data.utf8.count)
    }
}

extension Substring {
    fileprivate func trimmingTrailingWhitespace() -> String {
        var end = endIndex
        while end > startIndex, let previous = Optional(index(before: end)), self[previous].isWhitespace {
            end = previous
        }
        return String(self[startIndex..<end])
    }
}
