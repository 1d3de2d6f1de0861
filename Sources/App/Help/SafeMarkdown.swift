/// A small, safe subset of Markdown for guides: `## headings`, numbered and bulleted lists,
/// paragraphs and `**bold**`. Every character of the source is HTML-escaped first, so no
/// markup written by an editor (or an attacker) ever reaches a page as HTML.
enum SafeMarkdown {
    static func html(_ source: String) -> String {
        var output: [String] = []
        var paragraph: [String] = []
        var list: (tag: String, items: [String])?

        func flushParagraph() {
            if !paragraph.isEmpty { output.append("<p>" + paragraph.joined(separator: " ") + "</p>") }
            paragraph = []
        }
        func flushList() {
            if let current = list {
                output.append(
                    "<\(current.tag)>" + current.items.map { "<li>\($0)</li>" }.joined() + "</\(current.tag)>")
            }
            list = nil
        }

        for line in lines(source) {
            switch line {
            case .blank:
                flushParagraph()
                flushList()
            case .heading(let text):
                flushParagraph()
                flushList()
                output.append("<h2>" + inline(text) + "</h2>")
            case .ordered(_, let text):
                flushParagraph()
                if list?.tag != "ol" { flushList(); list = ("ol", []) }
                list?.items.append(inline(text))
            case .bullet(let text):
                flushParagraph()
                if list?.tag != "ul" { flushList(); list = ("ul", []) }
                list?.items.append(inline(text))
            case .text(let text):
                flushList()
                paragraph.append(inline(text))
            }
        }
        flushParagraph()
        flushList()
        return output.joined(separator: "\n")
    }

    /// One line of the source, as the subset reads it. The website and the Telegram bot both
    /// render guides from these.
    enum Line: Equatable {
        case blank
        case heading(String)
        case ordered(number: String, text: String)
        case bullet(String)
        case text(String)
    }

    static func lines(_ source: String) -> [Line] {
        source.split(separator: "\n", omittingEmptySubsequences: false).map { rawLine in
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { return .blank }
            if line.hasPrefix("## ") { return .heading(String(line.dropFirst(3))) }
            if let dot = line.firstIndex(of: "."), line[..<dot].allSatisfy(\.isNumber), !line[..<dot].isEmpty,
                line[line.index(after: dot)...].hasPrefix(" ")
            {
                return .ordered(number: String(line[..<dot]), text: String(line[line.index(dot, offsetBy: 2)...]))
            }
            if line.hasPrefix("- ") { return .bullet(String(line.dropFirst(2))) }
            return .text(line)
        }
    }

    /// Escapes the text, then turns each paired `**x**` into bold; an unpaired `**` stays as typed.
    static func inline(
        _ text: String, escape: (String) -> String = SafeMarkdown.escape,
        bold: (open: String, close: String) = ("<strong>", "</strong>")
    ) -> String {
        let parts = escape(text).components(separatedBy: "**")
        return parts.enumerated().map { index, part in
            index % 2 == 1 && index < parts.count - 1
                ? bold.open + part + bold.close : (index % 2 == 1 ? "**" + part : part)
        }.joined()
    }

    static func escape(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }
}
