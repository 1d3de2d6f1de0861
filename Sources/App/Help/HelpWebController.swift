import Fluent
import Vapor

/// The help section: where to call, by city.
struct HelpWebController {
    struct Entry: Encodable {
        var name: String
        var about: String
        var hours: String
        var phones: [String]
        var hasPhones: Bool
        var languages: String?
        var source: String
        var lastVerified: String?
    }

    struct HotlinesContent: Encodable {
        var cities: [Choice]
        var cityChosen: Bool
        var cityName: String
        var local: [Entry]
        var hasLocal: Bool
        var noLocalMessage: String
        var nationwide: [Entry]
    }

    @Sendable func hotlines(req: Request) async throws -> Response {
        let cities = try await allCities(on: req.db)
        var chosen: City?
        if let slug = try? req.query.get(String.self, at: "city"), !slug.isEmpty {
            guard let city = cities.first(where: { $0.id == slug }) else {
                throw AppError.badRequest(field: "city", key: "error_choice")
            }
            chosen = city
        }
        let listing = try await HotlineDirectory.listing(city: chosen?.id, on: req.db)
        let language = req.language
        func entry(_ hotline: Hotline) -> Entry {
            Entry(
                name: hotline.name(language), about: hotline.about(language), hours: hotline.hours(language),
                phones: hotline.phones, hasPhones: !hotline.phones.isEmpty,
                languages: hotline.languages.isEmpty
                    ? nil
                    : hotline.languages.compactMap(Language.init(rawValue:)).map(\.nativeName).joined(separator: ", "),
                source: hotline.source, lastVerified: hotline.lastVerified)
        }
        let cityName = chosen?.name(language) ?? ""
        let content = HotlinesContent(
            cities: cities.map { Choice(value: $0.id ?? "", label: $0.name(language), selected: $0.id == chosen?.id) },
            cityChosen: chosen != nil, cityName: cityName, local: listing.local.map(entry),
            hasLocal: !listing.local.isEmpty,
            noLocalMessage: req.text("help_no_local").replacingOccurrences(of: "{city}", with: cityName),
            nationwide: listing.nationwide.map(entry))
        return try await req.view.render(
            "help", PageContext(req, title: req.text("help_title"), nav: "help", content: content)
        ).encodeResponse(for: req)
    }
}
