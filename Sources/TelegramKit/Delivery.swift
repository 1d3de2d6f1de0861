/// How politely the bot talks to the Bot API: Telegram's flood limits are about one message a
/// second per chat (short bursts are tolerated) and about thirty a second in all.
public struct DeliveryPolicy: Sendable, Equatable {
    public var perChatInterval: Duration = .seconds(1)
    /// Messages a chat may get at once before pacing starts.
    public var perChatBurst = 3
    public var globalInterval: Duration = .milliseconds(34)
    public var globalBurst = 30
    /// Tries after the first one, for rate limits and server errors.
    public var retries = 4
    /// The wait before the first retry of a server error; it doubles each time.
    public var firstBackoff: Duration = .milliseconds(500)
    /// A longer `retry_after` than this is not waited for: the call fails instead.
    public var longestWait: Duration = .seconds(60)

    public init() {}
}

/// Paces calls per chat and overall, and remembers chats that blocked the bot.
///
/// Pacing uses the generic cell rate algorithm: each chat has a theoretical next-send time that
/// moves one interval per message; a message may go early by up to `burst - 1` intervals.
actor Pacer {
    private var nextPerChat: [Int64: ContinuousClock.Instant] = [:]
    private var nextGlobal = ContinuousClock.now
    private var blocked: Set<Int64> = []
    private let policy: DeliveryPolicy

    init(policy: DeliveryPolicy) { self.policy = policy }

    /// Reserves a slot and returns when it starts.
    func reserve(chat: Int64?) -> ContinuousClock.Instant {
        let now = ContinuousClock.now
        var start = slot(&nextGlobal, now: now, interval: policy.globalInterval, burst: policy.globalBurst)
        if let chat {
            var next = nextPerChat[chat] ?? now
            start = max(start, slot(&next, now: now, interval: policy.perChatInterval, burst: policy.perChatBurst))
            nextPerChat[chat] = next
            if nextPerChat.count > 10_000 { nextPerChat = nextPerChat.filter { $0.value > now } }
        }
        return start
    }

    private func slot(
        _ next: inout ContinuousClock.Instant, now: ContinuousClock.Instant, interval: Duration, burst: Int
    ) -> ContinuousClock.Instant {
        let tolerance = interval * (max(burst, 1) - 1)
        let theoretical = max(next, now)
        let start = max(now, theoretical - tolerance)
        next = max(theoretical, start) + interval
        return start
    }

    /// After a 429 nothing more goes to that chat until the wait is over, not even a burst.
    func hold(chat: Int64?, for wait: Duration) {
        let tolerance = policy.perChatInterval * (max(policy.perChatBurst, 1) - 1)
        let until = ContinuousClock.now + wait + tolerance
        if let chat { nextPerChat[chat] = max(nextPerChat[chat] ?? until, until) }
    }

    func isBlocked(_ chat: Int64) -> Bool { blocked.contains(chat) }
    func markBlocked(_ chat: Int64) { blocked.insert(chat) }
    func unblock(_ chat: Int64) { blocked.remove(chat) }
}

/// The Bot API methods the bot uses, with the delivery discipline of the reference notes:
/// per-chat and global pacing, `retry_after` honoured on 429, server errors retried with
/// backoff, blocked chats left alone, long texts split, "not modified" edits taken as done.
public final class BotAPI: Sendable {
    public let client: any TelegramClient
    public let policy: DeliveryPolicy
    private let pacer: Pacer

    public init(client: any TelegramClient, policy: DeliveryPolicy = DeliveryPolicy()) {
        self.client = client
        self.policy = policy
        pacer = Pacer(policy: policy)
    }

    /// A chat that blocked the bot gets nothing until it writes again.
    public func isBlocked(_ chat: Int64) async -> Bool { await pacer.isBlocked(chat) }
    public func markBlocked(_ chat: Int64) async { await pacer.markBlocked(chat) }
    public func unblock(_ chat: Int64) async { await pacer.unblock(chat) }

