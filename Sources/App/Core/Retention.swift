import Fluent
import Vapor

/// Deletes what the platform promised not to keep (SPEC §2): a reporter's contact 90 days after
/// the report was closed, and one-time links that have expired. Runs at start and then hourly;
/// running it twice, or on several instances at once, does no harm.
enum Retention {
    static let contactLifetime: TimeInterval = 90 * 24 * 3600

    struct Summary: Equatable {
        var contactsDeleted: Int
        var setupLinksDeleted: Int
        var botConversationsDeleted: Int
    }

    static func run(on database: any Database, now: Date = Date()) async throws -> Summary {
        let cutoff = now.addingTimeInterval(-contactLifetime)
        let expiredContacts = Report.query(on: database).filter(\.$closedAt < cutoff).filter(\.$contactSealed != nil)
        let contacts = try await expiredContacts.count()
        if contacts > 0 {
            try await Report.query(on: database).filter(\.$closedAt < cutoff).filter(\.$contactSealed != nil)
                .set(\.$contactSealed, to: nil).update()
        }
        let links = try await SetupToken.query(on: database).filter(\.$expiresAt < now).count()
        if links > 0 { try await SetupToken.query(on: database).filter(\.$expiresAt < now).delete() }
        let conversations = try await BotConversation.deleteExpired(on: database, now: now)
        return Summary(contactsDeleted: contacts, setupLinksDeleted: links, botConversationsDeleted: conversations)
    }

    /// Starts the hourly run for a serving or polling process; it stops when the application shuts down.
    static func schedule(_ app: Application) {
        struct TaskKey: StorageKey { typealias Value = Task<Void, Never> }
        let logger = app.logger
        let database = app.db
        let task = Task {
            while !Task.isCancelled {
                do {
                    let summary = try await run(on: database)
                    logger.info(
                        "retention ran",
                        metadata: [
                            "contactsDeleted": .stringConvertible(summary.contactsDeleted),
                            "setupLinksDeleted": .stringConvertible(summary.setupLinksDeleted),
                            "botConversationsDeleted": .stringConvertible(summary.botConversationsDeleted),
                        ])
                } catch {
                    logger.error(
                        "retention failed", metadata: ["errorType": .string(String(reflecting: type(of: error)))])
                }
                // Hourly, so an idle bot conversation is gone soon after its 24 hours.
                try? await Task.sleep(for: .seconds(3600))
            }
        }
        app.storage.set(TaskKey.self, to: task) { $0.cancel() }
    }
}
