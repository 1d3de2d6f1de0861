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
    var t: StringTable
    var title: String
    var nav: String
    var languages: [LanguageLink]
    var exitURL: String
    /// The bot's t.me link, when the site offers reporting in Telegram.
    var telegramLink: String?
    /// The content hash our CSS and JS URLs carry (`?v=`), so browsers keep them for a year.
    var v: String
    /// Our own scripts the page needs, from `/static/js/`.
    var scripts: [String]
    /// Whether the page shows a Leaflet map (loads Leaflet's files).
    var usesMap: Bool
    /// Whether the page draws charts (loads Chart.js).
    var usesCharts: Bool
    /// A short header on phones (the report's steps): the brand, the quick exit and the
    /// languages, without the site's menu.
    var compactHeader: Bool
    var c: Content

    init(
        _ request: Request, title: String, nav: String = "", scripts: [String] = [], usesMap: Bool = false,
        usesCharts: Bool = false, compactHeader: Bool = false, content: Content
    ) {
        let language = request.language
        lang = language.rawValue
        t = request.application.translations.stringTable(language)
        self.title = title
        self.nav = nav
        languages = Language.allCases.map {
            LanguageLink(
                code: $0.rawValue, name: $0.nativeName, href: request.url.path + "?lang=" + $0.rawValue,
                current: $0 == language)
        }
        exitURL = request.config.exitURL
        telegramLink = request.config.telegramBotLink
        v = request.application.staticAssets.version
        self.scripts = scripts
        self.usesMap = usesMap
        self.usesCharts = usesCharts
        self.compactHeader = compactHeader
        c = content
    }
}

/// Messages for a page, as `partials/error-summary.leaf` shows them: each may link to the
/// field it is about. Encoded with `any` so templates can test for an empty list (Leaf treats
/// every array, even an empty one, as true).
struct MessageList: Encodable, ExpressibleByArrayLiteral {
    struct Message: Encodable {
        var text: String
        /// `#id` of the field the message is about, when it is about one.
        var href: String?
    }

    var messages: [Message]
    /// A heading above the list, when the page has one.
    var heading: String?
    var items: [String] { messages.map(\.text) }
    var any: Bool { !messages.isEmpty }

    init(_ items: [String]) { messages = items.map { Message(text: $0) } }
    init(linked messages: [Message], heading: String? = nil) {
        self.messages = messages
        self.heading = heading
    }
    init(arrayLiteral elements: String...) { self.init(elements) }

    private enum CodingKeys: String, CodingKey { case items, messages, heading, any }
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        try container.encode(messages, forKey: .messages)
        try container.encodeIfPresent(heading, forKey: .heading)
        try container.encode(any, forKey: .any)
    }
}

/// Radio buttons or checkboxes with their legend and error, as `partials/choices.leaf` draws
/// them: the error is tied to the group with `aria-describedby`.
struct ChoiceGroup: Encodable {
    /// The form name (`role`, `kinds[]`).
    var name: String
    /// The field as the API spells it; the error's id is `<field>-error`.
    var field: String
    /// Each input's id is `<idPrefix>-<value>`.
    var idPrefix: String
    var legend: String
    /// A short note after the legend, such as "(optional)".
    var note: String? = nil
    var hint: String? = nil
    var multiple = false
    var required = false
    var choices: [Choice]
    var error: String? = nil
    /// An id for the group itself, for scripts that show or hide it.
    var groupID: String? = nil
    /// Where an error summary links to: the first choice.
    var firstID: String { idPrefix + "-" + (choices.first?.value ?? "") }
}

/// A text field, date, time, select or text area with its label, hint and error, as
/// `partials/field.leaf` draws it; the hint and the error are tied to it with `aria-describedby`.
struct FormField: Encodable {
    enum Kind: String, Encodable { case text, date, time, select, textarea }
    /// The id and the form name.
    var id: String
    var kind: Kind
    var label: String
    var note: String? = nil
    var hint: String? = nil
    var value: String? = nil
    var error: String? = nil
    var required = false
    var minLength: Int? = nil
    var maxLength: Int? = nil
    var min: String? = nil
    var max: String? = nil
    var rows: Int? = nil
    var autocompleteOff = false
    /// For a select: the first, empty option's label, and the options.
    var emptyOption: String? = nil
    var options: [Choice] = []
    var describedBy: String? {
        let ids = [hint.map { _ in id + "-hint" }, error.map { _ in id + "-error" }].compactMap { $0 }
        return ids.isEmpty ? nil : ids.joined(separator: " ")
    }

    private enum CodingKeys: String, CodingKey {
        case id, kind, label, note, hint, value, error, required, minLength, maxLength, min, max, rows
        case autocompleteOff, emptyOption, options, describedBy
    }
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(kind, forKey: .kind)
        try container.encode(label, forKey: .label)
        try container.encodeIfPresent(note, forKey: .note)
        try container.encodeIfPresent(hint, forKey: .hint)
        try container.encodeIfPresent(value, forKey: .value)
        try container.encodeIfPresent(error, forKey: .error)
        try container.encode(required, forKey: .required)
        try container.encodeIfPresent(minLength, forKey: .minLength)
        try container.encodeIfPresent(maxLength, forKey: .maxLength)
        try container.encodeIfPresent(min, forKey: .min)
        try container.encodeIfPresent(max, forKey: .max)
        try container.encodeIfPresent(rows, forKey: .rows)
        try container.encode(autocompleteOff, forKey: .autocompleteOff)
        try container.encodeIfPresent(emptyOption, forKey: .emptyOption)
        try container.encode(options, forKey: .options)
        try container.encodeIfPresent(describedBy, forKey: .describedBy)
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
