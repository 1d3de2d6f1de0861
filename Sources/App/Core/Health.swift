import SQLKit
import Vapor

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
