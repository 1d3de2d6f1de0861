import Fluent
import Vapor

/// A conversation with the bot, between its first question and its last answer.
///
/// It is keyed by a keyed hash of the chat id — never the id itself, a user name or a name —
/// holds the answers given so far, and is deleted when the conversation ends, is cancelled,
/// the user blocks the bot, or nothing happened for 24 hours.
final class BotConversation: Model, @unchecked Sendable {
    static let schema = "bot_conversations"
    static let idleLifetime: TimeInterval = 24 * 3600

    @ID(key: .id) var id: UUID?
    /// HMAC-SHA256 of the chat id under a key derived from the server secret, in hex.
    @Field(key: "chat_key") var chatKey: String
    /// ``BotState`` as JSON.
    @Field(key: "state") var state: String
    /// Set on every update, including ones that change nothing, since it measures idleness.
    @Field(key: "updated_at") var updatedAt: Date

    init() {}

    static func key(chat: Int64, secrets: Secrets) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(String(chat).utf8), using: secrets.telegramChatKey)
            .hexString
    }
}

/// The id of every update already handled, so a redelivered update is not handled twice.
/// Only the number and the time are kept, for two days.
final class ProcessedUpdate: Model, @unchecked Sendable {
    static let schema = "bot_processed_updates"
    static let lifetime: TimeInterval = 48 * 3600

    @ID(custom: "update_id", generatedBy: .user) var id: Int64?
    @Field(key: "processed_at") var processedAt: Date

    init() {}

    init(updateID: Int64, at date: Date) {
        id = updateID
        processedAt = date
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
