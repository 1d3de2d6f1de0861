import Fluent
import Vapor

/// Administrators freeze citable releases, from the panel (`/admin/releases`) or the admin API
/// (`POST /api/v1/admin/releases`); both go through ``DataReleases/freeze``, which is audited.
struct AdminReleasesController {
    struct Row: Encodable {
        var name: String
        var href: String
        var frozenOn: String
        var incidents: Int
    }

    struct PageContent: Encodable {
        var csrf: String
        var name: String
        var suggestion: String
        var errors: MessageList
        var nameError: String?
        var frozen: String?
        var rows: [Row]
    }

    /// The quarter of today, as the name an administrator most likely wants: `2026-Q4`.
    static func suggestedName(now: Date = Date()) -> String {
        let day = KazakhstanTime.dayString(now)
        let month = Int(day.dropFirst(5).prefix(2)) ?? 1
        return day.prefix(4) + "-Q" + String((month - 1) / 3 + 1)
    }

    private func render(
        _ req: Request, name: String, errors: [String: String] = [:], frozen: String? = nil,
        status: HTTPStatus = .ok
    ) async throws -> Response {
        let rows = try await DataReleases.all(on: req.db).map {
            Row(name: $0.name, href: "/data/releases/" + $0.name, frozenOn: $0.frozenOn, incidents: $0.incidentCount)
        }
        let nameError = errors["name"].map { req.text($0) }
        let messages = nameError.map { [MessageList.Message(text: $0, href: "#name")] } ?? []
        let content = PageContent(
            csrf: AdminSession.csrfToken(req), name: name, suggestion: Self.suggestedName(),
            errors: MessageList(linked: messages), nameError: nameError,
            frozen: frozen.map { req.text("admin_release_frozen").replacingOccurrences(of: "{name}", with: $0) },
            rows: rows)
        return try await req.view.render(
            "admin/releases",
            PageContext(req, title: req.text("admin_releases_title"), nav: "admin", content: content)
        ).encodeResponse(status: status, for: req)
    }

    @Sendable func list(req: Request) async throws -> Response {
        try await render(req, name: "", frozen: try? req.query.get(String.self, at: "frozen"))
    }

    @Sendable func freeze(req: Request) async throws -> Response {
        struct Form: Content { var name: String? }
        let name = (try? req.content.decode(Form.self))?.name
        do {
            let release = try await DataReleases.freeze(
                name: name, by: try req.requireAccount(), app: req.application, on: req.db)
            return req.redirect(to: "/admin/releases?frozen=" + release.name)
        } catch let error as AppError where error.status == .badRequest {
            return try await render(req, name: name ?? "", errors: error.fields, status: .badRequest)
        }
    }

    struct ReleaseDTO: Content {
        var name: String
        var frozenOn: String
        var incidents: Int
        var url: String
        var csvSha256: String
        var geojsonSha256: String
    }

    @Sendable func freezeFromAPI(req: Request) async throws -> Response {
        struct Body: Content { var name: String? }
        let body = try req.jsonBody(Body.self)
        let release = try await DataReleases.freeze(
            name: body.name, by: try req.requireAccount(), app: req.application, on: req.db)
        let dto = ReleaseDTO(
            name: release.name, frozenOn: release.frozenOn, incidents: release.incidentCount,
            url: "/data/releases/" + release.name, csvSha256: release.csvSHA256, geojsonSha256: release.geoJSONSHA256)
        return try await dto.encodeResponse(status: .created, for: req)
    }
}
