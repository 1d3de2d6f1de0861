import Fluent
import Vapor

enum HotlineCategory: String, CaseIterable, Codable, Sendable {
    case emergency, police, state_line, app, crisis_centre, shelter, legal_aid, ngo
}

/// A help line or organisation in the directory (SPEC §3 help).
///
/// Entries whose facts are not confirmed stay `verified == false` and are never shown to the
/// public; administrators verify them by phone first.
final class Hotline: Model, @unchecked Sendable {
    static let schema = "hotlines"

    @ID(key: .id) var id: UUID?
    @Field(key: "slug") var slug: String
    @Field(key: "category") var category: String
    @Field(key: "name_kk") var nameKk: String
    @Field(key: "name_ru") var nameRu: String
    @Field(key: "name_en") var nameEn: String
    @Field(key: "about_kk") var aboutKk: String
    @Field(key: "about_ru") var aboutRu: String
    @Field(key: "about_en") var aboutEn: String
    @Field(key: "hours_kk") var hoursKk: String
    @Field(key: "hours_ru") var hoursRu: String
    @Field(key: "hours_en") var hoursEn: String
    /// Phone numbers separated by commas, as dialled.
    @Field(key: "phones") var phonesList: String
    /// A city slug, or nil for a nationwide service.
    @OptionalField(key: "city") var city: String?
    /// Languages the service is known to speak (`kk,ru`); empty when no source says.
    @Field(key: "languages") var languagesList: String
    @Field(key: "source") var source: String
    @OptionalField(key: "last_verified") var lastVerified: String?
    @Field(key: "verified") var verified: Bool
    @Field(key: "hidden") var hidden: Bool
    @Field(key: "sort_order") var sortOrder: Int

    init() {}

    var phones: [String] {
        get { phonesList.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        set { phonesList = newValue.joined(separator: ",") }
    }

    var languages: [String] {
        get { languagesList.split(separator: ",").map(String.init) }
        set { languagesList = newValue.joined(separator: ",") }
    }

    func name(_ language: Language) -> String { language.pick(kk: nameKk, ru: nameRu, en: nameEn) }
    func about(_ language: Language) -> String {
        language.pick(kk: aboutKk, ru: aboutRu, en: aboutEn)
    }
    func hours(_ language: Language) -> String {
        language.pick(kk: hoursKk, ru: hoursRu, en: hoursEn)
    }

    /// What the public may see.
    var isPublic: Bool { verified && !hidden }
}

struct CreateHotline: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(Hotline.schema)
            .id()
            .field("slug", .string, .required)
            .field("category", .string, .required)
            .field("name_kk", .string, .required)
            .field("name_ru", .string, .required)
            .field("name_en", .string, .required)
            .field("about_kk", .string, .required)
            .field("about_ru", .string, .required)
            .field("about_en", .string, .required)
            .field("hours_kk", .string, .required)
            .field("hours_ru", .string, .required)
            .field("hours_en", .string, .required)
            .field("phones", .string, .required)
            .field("city", .string)
            .field("languages", .string, .required)
            .field("source", .string, .required)
            .field("last_verified", .string)
            .field("verified", .bool, .required)
            .field("hidden", .bool, .required)
            .field("sort_order", .int, .required)
            .unique(on: "slug")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(Hotline.schema).delete()
    }
}

/// The reference file `Resources/Content/hotlines.json`.
struct HotlineSeedFile: Decodable {
    struct Entry: Decodable {
        var slug: String
        var category: HotlineCategory
        var phones: [String]
        var city: String?
        var languages: [String]
        var name: LocalizedText
        var about: LocalizedText
        var hours: LocalizedText
        var source: String
        var lastVerified: String?
        var verified: Bool
    }
    var entries: [Entry]
}

enum HotlineDirectory {
    /// Loads entries that are not in the database yet; an administrator's edits are never overwritten.
    static func seed(from path: String, on database: any Database) async throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(
                setting: "working directory", problem: "has no \(path); start dauys from the project folder")
        }
        let file = try JSONDecoder().decode(HotlineSeedFile.self, from: data)
        let existing = Set(try await Hotline.query(on: database).all().map(\.slug))
        for (order, entry) in file.entries.enumerated() where !existing.contains(entry.slug) {
            let hotline = Hotline()
            hotline.slug = entry.slug
            hotline.category = entry.category.rawValue
            hotline.nameKk = entry.name.kk
            hotline.nameRu = entry.name.ru
            hotline.nameEn = entry.name.en
            hotline.aboutKk = entry.about.kk
            hotline.aboutRu = entry.about.ru
            hotline.aboutEn = entry.about.en
            hotline.hoursKk = entry.hours.kk
            hotline.hoursRu = entry.hours.ru
            hotline.hoursEn = entry.hours.en
            hotline.phones = entry.phones
            hotline.city = entry.city
            hotline.languages = entry.languages
            hotline.source = entry.source
            hotline.lastVerified = entry.lastVerified
            hotline.verified = entry.verified
            hotline.hidden = false
            hotline.sortOrder = (order + 1) * 10
            try await hotline.create(on: database)
        }
    }

    struct Listing: Sendable {
        /// Entries for the chosen city itself.
        var local: [Hotline]
        var nationwide: [Hotline]
    }

    /// The public directory: verified, visible entries, for a city (its own entries plus the
    /// nationwide ones) or for the whole country.
    static func listing(city: String?, on database: any Database) async throws -> Listing {
        let all = try await Hotline.query(on: database).filter(\.$verified == true).filter(\.$hidden == false)
            .sort(\.$sortOrder).sort(\.$slug).all()
        return Listing(
            local: city.map { slug in all.filter { $0.city == slug } } ?? all.filter { $0.city != nil },
            nationwide: all.filter { $0.city == nil })
    }
}

/// A directory entry as the public API shows it.
struct HotlineDTO: Content, Equatable {
    var slug: String
    var category: String
    var name: String
    var about: String
    var hours: String
    var phones: [String]
    var city: String?
    var nationwide: Bool
    var languages: [String]
    var source: String
    var lastVerified: String?

    init(_ hotline: Hotline, language: Language) {
        slug = hotline.slug
        category = hotline.category
        name = hotline.name(language)
        about = hotline.about(language)
        hours = hotline.hours(language)
        phones = hotline.phones
        city = hotline.city
        nationwide = hotline.city == nil
        languages = hotline.languages
        source = hotline.source
        lastVerified = hotline.lastVerified
    }
}
