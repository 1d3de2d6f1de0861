import Fluent
import Vapor

/// A guide: what a situation is and a numbered sequence of steps, per setting or per kind.
final class Guide: Model, @unchecked Sendable {
    static let schema = "guides"

    @ID(key: .id) var id: UUID?
    @Field(key: "slug") var slug: String
    /// `setting` (street, workplace…) or `kind` (stalking, cyber…).
    @Field(key: "group") var group: String
    @Field(key: "title_kk") var titleKk: String
    @Field(key: "title_ru") var titleRu: String
    @Field(key: "title_en") var titleEn: String
    @Field(key: "summary_kk") var summaryKk: String
    @Field(key: "summary_ru") var summaryRu: String
    @Field(key: "summary_en") var summaryEn: String
    /// The guide in the safe Markdown subset of ``SafeMarkdown``.
    @Field(key: "body_kk") var bodyKk: String
    @Field(key: "body_ru") var bodyRu: String
    @Field(key: "body_en") var bodyEn: String
    @Field(key: "source") var source: String
    @Field(key: "last_verified") var lastVerified: String
    @Field(key: "hidden") var hidden: Bool
    @Field(key: "sort_order") var sortOrder: Int

    init() {}

    func title(_ language: Language) -> String {
        language.pick(kk: titleKk, ru: titleRu, en: titleEn)
    }
    func summary(_ language: Language) -> String {
        language.pick(kk: summaryKk, ru: summaryRu, en: summaryEn)
    }
    func body(_ language: Language) -> String { language.pick(kk: bodyKk, ru: bodyRu, en: bodyEn) }
}

struct CreateGuide: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(Guide.schema)
            .id()
            .field("slug", .string, .required)
            .field("group", .string, .required)
            .field("title_kk", .string, .required)
            .field("title_ru", .string, .required)
            .field("title_en", .string, .required)
            .field("summary_kk", .string, .required)
            .field("summary_ru", .string, .required)
            .field("summary_en", .string, .required)
            .field("body_kk", .string, .required)
            .field("body_ru", .string, .required)
            .field("body_en", .string, .required)
            .field("source", .string, .required)
            .field("last_verified", .string, .required)
            .field("hidden", .bool, .required)
            .field("sort_order", .int, .required)
            .unique(on: "slug")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(Guide.schema).delete()
    }
}

enum GuideLibrary {
    struct SeedFile: Decodable {
        struct Entry: Decodable {
            var slug: String
            var group: String
            var title: LocalizedText
            var summary: LocalizedText
            var body: LocalizedText
            var source: String
            var lastVerified: String
        }
        var entries: [Entry]
    }

    /// Loads guides that are not in the database yet; edits made in the admin panel stay.
    static func seed(from path: String, on database: any Database) async throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(
                setting: "working directory", problem: "has no \(path); start dauys from the project folder")
        }
        let file = try JSONDecoder().decode(SeedFile.self, from: data)
        let existing = Set(try await Guide.query(on: database).all().map(\.slug))
        for (order, entry) in file.entries.enumerated() where !existing.contains(entry.slug) {
            let guide = Guide()
            guide.slug = entry.slug
            guide.group = entry.group
            (guide.titleKk, guide.titleRu, guide.titleEn) = (entry.title.kk, entry.title.ru, entry.title.en)
            (guide.summaryKk, guide.summaryRu, guide.summaryEn) = (entry.summary.kk, entry.summary.ru, entry.summary.en)
            (guide.bodyKk, guide.bodyRu, guide.bodyEn) = (entry.body.kk, entry.body.ru, entry.body.en)
            guide.source = entry.source
            guide.lastVerified = entry.lastVerified
            guide.hidden = false
            guide.sortOrder = (order + 1) * 10
            try await guide.create(on: database)
        }
    }

    static func visible(on database: any Database) async throws -> [Guide] {
        try await Guide.query(on: database).filter(\.$hidden == false).sort(\.$sortOrder).sort(\.$slug).all()
    }

    static func find(_ slug: String, on database: any Database) async throws -> Guide? {
        try await Guide.query(on: database).filter(\.$slug == slug).filter(\.$hidden == false).first()
    }

    /// The setting guide that fits a report's place and relation, for the action plan.
    static func settingSlug(placeType: PlaceType, relation: PerpetratorRelation?) -> String {
        if relation == .partner || relation == .relative || relation == .neighbour || placeType == .residential {
            return "home-close-person"
        }
        switch placeType {
        case .workplace: return "workplace"
        case .education: return "school-university"
        case .online: return "online"
        default: return relation == .colleague ? "workplace" : "street-transport"
        }
    }
}

struct GuideSummaryDTO: Content, Equatable {
    var slug: String
    var group: String
    var title: String
    var summary: String
}

struct GuideDTO: Content, Equatable {
    var slug: String
    var group: String
    var title: String
    var summary: String
    /// The guide's text in the safe Markdown subset.
    var body: String
    /// The same, rendered to HTML with every character of the source escaped.
    var html: String
    var source: String
    var lastVerified: String

    init(_ guide: Guide, language: Language) {
        slug = guide.slug
        group = guide.group
        title = guide.title(language)
        summary = guide.summary(language)
        body = guide.body(language)
        html = SafeMarkdown.html(body)
        source = guide.source
        lastVerified = guide.lastVerified
    }
}

struct GuidesWebController {
    struct ListContent: Encodable {
        var settings: [GuideSummaryDTO]
        var kinds: [GuideSummaryDTO]
    }

    @Sendable func list(req: Request) async throws -> View {
        let guides = try await GuideLibrary.visible(on: req.db).map {
            GuideSummaryDTO(
                slug: $0.slug, group: $0.group, title: $0.title(req.language), summary: $0.summary(req.language))
        }
        let content = ListContent(
            settings: guides.filter { $0.group == "setting" }, kinds: guides.filter { $0.group == "kind" })
        return try await req.view.render(
            "guides", PageContext(req, title: req.text("guides_title"), nav: "help", content: content))
    }

    @Sendable func show(req: Request) async throws -> View {
        guard let slug = req.parameters.get("slug"), let guide = try await GuideLibrary.find(slug, on: req.db) else {
            throw AppError.notFound
        }
        let dto = GuideDTO(guide, language: req.language)
        return try await req.view.render("guide", PageContext(req, title: dto.title, nav: "help", content: dto))
    }
}
