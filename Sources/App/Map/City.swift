import Fluent
import NIOConcurrencyHelpers
import Vapor

/// A city from the built-in list of Kazakhstan's cities, with its centre point.
final class City: Model, @unchecked Sendable {
    static let schema = "cities"

    @ID(custom: "slug", generatedBy: .user) var id: String?
    @Field(key: "name_kk") var nameKk: String
    @Field(key: "name_ru") var nameRu: String
    @Field(key: "name_en") var nameEn: String
    @Field(key: "latitude") var latitude: Double
    @Field(key: "longitude") var longitude: Double
    @Field(key: "sort_order") var sortOrder: Int

    init() {}

    init(_ entry: CityCatalog.Entry, order: Int) {
        id = entry.slug
        nameKk = entry.kk
        nameRu = entry.ru
        nameEn = entry.en
        latitude = entry.latitude
        longitude = entry.longitude
        sortOrder = order
    }

    func name(_ language: Language) -> String { language.pick(kk: nameKk, ru: nameRu, en: nameEn) }
}

struct CreateCity: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(City.schema)
            .field("slug", .string, .identifier(auto: false))
            .field("name_kk", .string, .required)
            .field("name_ru", .string, .required)
            .field("name_en", .string, .required)
            .field("latitude", .double, .required)
            .field("longitude", .double, .required)
            .field("sort_order", .int, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(City.schema).delete()
    }
}

/// Kazakhstan's cities: the 17 regional centres, the 3 cities of republican significance and
/// the other large towns. Names and centre points are from GeoNames (see
/// shared/reference/kz-help-facts.md §5), with the 2022 regional reform applied.
enum CityCatalog {
    struct Entry: Sendable {
        var slug: String
        var en: String
        var kk: String
        var ru: String
        var latitude: Double
        var longitude: Double
    }

    static let all: [Entry] = [
        Entry(slug: "almaty", en: "Almaty", kk: "Алматы", ru: "Алматы", latitude: 43.252, longitude: 76.912),
        Entry(slug: "astana", en: "Astana", kk: "Астана", ru: "Астана", latitude: 51.180, longitude: 71.446),
        Entry(slug: "shymkent", en: "Shymkent", kk: "Шымкент", ru: "Шымкент", latitude: 42.310, longitude: 69.600),
        Entry(slug: "aktobe", en: "Aktobe", kk: "Ақтөбе", ru: "Актобе", latitude: 50.280, longitude: 57.207),
        Entry(
            slug: "karaganda", en: "Karaganda", kk: "Қарағанды", ru: "Караганда", latitude: 49.802, longitude: 73.102),
        Entry(slug: "taraz", en: "Taraz", kk: "Тараз", ru: "Тараз", latitude: 42.898, longitude: 71.373),
        Entry(
            slug: "kyzylorda", en: "Kyzylorda", kk: "Қызылорда", ru: "Кызылорда", latitude: 44.853, longitude: 65.509),
        Entry(slug: "oral", en: "Oral (Uralsk)", kk: "Орал", ru: "Уральск", latitude: 51.246, longitude: 51.426),
        Entry(slug: "pavlodar", en: "Pavlodar", kk: "Павлодар", ru: "Павлодар", latitude: 52.276, longitude: 76.969),
        Entry(
            slug: "oskemen", en: "Oskemen (Ust-Kamenogorsk)", kk: "Өскемен", ru: "Усть-Каменогорск", latitude: 49.971,
            longitude: 82.606),
        Entry(slug: "semey", en: "Semey", kk: "Семей", ru: "Семей", latitude: 50.421, longitude: 80.250),
        Entry(slug: "atyrau", en: "Atyrau", kk: "Атырау", ru: "Атырау", latitude: 47.105, longitude: 51.884),
        Entry(
            slug: "turkistan", en: "Turkistan", kk: "Түркістан", ru: "Туркестан", latitude: 43.295, longitude: 68.257),
        Entry(slug: "kostanay", en: "Kostanay", kk: "Қостанай", ru: "Костанай", latitude: 53.214, longitude: 63.625),
        Entry(
            slug: "petropavl", en: "Petropavl", kk: "Петропавл", ru: "Петропавловск", latitude: 54.873,
            longitude: 69.151),
        Entry(slug: "temirtau", en: "Temirtau", kk: "Теміртау", ru: "Темиртау", latitude: 50.052, longitude: 72.955),
        Entry(slug: "kokshetau", en: "Kokshetau", kk: "Көкшетау", ru: "Кокшетау", latitude: 53.284, longitude: 69.394),
        Entry(slug: "aktau", en: "Aktau", kk: "Ақтау", ru: "Актау", latitude: 43.661, longitude: 51.174),
        Entry(slug: "rudny", en: "Rudny", kk: "Рудный", ru: "Рудный", latitude: 52.972, longitude: 63.111),
        Entry(
            slug: "ekibastuz", en: "Ekibastuz", kk: "Екібастұз", ru: "Экибастуз", latitude: 51.724, longitude: 75.323),
        Entry(
            slug: "taldykorgan", en: "Taldykorgan", kk: "Талдықорған", ru: "Талдыкорган", latitude: 45.016,
            longitude: 78.374),
        Entry(
            slug: "zhezkazgan", en: "Zhezkazgan", kk: "Жезқазған", ru: "Жезказган", latitude: 47.794, longitude: 67.706),
        Entry(slug: "zhanaozen", en: "Zhanaozen", kk: "Жаңаөзен", ru: "Жанаозен", latitude: 43.341, longitude: 52.862),
        Entry(slug: "konaev", en: "Konaev", kk: "Қонаев", ru: "Конаев", latitude: 43.867, longitude: 77.063),
    ]
}

