import Fluent
import Vapor

/// Deletes what the platform promised not to keep (SPEC §2): a reporter's contact and the
/// follow-up messages with the moderators 90 days after the report was first decided
/// (published, rejected or archived) and 180 days after it was sent if nobody ever decided it;
/// expired one-time links; idle bot conversations; bot notices asked for 30 days ago. A withdrawn report is deleted at once,
/// contact and messages included. Runs at start and then hourly; running it
/// twice, or on several instances at once, does no harm.
enum Retention {
    static let contactLifetime: TimeInterval = 90 * 24 * 3600
    static let undecidedContactLifetime: TimeInterval = 180 * 24 * 3600

    struct Summary: Equatable {
        var contactsDeleted: Int
        var messagesDeleted = 0
        var setupLinksDeleted: Int
        var botConversationsDeleted: Int
        var questionWatchesDeleted = 0
    }

    static func run(on database: any Database, now: Date = Date()) async throws -> Summary {
        let decidedCutoff = now.addingTimeInterval(-contactLifetime)
        let undecidedCutoff = now.addingTimeInterval(-undecidedContactLifetime)
        @Sendable func expiredContacts(_ database: any Database) -> QueryBuilder<Report> {
            Report.query(on: database).filter(\.$contactSealed != nil).group(.or) { expired in
                expired.filter(\.$closedAt < decidedCutoff)
                expired.group(.and) {
                    $0.filter(\.$status == ReportStatus.pending.rawValue).filter(\.$createdAt < undecidedCutoff)
                }
            }
        }
        let contacts = try await expiredContacts(database).count()
        if contacts > 0 {
            try await database.transaction { transaction in
                try await StorageHygiene.overwriteDeletedContent(on: transaction)
                try await expiredContacts(transaction).set(\.$contactSealed, to: nil).update()
            }
        }
        let messages = try await FollowUp.deleteExpired(
            decidedBefore: decidedCutoff, undecidedBefore: undecidedCutoff, on: database)
        let links = try await SetupToken.query(on: database).filter(\.$expiresAt < now).count()
        if links > 0 { try await SetupToken.query(on: database).filter(\.$expiresAt < now).delete() }
        let conversations = try await BotConversation.deleteExpired(on: database, now: now)
        let watches = try await QuestionNotices.deleteExpired(on: database, now: now)
        // Reports written since the last run no longer show which came first (PostgreSQL).
        try await StorageHygiene.blurWritingOrder(since: now.addingTimeInterval(-3 * 3600), on: database)
        // What was deleted, here or by withdrawals since the last run, leaves the files too.
        try await StorageHygiene.foldWriteAheadLog(on: database)
        try await StorageHygiene.reclaimSpace(on: database)
        // Reports withdrawn, taken down or merged since the last run leave the releases (#21);
        // last, so that a failure there never keeps the steps above from running.
        try await DataReleases.rebuildWhereReportsLeft(on: database, now: now)
        return Summary(
            contactsDeleted: contacts, messagesDeleted: messages, setupLinksDeleted: links,
            botConversationsDeleted: conversations, questionWatchesDeleted: watches)
    }

    /// Starts the hourly run for a serving or polling process; it stops when the application
    /// shuts down. Hourly, so an idle bot conversation is gone soon after its 24 hours.
    static func schedule(_ app: Application) {
        let logger = app.logger
        let database = app.db
        app.repeatWhileRunning(every: .seconds(3600)) {
            await PlannerStatistics.refreshLogging(on: database, logger: logger)
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
                logger.error("retention failed", metadata: ["errorType": .string(String(reflecting: type(of: error)))])
            }
        }
    }
}
