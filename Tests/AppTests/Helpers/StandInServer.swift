import Testing
import Vapor

/// A small real HTTP server on 127.0.0.1 that plays an outside service (a tile server, later
/// the Telegram Bot API) and records what it was sent.
final class StandInServer: @unchecked Sendable {
    struct Recorded: Sendable {
        var path: String
        var headers: HTTPHeaders
    }

    let app: Application
    private let lock = NSLock()
    private var recorded: [Recorded] = []

    var port: Int { app.http.server.shared.localAddress?.port ?? 0 }
    var baseURL: String { "http://127.0.0.1:\(port)" }
    var requests: [Recorded] { lock.withLock { recorded } }

    private init(app: Application) { self.app = app }

    /// Starts a server whose routes `register` sets up; every request is recorded first.
    static func start(_ register: (Application) throws -> Void) async throws -> StandInServer {
        let app = try await Application.make(.testing)
        app.logger.logLevel = .warning
        let server = StandInServer(app: app)
        app.middleware.use(RecordingMiddleware(server: server))
        try register(app)
        app.http.server.configuration.hostname = "127.0.0.1"
        app.http.server.configuration.port = 0
        try await app.server.start(address: .hostname("127.0.0.1", port: 0))
        return server
    }

    fileprivate func record(_ request: Request) {
        lock.withLock { recorded.append(Recorded(path: request.url.path, headers: request.headers)) }
    }

    func stop() async {
        await app.server.shutdown()
        try? await app.asyncShutdown()
    }

    private struct RecordingMiddleware: AsyncMiddleware {
        let server: StandInServer
        func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
            server.record(request)
            return try await next.respond(to: request)
        }
    }
}

/// Runs `test` with a stand-in server that is stopped afterwards, whatever happens.
func withStandIn(
    _ register: (Application) throws -> Void, _ test: (StandInServer) async throws -> Void
) async throws {
    let server = try await StandInServer.start(register)
    do {
        try await test(server)
    } catch {
        await server.stop()
        throw error
    }
    await server.stop()
}