/// Loads the city list on first start (and adds cities a newer release brings).
func seedCities(on database: any Database) async throws {
    let existing = Set(try await City.query(on: database).all().compactMap(\.id))
    for (order, entry) in CityCatalog.all.enumerated() where !existing.contains(entry.slug) {
        try await City(entry, order: order).create(on: database)
    }
    loadedCities.withLockedValue { $0 = nil }
}

/// The cities as last read, with their index by slug. Nothing but ``seedCities(on:)`` writes
/// them, and only at start, so they are read once per process: reading them per request was
/// a quarter of the CPU of every submission (issue #14). The models are shared: never
/// change one.
private let loadedCities = NIOLockedValueBox<(list: [City], index: [String: City])?>(nil)

private func loadCities(on database: any Database) async throws -> (list: [City], index: [String: City]) {
    if let loaded = loadedCities.withLockedValue({ $0 }) { return loaded }
    let list = try await City.query(on: database).sort(\.$sortOrder).all()
    let loaded = (list, Dictionary(uniqueKeysWithValues: list.compactMap { city in city.id.map { ($0, city) } }))
    loadedCities.withLockedValue { $0 = loaded }
    return loaded
}

/// Cities in display order: the list is small and read on every form and map.
func allCities(on database: any Database) async throws -> [City] {
    try await loadCities(on: database).list
}

/// City centres as JSON for a page's `data-cities` attribute: the map scripts use them to
/// centre the map on a chosen city and to pick the city nearest a tapped point.
func cityCentresJSON(_ cities: [City], language: Language) throws -> String {
    struct CityPoint: Encodable {
        var slug: String
        var name: String
        var lat: Double
        var lon: Double
    }
    let points = cities.map {
        CityPoint(slug: $0.id ?? "", name: $0.name(language), lat: $0.latitude, lon: $0.longitude)
    }
    return String(decoding: try JSONEncoder().encode(points), as: UTF8.self)
}

/// The cities by slug.
func cityIndex(_ database: any Database) async throws -> [String: City] {
    try await loadCities(on: database).index
}
