import Foundation

// The parts of the Bot API objects the bot uses. Every id is Int64: Telegram's ids need up to
// 52 bits. Unknown fields are ignored by Codable, so newer Bot API versions decode too.

public struct User: Codable, Sendable, Equatable {
    public var id: Int64
    public var isBot: Bool
    public var firstName: String
    /// Read only to preselect a language; never stored.
    public var languageCode: String?

    enum CodingKeys: String, CodingKey {
        case id, isBot = "is_bot", firstName = "first_name", languageCode = "language_code"
    }
}

public struct Chat: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case `private`, group, supergroup, channel
    }
    public var id: Int64
    public var type: String

    public var kind: Kind? { Kind(rawValue: type) }
    public var isPrivate: Bool { kind == .private }
}

public struct Location: Codable, Sendable, Equatable {
    public var latitude: Double
    public var longitude: Double
    public var horizontalAccuracy: Double?
    /// Set on the first point of a live location.
    public var livePeriod: Int?

    enum CodingKeys: String, CodingKey {
        case latitude, longitude, horizontalAccuracy = "horizontal_accuracy", livePeriod = "live_period"
    }
}

public struct Venue: Codable, Sendable, Equatable {
    public var location: Location
    public var title: String
    public var address: String
}

public struct MessageEntity: Codable, Sendable, Equatable {
    public var type: String
    /// In UTF-16 code units.
    public var offset: Int
    public var length: Int
}

public final class Message: Codable, Sendable {
    public let messageId: Int64
    public let date: Int64
    public let chat: Chat
    public let from: User?
    public let text: String?
    public let entities: [MessageEntity]?
    public let location: Location?
    public let venue: Venue?
    public let replyToMessage: Message?

    enum CodingKeys: String, CodingKey {
        case messageId = "message_id", date, chat, from, text, entities, location, venue
        case replyToMessage = "reply_to_message"
    }

    /// The command at the start of the text, without `/` and without `@botname`: `start`, `cancel`.
    public var command: String? {
        guard let text, let entity = entities?.first(where: { $0.type == "bot_command" && $0.offset == 0 }) else {
            return nil
        }
        let units = Array(text.utf16)
        guard entity.length <= units.count, entity.length > 1 else { return nil }
        let raw = String(decoding: units[1..<entity.length], as: UTF16.self)
        return raw.split(separator: "@").first.map { $0.lowercased() }
    }
}

public struct CallbackQuery: Codable, Sendable {
    public var id: String
    public var from: User
    /// Absent or "inaccessible" for old messages; only the chat and id are read.
    public var message: MessageReference?
    public var data: String?

    public struct MessageReference: Codable, Sendable, Equatable {
        public var messageId: Int64
        public var chat: Chat

        enum CodingKeys: String, CodingKey {
            case messageId = "message_id", chat
        }
    }
}

public struct ChatMember: Codable, Sendable, Equatable {
    /// `creator`, `administrator`, `member`, `restricted`, `left` or `kicked`.
    public var status: String
}

public struct ChatMemberUpdated: Codable, Sendable, Equatable {
    public var chat: Chat
    public var date: Int64
    public var oldChatMember: ChatMember
    public var newChatMember: ChatMember

    enum CodingKeys: String, CodingKey {
        case chat, date, oldChatMember = "old_chat_member", newChatMember = "new_chat_member"
    }

    /// In a private chat this means the user blocked the bot.
    public var isBlock: Bool { newChatMember.status == "kicked" }
}

/// One incoming update. Kinds the bot does not handle decode as `.unsupported` and are still
/// acknowledged, so Telegram does not resend them.
public struct Update: Decodable, Sendable {
    public enum Kind: Sendable {
        case message(Message)
        case editedMessage(Message)
        case callbackQuery(CallbackQuery)
        case myChatMember(ChatMemberUpdated)
        /// The first key of an update the bot does not handle, such as `message_reaction`.
        case unsupported(String?)
    }

    public var updateId: Int64
    public var kind: Kind

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        updateId = try container.decode(Int64.self, forKey: AnyKey(stringValue: "update_id"))
        if let message = try container.decodeIfPresent(Message.self, forKey: AnyKey(stringValue: "message")) {
            kind = .message(message)
        } else if let message = try container.decodeIfPresent(
            Message.self, forKey: AnyKey(stringValue: "edited_message"))
        {
            kind = .editedMessage(message)
        } else if let query = try container.decodeIfPresent(
            CallbackQuery.self, forKey: AnyKey(stringValue: "callback_query"))
        {
            kind = .callbackQuery(query)
        } else if let member = try container.decodeIfPresent(
            ChatMemberUpdated.self, forKey: AnyKey(stringValue: "my_chat_member"))
        {
            kind = .myChatMember(member)
        } else {
            kind = .unsupported(container.allKeys.map(\.stringValue).first { $0 != "update_id" })
        }
    }

    /// The chat the update belongs to, for per-chat ordering and the conversation key.
    public var chat: Chat? {
        switch kind {
        case .message(let message), .editedMessage(let message): message.chat
        case .callbackQuery(let query): query.message?.chat
        case .myChatMember(let member): member.chat
        case .unsupported: nil
        }
    }
}

// MARK: Keyboards

public struct InlineKeyboardButton: Codable, Sendable, Equatable {
    public var text: String
    public var callbackData: String

    public init(text: String, callbackData: String) {
        self.text = text
        self.callbackData = callbackData
    }

    enum CodingKeys: String, CodingKey {
        case text, callbackData = "callback_data"
    }
}

public struct InlineKeyboardMarkup: Codable, Sendable, Equatable {
    public var inlineKeyboard: [[InlineKeyboardButton]]

    public init(_ rows: [[InlineKeyboardButton]]) { inlineKeyboard = rows }

    enum CodingKeys: String, CodingKey {
        case inlineKeyboard = "inline_keyboard"
    }
}
