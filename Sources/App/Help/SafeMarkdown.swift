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

        for rawLine in source.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty {
                flushParagraph()
                flushList()
            } else if line.hasPrefix("## ") {
                flushParagraph()
                flushList()
                output.append("<h2>" + inline(String(line.dropFirst(3))) + "</h2>")
            } else if let item = orderedItem(line) {
                flushParagraph()
                if list?.tag != "ol" { flushList(); list = ("ol", []) }
                list?.items.append(inline(item))
            } else if line.hasPrefix("- ") {
                flushParagraph()
                if list?.tag != "ul" { flushList(); list = ("ul", []) }
                list?.items.append(inline(String(line.dropFirst(2))))
            } else {
                flushList()
                paragraph.append(inline(line))
            }
        }
        flushParagraph()
        flushList()
        return output.joined(separator: "\n")
    }

    /// `1. text` → `text`.
    private static func orderedItem(_ line: String) -> String? {
        guard let dot = line.firstIndex(of: "."), line[..<dot].allSatisfy(\.isNumber), !line[..<dot].isEmpty,
            line[line.index(after: dot)...].hasPrefix(" ")
        else { return nil }
        return String(line[line.index(dot, offsetBy: 2)...])
    }

    /// Escapes the text, then turns `**x**` into bold.
    private static func inline(_ text: String) -> String {
        let parts = escape(text).components(separatedBy: "**")
        return parts.enumerated().map { index, part in
            index % 2 == 1 && index < parts.count - 1
                ? "<strong>\(part)</strong>" : (index % 2 == 1 ? "**" + part : part)
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
