import Vapor

/// What every page's layout needs, wrapped around the page's own content `c`.
struct PageContext<Content: Encodable>: Encodable {
    struct LanguageLink: Encodable {
        var code: String
        var name: String
        var href: String
        var current: Bool
    }

    var lang: String
    /// Interface strings in the page's language: `#(t.some_key)` in templates.
    var t: [String: String]
    var title: String
    var nav: String
    var languages: [LanguageLink]
    var exitURL: String
    /// Our own scripts the page needs, from `/static/js/`.
    var scripts: [String]
    /// Whether the page shows a Leaflet map (loads Leaflet's files).
    var usesMap: Bool
    var c: Content

    init(
        _ request: Request, title: String, nav: String = "", scripts: [String] = [], usesMap: Bool = false,
        content: Content
    ) {
        let language = request.language
        lang = language.rawValue
        t = request.application.translations.table(language)
        self.title = title
        self.nav = nav
        languages = Language.allCases.map {
            LanguageLink(
                code: $0.rawValue, name: $0.nativeName, href: request.url.path + "?lang=" + $0.rawValue,
                current: $0 == language)
        }
        exitURL = request.config.exitURL
        self.scripts = scripts
        self.usesMap = usesMap
        c = content
    }
}

/// Messages for a page, encoded with `any` so templates can test for an empty list
/// (Leaf treats every array, even an empty one, as true).
struct MessageList: Encodable, ExpressibleByArrayLiteral {
    var items: [String]
    var any: Bool { !items.isEmpty }

    init(_ items: [String]) { self.items = items }
    init(arrayLiteral elements: String...) { items = elements }

    private enum CodingKeys: String, CodingKey { case items, any }
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        try container.encode(any, forKey: .any)
    }
}

/// A choice in a form: radio button, checkbox or select option.
struct Choice: Encodable {
    var value: String
    var label: String
    var selected: Bool
}

extension Request {
    /// Choices for an enumeration whose labels are translated under `prefix_value`.
    func choices<E: RawRepresentable & CaseIterable>(
        _ type: E.Type, prefix: String, selected: [String] = []
    )
        -> [Choice] where E.RawValue == String
    {
        E.allCases.map {
            Choice(
                value: $0.rawValue, label: text(prefix + "_" + $0.rawValue), selected: selected.contains($0.rawValue))
        }
    }
}
