import Fluent
import Vapor

/// A question and its answer: definitions of the kinds of harassment, the legal situation and
/// how the platform works. Loaded from `Resources/Content/faq.json` on first start; administrators
/// edit, translate, order and hide entries.
final class FAQEntry: Model, @unchecked Sendable {
    static let schema = "faq_entries"

    @ID(key: .id) var id: UUID?
    @Field(key: "slug") var slug: String
    /// `definitions`, `law` or `platform`.
    @Field(key: "group") var group: String
    @Field(key: "question_kk") var questionKk: String
    @Field(key: "question_ru") var questionRu: String
    @Field(key: "question_en") var questionEn: String
    /// Paragraphs separated by line breaks.
    @Field(key: "answer_kk") var answerKk: String
    @Field(key: "answer_ru") var answerRu: String
    @Field(key: "answer_en") var answerEn: String
    @Field(key: "hidden") var hidden: Bool
    @Field(key: "sort_order") var sortOrder: Int

    init() {}

    func question(_ language: Language) -> String {
        language.pick(kk: questionKk, ru: questionRu, en: questionEn)
    }
    func answer(_ language: Language) -> String {
        language.pick(kk: answerKk, ru: answerRu, en: answerEn)
    }
}

struct CreateFAQEntry: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(FAQEntry.schema)
            .id()
            .field("slug", .string, .required)
            .field("group", .string, .required)
            .field("question_kk", .string, .required)
            .field("question_ru", .string, .required)
            .field("question_en", .string, .required)
            .field("answer_kk", .string, .required)
            .field("answer_ru", .string, .required)
            .field("answer_en", .string, .required)
            .field("hidden", .bool, .required)
            .field("sort_order", .int, .required)
            .unique(on: "slug")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(FAQEntry.schema).delete()
    }
}

enum FAQLibrary {
    static let groups = ["definitions", "law", "platform"]

    struct SeedFile: Decodable {
        struct Entry: Decodable {
            var slug: String
            var group: String
            var question: LocalizedText
            var answer: LocalizedText
        }
        var entries: [Entry]
    }

    /// Loads entries that are not in the database yet; an administrator's edits are kept.
    static func seed(from path: String, on database: any Database) async throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(
                setting: "working directory", problem: "has no \(path); start dauys from the project folder")
        }
        let file = try JSONDecoder().decode(SeedFile.self, from: data)
        let existing = Set(try await FAQEntry.query(on: database).all().map(\.slug))
        for (order, item) in file.entries.enumerated() where !existing.contains(item.slug) {
            let entry = FAQEntry()
            entry.slug = item.slug
            entry.group = item.group
            (entry.questionKk, entry.questionRu, entry.questionEn) = (
                item.question.kk, item.question.ru, item.question.en
            )
            (entry.answerKk, entry.answerRu, entry.answerEn) = (item.answer.kk, item.answer.ru, item.answer.en)
            entry.hidden = false
            entry.sortOrder = (order + 1) * 10
            try await entry.create(on: database)
        }
    }

    static func visible(on database: any Database) async throws -> [FAQEntry] {
        try await FAQEntry.query(on: database).filter(\.$hidden == false).sort(\.$sortOrder).sort(\.$slug).all()
    }
}

struct FAQWebController {
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
        let entries = try await FAQLibrary.visible(on: req.db)
        let groups = FAQLibrary.groups.map { group in
            Group(
                id: group, title: req.text("faq_group_" + group),
                items: entries.filter { $0.group == group }.map {
                    Item(
                        slug: $0.slug, anchor: "#" + $0.slug, question: $0.question(language),
                        paragraphs: $0.answer(language).split(separator: "\n").map(String.init))
                })
        }
        return try await req.view.render(
            "faq", PageContext(req, title: req.text("faq_title"), nav: "help", content: groups))
    }
}
