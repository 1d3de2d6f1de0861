import Foundation
import Synchronization
import Testing

@testable import TelegramKit

/// The delivery discipline, against an in-process fake of the Bot API client.
@Suite struct DeliveryTests {
    /// Answers each call with the next scripted error, then with success; records every call.
    final class FakeClient: TelegramClient {
        private let script: Mutex<[TelegramError]>
        private let log = Mutex<[(method: String, text: String?)]>([])

        init(failing errors: [TelegramError] = []) { script = Mutex(errors) }

        var calls: [(method: String, text: String?)] { log.withLock { $0 } }

        func call<Parameters: Encodable & Sendable, Result: Decodable & Sendable>(
            _ method: String, _ parameters: Parameters, as result: Result.Type
        ) async throws -> Result {
            let text = (parameters as? SendMessageParameters)?.text
            log.withLock { $0.append((method, text)) }
            if let error = script.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { throw error }
            let answer = method == "sendMessage" ? #"{"message_id":\#(calls.count)}"# : "true"
            return try JSONDecoder().decode(Result.self, from: Data(answer.utf8))
        }
    }

    static var quick: DeliveryPolicy {
        var policy = DeliveryPolicy()
        policy.perChatInterval = .milliseconds(1)
        policy.globalInterval = .milliseconds(1)
        policy.firstBackoff = .milliseconds(1)
        return policy
    }

    static func apiError(_ code: Int, _ description: String, retryAfter: Int? = nil) -> TelegramError {
        .api(code: code, description: description, retryAfter: retryAfter, migrateToChatID: nil)
    }

    @Test func rateLimitsAndServerErrorsAreRetriedUntilTheyPass() async throws {
        let client = FakeClient(failing: [
            Self.apiError(429, "Too Many Requests: retry after 1", retryAfter: 1), Self.apiError(502, "Bad Gateway"),
            .transport("connection reset"),
        ])
        let api = BotAPI(client: client, policy: Self.quick)
        let ids = try await api.sendMessage(SendMessageParameters(chatID: 1, text: "Сәлем"))
        #expect(ids == [4])
        #expect(client.calls.count == 4)
    }

    @Test func retriesStopAtTheLimitAndTooLongWaitsAreNotWaitedFor() async throws {
        var policy = Self.quick
        policy.retries = 2
        let failing = FakeClient(failing: Array(repeating: Self.apiError(500, "Internal Server Error"), count: 5))
        await #expect(throws: TelegramError.self) {
            try await BotAPI(client: failing, policy: policy).sendMessage(SendMessageParameters(chatID: 1, text: "x"))
        }
        #expect(failing.calls.count == 3)

        let slow = FakeClient(failing: [Self.apiError(429, "Too Many Requests: retry after 3600", retryAfter: 3600)])
        await #expect(throws: TelegramError.self) {
            try await BotAPI(client: slow, policy: policy).sendMessage(SendMessageParameters(chatID: 1, text: "x"))
        }
        #expect(slow.calls.count == 1)
    }

    @Test func aBlockedChatIsLeftAloneUntilItWritesAgain() async throws {
        let client = FakeClient(failing: [Self.apiError(403, "Forbidden: bot was blocked by the user")])
        let api = BotAPI(client: client, policy: Self.quick)
        await #expect(throws: TelegramError.self) {
            try await api.sendMessage(SendMessageParameters(chatID: 7, text: "x"))
        }
        #expect(await api.isBlocked(7))
        await #expect(throws: TelegramError.self) {
            try await api.sendMessage(SendMessageParameters(chatID: 7, text: "y"))
        }
        #expect(client.calls.count == 1)
        try await api.sendMessage(SendMessageParameters(chatID: 8, text: "another chat"))
        await api.unblock(7)
        try await api.sendMessage(SendMessageParameters(chatID: 7, text: "z"))
        #expect(client.calls.count == 3)
    }

    @Test func anEditThatChangesNothingCountsAsDone() async throws {
        let client = FakeClient(failing: [
            Self.apiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply markup are exactly the same"
            )
        ])
        let api = BotAPI(client: client, policy: Self.quick)
        try await api.editMessageReplyMarkup(
            EditMessageReplyMarkupParameters(chatID: 1, messageID: 2, replyMarkup: nil))
        let other = FakeClient(failing: [Self.apiError(400, "Bad Request: chat not found")])
        await #expect(throws: TelegramError.self) {
            try await BotAPI(client: other, policy: Self.quick).editMessageText(
                EditMessageTextParameters(chatID: 1, messageID: 2, text: "x"))
        }
    }

    @Test func longTextsGoInSeveralMessagesWithTheButtonsOnTheLast() async throws {
        let client = FakeClient()
        let api = BotAPI(client: client, policy: Self.quick)
        let text = String(repeating: "Қауіпсіздік & <құпиялылық> ", count: 400)
        let keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(text: "OK", callbackData: "s:1:ok")]])
        let ids = try await api.sendMessage(
            SendMessageParameters(chatID: 1, text: TelegramText.escapeHTML(text), replyMarkup: .inline(keyboard)))
        #expect(ids.count == client.calls.count && ids.count > 2)
        #expect(client.calls.allSatisfy { ($0.text?.utf16.count ?? 0) <= 4096 })
        let rejoined = client.calls.map { $0.text ?? "" }.joined(separator: " ")
        #expect(
            rejoined.trimmingCharacters(in: .whitespaces)
                == TelegramText.escapeHTML(text).trimmingCharacters(in: .whitespaces))
    }

    /// Pacing is computed, not timed: each chat may send a burst, then one message per interval.
    @Test func eachChatIsPacedAfterAShortBurst() async {
        var policy = DeliveryPolicy()
        policy.perChatInterval = .seconds(1)
        policy.perChatBurst = 3
        policy.globalInterval = .milliseconds(1)
        let pacer = Pacer(policy: policy)
        var slots: [ContinuousClock.Instant] = []
        for _ in 0..<5 { slots.append(await pacer.reserve(chat: 1)) }
        #expect(slots[2] - slots[0] < .milliseconds(500))
        #expect(slots[3] - slots[0] >= .milliseconds(900))
        #expect(slots[4] - slots[3] >= .milliseconds(999))
        // Another chat is not held back by the first one.
        let other = await pacer.reserve(chat: 2)
        #expect(other - slots[0] < .milliseconds(500))
        // After a 429 the chat waits the whole retry_after.
        await pacer.hold(chat: 2, for: .seconds(7))
        #expect(await pacer.reserve(chat: 2) - other >= .seconds(6))
    }

    @Test func htmlIsNeverCutInsideAnEntityOrATag() {
        let text = "<b>" + String(repeating: "&amp;&lt;", count: 30) + "</b>" + String(repeating: "&gt;", count: 40)
        for limit in 5...40 {
            for part in TelegramText.split(text, limit: limit, html: true) {
                #expect(part.utf16.count <= limit)
                let opened = part.lastIndex(of: "&").map { part[$0...].contains(";") } ?? true
                #expect(opened, "cut inside an entity at \(limit): \(part)")
                let tagClosed = part.lastIndex(of: "<").map { part[$0...].contains(">") } ?? true
                #expect(tagClosed, "cut inside a tag at \(limit): \(part)")
            }
        }
    }
}
