import Fluent
import Vapor

/// The help section in the JSON API: the verified directory and the guides (SPEC §7).
struct HelpAPIController {
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
}
