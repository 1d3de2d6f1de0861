import Vapor

/// Questions and answers, loaded once from `Resources/Content/faq.json`: definitions of the
/// kinds of harassment, the legal situation, and how the platform works.
struct FAQCatalog: Sendable {
    struct Texts: Codable, Sendable {
        var kk: String
        var ru: String
        var en: String

        func text(_ language: Language) -> String {
            switch language {
            case .kk: kk
            case .ru: ru
            case .en: en
            }
        }
    }

    struct Entry: Codable, Sendable {
        var slug: String
        var group: String
        var question: Texts
        var answer: Texts
    }

    static let groups = ["definitions", "law", "platform"]

    var entries: [Entry]

    static func load(from path: String) throws -> FAQCatalog {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(
                setting: "working directory", problem: "has no \(path); start dauys from the project folder")
        }
        struct File: Decodable { var entries: [Entry] }
        return FAQCatalog(entries: try JSONDecoder().decode(File.self, from: data).entries)
    }
}

extension Application {
    private struct FAQKey: StorageKey { typealias Value = FAQCatalog }

    var faq: FAQCatalog {
        get {
            guard let value = storage[FAQKey.self] else { fatalError("configure(_:config:) was not called") }
            return value
        }
        set { storage[FAQKey.self] = newValue }
    }
}

struct FAQWebController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("faq", use: page)
    }

    struct Item: Encodable {
        var slug: String
        /// `#slug`, for the table of contents (Leaf has no way to write a literal `#` before a tag).
        var anchor: String
        var question: String
        /// The answer's paragraphs (line breaks in the source).
        var paragraphs: [String]
    }

    struct Group: Encodable {
        var id: String
        var title: String
        var items: [Item]
    }

    @Sendable func page(req: Request) async throws -> View {
        let language = req.language
        let groups = FAQCatalog.groups.map { group in
            Group(
                id: group, title: req.text("faq_group_" + group),
                items: req.application.faq.entries.filter { $0.group == group }.map {
                    Item(
                        slug: $0.slug, anchor: "#" + $0.slug, question: $0.question.text(language),
                        paragraphs: $0.answer.text(language).split(separator: "\n").map(String.init))
                })
        }
        return try await req.view.render(
            "faq", PageContext(req, title: req.text("faq_title"), nav: "help", content: groups))
    }
}
