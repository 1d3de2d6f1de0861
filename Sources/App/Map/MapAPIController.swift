import Fluent
import Vapor

/// The public map's data in the JSON API: published incidents and the cities (SPEC §7).
struct MapAPIController {
    @Sendable func incidents(req: Request) async throws -> Response {
        let filters = try IncidentFilters.parse(
            try req.query.decode([String: String].self), knownCities: Set(try await cityIndex(req.db).keys))
        let page = try await IncidentQueries.page(filters, on: req.db)
        let response = Response(status: .ok)
        try response.content.encode(IncidentFeatureCollection(page, filters: filters), as: .json)
        response.headers.contentType = HTTPMediaType(type: "application", subType: "geo+json")
        return response
    }

    struct CityDTO: Content {
        var slug: String
        var name: String
        var names: [String: String]
        var latitude: Double
        var longitude: Double
    }

    @Sendable func cities(req: Request) async throws -> [CityDTO] {
        let language = try languageParameter(req)
        return try await allCities(on: req.db).map {
            CityDTO(
                slug: $0.id ?? "", name: $0.name(language), names: ["kk": $0.nameKk, "ru": $0.nameRu, "en": $0.nameEn],
                latitude: $0.latitude, longitude: $0.longitude)
        }
    }
}
