import Fluent
import TelegramKit
import Vapor

/// A reporter who checks a report in the bot may ask to be told when the moderators write
/// (issue #13). Only then is the chat id kept: sealed with its own key derived from the server
/// secret, beside a keyed hash that finds it again. The bot's notice says only that a message is
/// waiting — never its words, never the code. The chat id goes when the reporter answers (on
/// the website or in the bot), withdraws the report, blocks the bot, or after 30 days.
final class QuestionWatch: Model, @unchecked Sendable {
    static let schema = "bot_question_watches"
    static let lifetime: TimeInterval = 30 * 24 * 3600

    @ID(key: .id) var id: UUID?
    @Parent(key: "report_id") var report: Report
    /// The chat's keyed hash, as conversations are keyed: one watch per chat and report.
    @Field(key: "chat_key") var chatKey: String
    /// The chat id itself, AES-GCM sealed: the bot needs it to write first.
    @Field(key: "chat_sealed") var chatSealed: String
    @Field(key: "language") var language: String
    /// 30 days after the opt-in, to the hour.
    @Field(key: "expires_at") var expiresAt: Date

    init() {}
}

struct CreateQuestionWatches: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(QuestionWatch.schema)
            .id()
            .field("report_id", .uuid, .required, .references(Report.schema, "id", onDelete: .cascade))
            .field("chat_key", .string, .required)
            .field("chat_sealed", .string, .required)
            .field("language", .string, .required)
            .field("expires_at", .datetime, .required)
            .unique(on: "report_id", "chat_key")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(QuestionWatch.schema).delete()
    }
}

enum QuestionNotices {
    /// Keeps the chat to tell when the moderators write about the report; asking twice keeps one.
    static func optIn(
        report: Report, chat: Int64, language: Language, app: Application, on database: any Database,
        now: Date = Date()
    ) async throws {
        let key = BotConversation.key(chat: chat, secrets: app.secrets)
        let reportID = try report.requireID()
        let sealed = try ContactSealing.seal(String(chat), key: app.secrets.telegramNoticeKey)
        try await SerialWrites.transaction(on: database) { transaction in
            guard try await Report.find(reportID, on: transaction) != nil else { throw AppError.receiptNotFound }
            try await QuestionWatch.query(on: transaction).filter(\.$report.$id == reportID)
                .filter(\.$chatKey == key).delete()
            let watch = QuestionWatch()
            watch.$report.id = reportID
            watch.chatKey = key
            watch.chatSealed = sealed
            watch.language = language.rawValue
            watch.expiresAt = KazakhstanTime.toTheHour(now).addingTimeInterval(QuestionWatch.lifetime)
            try await watch.create(on: transaction)
        }
    }

    /// The chats waiting for the moderators' word on the report, opened, with their language.
    static func watchers(
        of reportID: UUID, app: Application, on database: any Database, now: Date = Date()
    ) async throws -> [(chat: Int64, language: Language)] {
        try await QuestionWatch.query(on: database).filter(\.$report.$id == reportID)
            .filter(\.$expiresAt > now).all().compactMap { watch in
                guard let opened = ContactSealing.open(watch.chatSealed, key: app.secrets.telegramNoticeKey),
                    let chat = Int64(opened)
                else { return nil }
                return (chat, Language(rawValue: watch.language) ?? .kk)
            }
    }

    /// The reporter answered: nobody waits any more.
    static func forget(reportID: UUID, on database: any Database) async throws {
        try await QuestionWatch.query(on: database).filter(\.$report.$id == reportID).delete()
    }

    /// The person blocked the bot: every watch of the chat goes.
    static func forget(chat: Int64, app: Application, on database: any Database) async throws {
        let key = BotConversation.key(chat: chat, secrets: app.secrets)
        try await QuestionWatch.query(on: database).filter(\.$chatKey == key).delete()
    }

    /// Deletes watches older than 30 days; returns how many went.
    static func deleteExpired(on database: any Database, now: Date = Date()) async throws -> Int {
        let expired = try await QuestionWatch.query(on: database).filter(\.$expiresAt <= now).count()
        if expired > 0 { try await QuestionWatch.query(on: database).filter(\.$expiresAt <= now).delete() }
        return expired
    }
}