    /// Runs one call under the discipline. `chat` is nil for calls that are not messages to a chat.
    public func perform<Result: Sendable>(
        chat: Int64?, _ call: @Sendable () async throws -> Result
    ) async throws -> Result {
        if let chat, await pacer.isBlocked(chat) {
            throw TelegramError.api(
                code: 403, description: "Forbidden: bot was blocked by the user", retryAfter: nil,
                migrateToChatID: nil)
        }
        var attempt = 0
        while true {
            let start = await pacer.reserve(chat: chat)
            if start > .now { try await Task.sleep(until: start, clock: .continuous) }
            do {
                return try await call()
            } catch let error as TelegramError {
                if error.isBlocked, let chat { await pacer.markBlocked(chat) }
                guard error.isRetryable, attempt < policy.retries else { throw error }
                attempt += 1
                var wait = policy.firstBackoff * (1 << (attempt - 1))
                if case .api(429, _, let retryAfter, _) = error {
                    wait = .seconds(max(retryAfter ?? 1, 1))
                    guard wait <= policy.longestWait else { throw error }
                    await pacer.hold(chat: chat, for: wait)
                }
                try await Task.sleep(for: wait)
            }
        }
    }

    /// Sends a text, split into several messages when it is longer than Telegram allows; the
    /// keyboard goes with the last part. Returns the ids of the messages sent.
    @discardableResult
    public func sendMessage(_ parameters: SendMessageParameters) async throws -> [Int64] {
        let parts = TelegramText.split(parameters.text, html: parameters.parseMode == "HTML")
        var ids: [Int64] = []
        for (index, part) in parts.enumerated() {
            var message = parameters
            message.text = part
            if index < parts.count - 1 { message.replyMarkup = nil }
            let sent = try await perform(chat: parameters.chatID) { [client, message] in
                try await client.call("sendMessage", message, as: SentMessage.self)
            }
            ids.append(sent.messageID)
        }
        return ids
    }

    /// Replaces a message's text; an edit that changes nothing counts as done.
    public func editMessageText(_ parameters: EditMessageTextParameters) async throws {
        do {
            _ = try await perform(chat: parameters.chatID) { [client] in
                try await client.call("editMessageText", parameters, as: Ignored.self)
            }
        } catch let error as TelegramError where error.isNotModified {
            return
        }
    }

    /// Replaces or removes a message's buttons; an edit that changes nothing counts as done.
    public func editMessageReplyMarkup(_ parameters: EditMessageReplyMarkupParameters) async throws {
        do {
            _ = try await perform(chat: parameters.chatID) { [client] in
                try await client.call("editMessageReplyMarkup", parameters, as: Ignored.self)
            }
        } catch let error as TelegramError where error.isNotModified {
            return
        }
    }

    /// Stops the spinner on a tapped button, optionally with a short notice.
    public func answerCallbackQuery(_ parameters: AnswerCallbackQueryParameters) async throws {
        _ = try await perform(chat: nil) { [client] in
            try await client.call("answerCallbackQuery", parameters, as: Ignored.self)
        }
    }

    /// One long poll. Not paced and not retried here: the polling loop owns its backoff.
    public func getUpdates(_ parameters: GetUpdatesParameters) async throws -> [PolledUpdate] {
        try await client.call("getUpdates", parameters, as: [PolledUpdate].self)
    }

    public func setMyCommands(_ parameters: SetMyCommandsParameters) async throws {
        _ = try await perform(chat: nil) { [client] in
            try await client.call("setMyCommands", parameters, as: Ignored.self)
        }
    }
}

extension TelegramError {
    /// An edit that would leave the message as it is: harmless, for example after a double tap.
    public var isNotModified: Bool {
        if case .api(400, let description, _, _) = self { return description.contains("message is not modified") }
        return false
    }
}

/// One element of a getUpdates answer. An update that cannot be read still has its id, so the
/// poller can confirm it and move on instead of fetching the same batch for ever.
public struct PolledUpdate: Decodable, Sendable {
    public var updateID: Int64
    public var update: Update?

    private enum Keys: String, CodingKey { case updateID = "update_id" }

    public init(from decoder: any Decoder) throws {
        updateID = try decoder.container(keyedBy: Keys.self).decode(Int64.self, forKey: .updateID)
        update = try? Update(from: decoder)
    }
}
