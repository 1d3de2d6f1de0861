import Fluent
import Vapor

/// The public JSON API, `/api/v1` (SPEC §7).
struct PublicAPIController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        // A reporter's requests are counted, never logged one by one (no timing trail).
        routes.grouped(CountedNotLogged(), RateLimitMiddleware.report).post("reports", use: submit)
        let receipts = routes.grouped(CountedNotLogged(), RateLimitMiddleware.receipt)
        receipts.post("receipt", use: lookUpReceipt)
        receipts.delete("receipt", use: withdraw)
        routes.get("incidents", use: incidents)
        routes.get("cities", use: cities)
        routes.get("hotlines", use: hotlines)
        routes.get("guides", use: guides)
        routes.get("guides", ":slug", use: guide)
        routes.get("openapi.json", use: openAPI)
    }

    @Sendable func submit(req: Request) async throws -> Response {
        let input = try req.jsonBody(ReportInput.self)
        let cities = try await cityIndex(req.db)
        let valid = try input.validate(cities: cities, fallbackLanguage: req.language).get()
        let receipt = try await ReportService.submit(valid, source: .web, app: req.application, on: req.db)
        req.application.telegramBot?.reportArrived()
        let response = Response(status: .created)
        try response.content.encode(receipt, as: .json)
        return response
    }

    struct ReceiptRequest: Content {
        var code: String?
    }

    @Sendable func lookUpReceipt(req: Request) async throws -> ReceiptStatusDTO {
        let report = try await reportForReceipt(req)
        return ReceiptStatusDTO(report)
    }

    @Sendable func withdraw(req: Request) async throws -> Response {
        let report = try await reportForReceipt(req)
        try await ReportService.withdraw(report, on: req.db)
        return Response(status: .noContent)
    }

    private func reportForReceipt(_ req: Request) async throws -> Report {
        let body = try req.jsonBody(ReceiptRequest.self)
        guard let code = TextRules.trimmed(body.code) else { throw AppError.validation(["code": "error_required"]) }
        guard ReceiptCode.normalize(code) != nil else { throw AppError.validation(["code": "error_receipt_format"]) }
        guard let report = try await ReportService.find(receipt: code, app: req.application, on: req.db) else {
            throw AppError.receiptNotFound
        }
        return report
    }

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

    /// The verified help directory: with `city`, that city's entries first, then the nationwide ones.
    @Sendable func hotlines(req: Request) async throws -> [HotlineDTO] {
        let language = try languageParameter(req)
        var city: String?
        if let raw = try? req.query.get(String.self, at: "city") {
            guard try await City.find(raw, on: req.db) != nil else {
                throw AppError.badRequest(field: "city", key: "error_choice")
            }
            city = raw
        }
        let listing = try await HotlineDirectory.listing(city: city, on: req.db)
        let entries = city == nil ? listing.nationwide : listing.local + listing.nationwide
        return entries.map { HotlineDTO($0, language: language) }
    }

    @Sendable func guides(req: Request) async throws -> [GuideSummaryDTO] {
        let language = try languageParameter(req)
        return try await GuideLibrary.visible(on: req.db).map {
            GuideSummaryDTO(slug: $0.slug, group: $0.group, title: $0.title(language), summary: $0.summary(language))
        }
    }

    @Sendable func guide(req: Request) async throws -> GuideDTO {
        let language = try languageParameter(req)
        guard let slug = req.parameters.get("slug"), let guide = try await GuideLibrary.find(slug, on: req.db) else {
            throw AppError.notFound
        }
        return GuideDTO(guide, language: language)
    }

    @Sendable func openAPI(req: Request) async throws -> Response {
        try await req.fileio.asyncStreamFile(
            at: req.application.directory.resourcesDirectory + "openapi.json",
            mediaType: .json)
    }
}

/// The `lang` query parameter of reference endpoints; when absent, the request's language.
func languageParameter(_ req: Request) throws -> Language {
    guard let raw = try? req.query.get(String.self, at: "lang") else { return req.language }
    guard let language = Language(rawValue: raw) else { throw AppError.badRequest(field: "lang", key: "error_choice") }
    return language
}

func cityIndex(_ database: any Database) async throws -> [String: City] {
    Dictionary(
        uniqueKeysWithValues: try await allCities(on: database).compactMap { city in city.id.map { ($0, city) } })
}
