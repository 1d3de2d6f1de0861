import Fluent
import Vapor

/// `dauys serve [--hostname H] [--port P]`: Vapor's server, then one line with the address to
/// open and, on a database without accounts, the one-time link to create the first administrator.
struct ServeAndAnnounceCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "hostname", short: "H", help: "The address to listen on (default 127.0.0.1).")
        var hostname: String?

        @Option(name: "port", short: "p", help: "The port to listen on (default 8080).")
        var port: Int?
    }

    var help: String { "Migrates the database, loads reference content and serves the website and API (the default)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        var arguments = ["dauys"]
        if let hostname = signature.hostname { arguments += ["--hostname", hostname] }
        if let port = signature.port { arguments += ["--port", String(port)] }
        var serveContext = CommandContext(console: context.console, input: CommandInput(arguments: arguments))
        serveContext.application = app
        // The published set is read before the first visitor is let in, so no one waits for it
        // (about 20 s at a million reports); from then on it follows each change (issue #22).
        _ = try await app.publishedSet.current(on: app.db)
        try await app.servers.asyncCommand.run(using: &serveContext)

        Retention.schedule(app)
        RequestCounts.schedule(app)
        RouteMinuteCounts.schedule(app)
        let base = Self.baseURL(app: app)
        context.console.print("Dauys is running at \(base)/")
        if let token = try await AccountService.setupTokenIfNeeded(on: app.db) {
            context.console.print(
                "Create the first administrator (link works once, for 24 hours): \(base)/admin/setup/\(token)")
        }
    }

    static func baseURL(app: Application) -> String {
        if let publicURL = app.config.publicURL {
            return publicURL.absoluteString.hasSuffix("/")
                ? String(publicURL.absoluteString.dropLast()) : publicURL.absoluteString
        }
        let address = app.http.server.shared.localAddress
        let port = address?.port ?? app.http.server.configuration.port
        var host = address?.ipAddress ?? app.http.server.configuration.hostname
        if host.contains(":") { host = "[\(host)]" }
        return "http://\(host):\(port)"
    }
}

/// `dauys migrate`: brings the schema up to date without asking (start-up does the same).
struct MigrateNowCommand: AsyncCommand {
    struct Signature: CommandSignature {}
    var help: String { "Migrates the database schema and loads reference content." }

    func run(using context: CommandContext, signature: Signature) async throws {
        // configure() has already migrated and seeded; say so plainly.
        let pending = try await context.application.migrator.previewPrepareBatch().get()
        context.console.print(
            pending.isEmpty ? "The database schema is up to date." : "\(pending.count) migrations are still pending.")
    }
}
