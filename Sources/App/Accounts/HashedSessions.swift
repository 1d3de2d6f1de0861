import Fluent
import Vapor

/// The panel's sessions, kept in the database (any instance can serve any request) under the
/// SHA-256 of their id: someone who reads the sessions table, or a backup of it, cannot take
/// over a signed-in moderator. The id itself exists only in the moderator's cookie.
///
/// Fluent's own driver stores the id as it is; this one differs from it in that alone, and
/// uses its table (`SessionRecord`).
struct HashedSessionDriver: AsyncSessionDriver {
    private func stored(_ id: SessionID) -> SessionID { SessionID(string: TokenHashing.sha256(id.string)) }

    /// Vapor creates a session for every request that brings an unknown session cookie, even
    /// with nothing in it: stored, anyone sending made-up cookies would fill the table. An empty
    /// session gets an id that is never stored — reading it back finds nothing, as it should.
    func createSession(_ data: SessionData, for request: Request) async throws -> SessionID {
        let id = SessionID(string: TokenHashing.randomToken())
        guard !data.snapshot.isEmpty else { return id }
        try await SessionRecord(key: stored(id), data: data).create(on: request.db)
        return id
    }

    func readSession(_ sessionID: SessionID, for request: Request) async throws -> SessionData? {
        guard sessionID.string.count < 100 else { return nil }
        return try await SessionRecord.query(on: request.db).filter(\.$key == stored(sessionID)).first()?.data
    }

    func updateSession(_ sessionID: SessionID, to data: SessionData, for request: Request) async throws -> SessionID {
        try await SessionRecord.query(on: request.db).filter(\.$key == stored(sessionID)).set(\.$data, to: data)
            .update()
        return sessionID
    }

    func deleteSession(_ sessionID: SessionID, for request: Request) async throws {
        try await SessionRecord.query(on: request.db).filter(\.$key == stored(sessionID)).delete()
    }
}
