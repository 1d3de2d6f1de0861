import Fluent
import SQLKit
import Vapor

/// The table of contents of every URL the server answers.
func routes(_ app: Application) throws {
    // MARK: Public website
    try app.register(collection: MapWebController())
    try app.register(collection: ReportWebController())
    try app.register(collection: VendorFilesController())
    try app.register(collection: TileProxyController())
    try app.register(collection: HelpWebController())
    try app.register(collection: SelfCheckWebController())
    try app.register(collection: FAQWebController())
    try app.register(collection: GuidesWebController())
    app.get("healthz", use: health)

    // MARK: Public JSON API
    let api = app.grouped("api", "v1")
    try api.register(collection: PublicAPIController())

    // MARK: Admin panel (session) and admin API (bearer token)
    try app.grouped(app.sessions.middleware).register(collection: AdminWebController())
    try app.grouped(app.sessions.middleware).register(collection: AdminHotlinesController())
    try app.grouped(app.sessions.middleware).register(collection: AdminGuidesController())
    try app.grouped(app.sessions.middleware).register(collection: AdminFAQController())
    try api.grouped("admin").grouped(BearerAccountMiddleware()).register(collection: AdminAPIController())

    // MARK: Telegram bot webhook (long polling needs no route: `dauys telegram poll`)
    try app.register(collection: TelegramWebhookController())
}

/// 200 when the database answers, 503 otherwise.
@Sendable func health(req: Request) async throws -> Response {
    do {
        guard let sql = req.db as? any SQLDatabase else { throw AppError.notFound }
        try await sql.raw("SELECT 1").run()
        return Response(status: .ok, body: .init(string: "ok"))
    } catch {
        return Response(status: .serviceUnavailable, body: .init(string: "database unavailable"))
    }
}

/// Browser libraries from Debian's packages, served by our own server (SPEC rule 2).
struct VendorFilesController: RouteCollection {
    /// URL folder → folder on disk. Nothing outside these folders is ever served. Debian puts
    /// Leaflet.markercluster into Leaflet's own folder.
    static let folders = [
        "leaflet": "/usr/share/javascript/leaflet",
        "chart.js": "/usr/share/javascript/chart.js",
    ]

    func boot(routes: any RoutesBuilder) throws {
        routes.get("vendor", ":package", "**", use: file)
    }

    @Sendable func file(req: Request) async throws -> Response {
        guard let package = req.parameters.get("package"), let root = Self.folders[package] else {
            throw AppError.notFound
        }
        let parts = req.parameters.getCatchall()
        guard !parts.isEmpty, parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." && !$0.contains("\\") }) else {
            throw AppError.notFound
        }
        let path = root + "/" + parts.joined(separator: "/")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw AppError.notFound
        }
        let response = try await req.fileio.asyncStreamFile(at: path)
        response.headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=86400")
        return response
    }
}
