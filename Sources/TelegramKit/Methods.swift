// Parameters and results of the Bot API methods the bot calls. Keys are the Bot API's own
// snake_case names; optional values that are nil are left out, as the Bot API expects.

/// What a sent message may carry under it: buttons, a reply keyboard, or an order to remove one.
public enum ReplyMarkup: Encodable, Sendable, Equatable {
    case inline(InlineKeyboardMarkup)
    case keyboard(ReplyKeyboardMarkup)
    case removeKeyboard

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .inline(let markup): try markup.encode(to: encoder)
        case .keyboard(let markup): try markup.encode(to: encoder)
        case .removeKeyboard:
            var container = encoder.container(keyedBy: RemoveKey.self)
            try container.encode(true, forKey: .removeKeyboard)
        }
    }

    private enum RemoveKey: String, CodingKey { case removeKeyboard = "remove_keyboard" }
}

/// A keyboard that replaces the phone's keyboard; the only way to ask for a location pin.
public struct ReplyKeyboardMarkup: Codable, Sendable, Equatable {
    public var keyboard: [[KeyboardButton]]
    public var resizeKeyboard: Bool = true
    public var oneTimeKeyboard: Bool = true
    public var inputFieldPlaceholder: String?

    public init(_ keyboard: [[KeyboardButton]], placeholder: String? = nil) {
        self.keyboard = keyboard
        inputFieldPlaceholder = placeholder
    }

    enum CodingKeys: String, CodingKey {
        case keyboard, resizeKeyboard = "resize_keyboard", oneTimeKeyboard = "one_time_keyboard"
        case inputFieldPlaceholder = "input_field_placeholder"
    }
}

public struct KeyboardButton: Codable, Sendable, Equatable {
    public var text: String
    /// The client sends the phone's location as an ordinary `message.location` (private chats only).
    public var requestLocation: Bool?

    public init(text: String, requestLocation: Bool? = nil) {
        self.text = text
        self.requestLocation = requestLocation
    }

    enum CodingKeys: String, CodingKey {
        case text, requestLocation = "request_location"
    }
}

public struct LinkPreviewOptions: Codable, Sendable, Equatable {
    public var isDisabled = true
    enum CodingKeys: String, CodingKey { case isDisabled = "is_disabled" }
}

public struct SendMessageParameters: Encodable, Sendable, Equatable {
    public var chatID: Int64
    public var text: String
    public var parseMode: String? = "HTML"
    public var replyMarkup: ReplyMarkup?
    /// Forwarding and saving are switched off: someone else may hold the phone later.
    public var protectContent = true
    /// No sound and no lock-screen alert, for the same reason.
    public var disableNotification = true
    public var linkPreviewOptions = LinkPreviewOptions()

    public init(chatID: Int64, text: String, replyMarkup: ReplyMarkup? = nil) {
        self.chatID = chatID
        self.text = text
        self.replyMarkup = replyMarkup
    }

    enum CodingKeys: String, CodingKey {
        case chatID = "chat_id", text, parseMode = "parse_mode", replyMarkup = "reply_markup"
        case protectContent = "protect_content", disableNotification = "disable_notification"
        case linkPreviewOptions = "link_preview_options"
    }
}

public struct EditMessageTextParameters: Encodable, Sendable, Equatable {
    public var chatID: Int64
    public var messageID: Int64
    public var text: String
    public var parseMode = "HTML"
    /// Only inline keyboards can be edited; nil removes the buttons.
    public var replyMarkup: InlineKeyboardMarkup?
    public var linkPreviewOptions = LinkPreviewOptions()

    public init(chatID: Int64, messageID: Int64, text: String, replyMarkup: InlineKeyboardMarkup? = nil) {
        self.chatID = chatID
        self.messageID = messageID
        self.text = text
        self.replyMarkup = replyMarkup
    }

    enum CodingKeys: String, CodingKey {
        case chatID = "chat_id", messageID = "message_id", text, parseMode = "parse_mode"
        case replyMarkup = "reply_markup", linkPreviewOptions = "link_preview_options"
    }
}

public struct EditMessageReplyMarkupParameters: Encodable, Sendable, Equatable {
    public var chatID: Int64
    public var messageID: Int64
    public var replyMarkup: InlineKeyboardMarkup?

    public init(chatID: Int64, messageID: Int64, replyMarkup: InlineKeyboardMarkup?) {
        self.chatID = chatID
        self.messageID = messageID
        self.replyMarkup = replyMarkup
    }

    enum CodingKeys: String, CodingKey {
        case chatID = "chat_id", messageID = "message_id", replyMarkup = "reply_markup"
    }
}

public struct AnswerCallbackQueryParameters: Encodable, Sendable, Equatable {
    public var callbackQueryID: String
    /// Up to 200 characters, shown as a short notice at the top of the chat.
    public var text: String?

    public init(callbackQueryID: String, text: String? = nil) {
        self.callbackQueryID = callbackQueryID
        self.text = text
    }

    enum CodingKeys: String, CodingKey {
        case callbackQueryID = "callback_query_id", text
    }
}

public struct GetUpdatesParameters: Encodable, Sendable, Equatable {
    public var offset: Int64?
    public var limit = 100
    /// Seconds to wait for an update; the server caps it at 50.
    public var timeout: Int
    public var allowedUpdates: [String]

    public init(offset: Int64?, timeout: Int, allowedUpdates: [String] = Update.handledKinds) {
        self.offset = offset
        self.timeout = timeout
        self.allowedUpdates = allowedUpdates
    }

    enum CodingKeys: String, CodingKey {
        case offset, limit, timeout, allowedUpdates = "allowed_updates"
    }
}

public struct BotCommand: Codable, Sendable, Equatable {
    public var command: String
    public var description: String

    public init(command: String, description: String) {
        self.command = command
        self.description = description
    }
}

public struct SetMyCommandsParameters: Encodable, Sendable, Equatable {
    public var commands: [BotCommand]
    public var languageCode: String?

    public init(commands: [BotCommand], languageCode: String?) {
        self.commands = commands
        self.languageCode = languageCode
    }

    enum CodingKeys: String, CodingKey { case commands, languageCode = "language_code" }
}

/// A method without parameters, such as `getMe`.
public struct NoParameters: Encodable, Sendable, Equatable {
    public init() {}
}

/// The part of a sent message the bot needs back: its id, to edit it later.
public struct SentMessage: Decodable, Sendable, Equatable {
    public var messageID: Int64
    enum CodingKeys: String, CodingKey { case messageID = "message_id" }
}

/// A result the bot ignores: `true`, a message, anything.
public struct Ignored: Decodable, Sendable {
    public init(from decoder: any Decoder) throws {}
}

extension Update {
    /// The update kinds the bot asks Telegram for.
    public static let handledKinds = ["message", "edited_message", "callback_query", "my_chat_member"]
}
