import Fluent
import Vapor

/// A conversation with the bot, between its first question and its last answer.
///
/// It is keyed by a keyed hash of the chat id — never the id itself, a user name or a name —
/// holds the answers given so far, and is deleted when the conversation ends, is cancelled,
/// the user blocks the bot, or nothing happened for 24 hours. Its time is kept to the hour, so
/// "24 hours" is counted from the hour of the last update: a conversation goes between 23 and
/// 24 hours after it (SPEC §6).
final class BotConversation: Model, @unchecked Sendable {
    static let schema = "bot_conversations"
    static let idleLifetime: TimeInterval = 24 * 3600

    @ID(key: .id) var id: UUID?
    /// HMAC-SHA256 of the chat id under a key derived from the server secret, in hex.
    @Field(key: "chat_key") var chatKey: String
    /// ``BotState`` as JSON.
    @Field(key: "state") var state: String
    /// The hour of the latest update (including ones that change nothing, since it measures
    /// idleness): minute, second and fraction are zero.
    @Field(key: "updated_at") var updatedAt: Date

    init() {}

    static func key(chat: Int64, secrets: Secrets) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(String(chat).utf8), using: secrets.telegramChatKey)
            .hexString
    }
}

/// The id of every update already handled, so a redelivered update is not handled twice.
/// Only the number and the hour are kept, for two days (47 to 48 hours counted from the hour;
/// Telegram redelivers an update for at most a day).
final class ProcessedUpdate: Model, @unchecked Sendable {
    static let schema = "bot_processed_updates"
    static let lifetime: TimeInterval = 48 * 3600

    @ID(custom: "update_id", generatedBy: .user) var id: Int64?
    @Field(key: "processed_at") var processedAt: Date

    init() {}

    init(updateID: Int64, at date: Date) {
        id = updateID
        processedAt = KazakhstanTime.toTheHour(date)
    }
}

struct CreateBotTables: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(BotConversation.schema)
            .id()
            .field("chat_key", .string, .required)
            .field("state", .string, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "chat_key")
            .create()
        try await database.schema(ProcessedUpdate.schema)
            .field("update_id", .int64, .identifier(auto: false))
            .field("processed_at", .datetime, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(ProcessedUpdate.schema).delete()
        try await database.schema(BotConversation.schema).delete()
    }
}

extension BotConversation {
    /// Deletes conversations idle for more than a day and update ids older than two days.
    static func deleteExpired(on database: any Database, now: Date = Date()) async throws -> Int {
        let idleCutoff = now.addingTimeInterval(-idleLifetime)
        let expired = try await BotConversation.query(on: database).filter(\.$updatedAt < idleCutoff).count()
        if expired > 0 { try await BotConversation.query(on: database).filter(\.$updatedAt < idleCutoff).delete() }
        try await ProcessedUpdate.query(on: database)
            .filter(\.$processedAt < now.addingTimeInterval(-ProcessedUpdate.lifetime)).delete()
        return expired
    }
}

/// Issue #21: the bot's tables keep times to the hour. Rows written before keep their exact time
/// until this rounds them down: one update per hour that holds rows, so a day's conversations
/// and two days' update ids take a few dozen statements, whatever their number.
struct RoundBotTimesToTheHour: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.transaction { transaction in
            try await Self.round(BotConversation.self, \.$updatedAt, on: transaction)
            try await Self.round(ProcessedUpdate.self, \.$processedAt, on: transaction)
            try await Self.round(QuestionWatch.self, \.$expiresAt, on: transaction)
        }
    }

    func revert(on database: any Database) async throws {}

    /// Sets every time of `field` to the start of its hour, an hour at a time, oldest first.
    static func round<M: Model>(
        _ model: M.Type, _ field: KeyPath<M, FieldProperty<M, Date>>, on database: any Database
    ) async throws {
        var from: Date?
        while true {
            var next = M.query(on: database).sort(field, .ascending)
            if let from { next = next.filter(field >= from) }
            guard let row = try await next.first() else { return }
            let hour = KazakhstanTime.toTheHour(row[keyPath: field].value ?? Date())
            let end = hour.addingTimeInterval(3600)
            try await M.query(on: database).filter(field > hour).filter(field < end).set(field, to: hour).update()
            from = end
        }
    }
}
