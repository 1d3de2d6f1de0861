import Foundation
import NIOConcurrencyHelpers
import SQLKit
import TelegramKit
import Testing
import Vapor
import VaporTesting

@testable import App

/// The Telegram Bot API, played over real HTTP on 127.0.0.1.
///
/// It records every call, gives sent messages ids, serves `getUpdates` with offset
/// confirmation, checks what Telegram checks (text length, callback data, HTML entities) with
/// Telegram's own error strings, and can be told to fail a method with 429, 403, 409 or 5xx.
final class FakeBotAPI: Sendable {
    static let token = "123456789:TEST-token-abcdefghijklmnop"

    struct Call: Sendable {
        var method: String
        var body: Data
        /// The id the message got, for `sendMessage`.
        var messageID: Int64?
        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
        }
        var text: String? { json["text"] as? String }
        var chatID: Int64? { (json["chat_id"] as? NSNumber)?.int64Value }
        /// `value → button label` of an inline keyboard, in order.
        var buttons: [(data: String, text: String)] {
            guard let markup = json["reply_markup"] as? [String: Any],
                let rows = markup["inline_keyboard"] as? [[[String: Any]]]
            else { return [] }
            return rows.flatMap { $0 }.map { ($0["callback_data"] as? String ?? "", $0["text"] as? String ?? "") }
        }
    }

    enum Fault: Sendable {
        case tooManyRequests(retryAfter: Int)
        case blocked
        case serverError
        case conflict
    }

    private struct State {
        var calls: [Call] = []
        var faults: [String: [Fault]] = [:]
        var updates: [(id: Int64, json: String)] = []
        var nextMessageID: Int64 = 100
        var tapped: [String] = []
        var queuedEver = 0
    }
    private let state = NIOLockedValueBox(State())

    var calls: [Call] { state.withLockedValue { $0.calls } }
    /// The ids of the button taps ``BotChat`` sent, in order.
    var tapped: [String] { state.withLockedValue { $0.tapped } }
    func noteTap(_ callbackID: String) { state.withLockedValue { $0.tapped.append(callbackID) } }
    /// The ids of the taps the bot answered (`answerCallbackQuery`).
    var answeredTaps: [String] { calls("answerCallbackQuery").compactMap { $0.json["callback_query_id"] as? String } }
    func calls(_ method: String) -> [Call] { calls.filter { $0.method == method } }
    var sent: [Call] { calls("sendMessage") }
    /// The texts of every message sent so far.
    var sentTexts: [String] { sent.compactMap(\.text) }

    /// The next `count` calls of `method` fail this way.
    func fail(_ method: String, with fault: Fault, times count: Int = 1) {
        state.withLockedValue { $0.faults[method, default: []] += Array(repeating: fault, count: count) }
    }

    /// Queues an update for `getUpdates`.
    func queue(_ update: String) {
        let id = (try? JSONDecoder().decode(PolledUpdate.self, from: Data(update.utf8)))?.updateID ?? 0
        state.withLockedValue {
            $0.updates.append((id, update))
            $0.queuedEver += 1
        }
    }

    var pendingUpdates: Int { state.withLockedValue { $0.updates.count } }
    /// Every update ever queued for polling.
    var queuedEver: Int { state.withLockedValue { $0.queuedEver } }

    func register(_ app: Application) {
        app.post(":bot", ":method") { [self] req async throws -> Response in
            let method = req.parameters.get("method") ?? ""
            guard req.parameters.get("bot") == "bot" + Self.token else {
                return Self.error(401, "Unauthorized")
            }
            let body = req.body.data.map { Data($0.readableBytesView) } ?? Data()
            let (index, fault) = state.withLockedValue { state -> (Int, Fault?) in
                state.calls.append(Call(method: method, body: body))
                guard var queued = state.faults[method], !queued.isEmpty else { return (state.calls.count - 1, nil) }
                let first = queued.removeFirst()
                state.faults[method] = queued
                return (state.calls.count - 1, first)
            }
            switch fault {
            case .tooManyRequests(let seconds):
                let response = Self.error(
                    429, "Too Many Requests: retry after \(seconds)", parameters: ["retry_after": seconds])
                response.headers.replaceOrAdd(name: "Retry-After", value: String(seconds))
                return response
            case .blocked: return Self.error(403, "Forbidden: bot was blocked by the user")
            case .serverError: return Self.error(502, "Bad Gateway")
            case .conflict:
                return Self.error(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running")
            case nil: break
            }
            let call = Call(method: method, body: body)
            switch method {
            case "sendMessage":
                if let problem = Self.problem(with: call) { return Self.error(400, problem) }
                let id = state.withLockedValue { state -> Int64 in
                    state.nextMessageID += 1
                    state.calls[index].messageID = state.nextMessageID
                    return state.nextMessageID
                }
                return Self.ok(
                    #"{"message_id":\#(id),"date":1767225600,"chat":{"id":\#(call.chatID ?? 0),"type":"private"}}"#)
            case "editMessageText", "editMessageReplyMarkup":
                if let problem = Self.problem(with: call) { return Self.error(400, problem) }
                return Self.ok("true")
            case "answerCallbackQuery":
                if let text = call.json["text"] as? String, text.count > 200 {
                    return Self.error(400, "Bad Request: MESSAGE_TOO_LONG")
                }
                return Self.ok("true")
            case "setMyCommands": return Self.ok("true")
            case "getUpdates":
                let offset = (call.json["offset"] as? NSNumber)?.int64Value
                let timeout = (call.json["timeout"] as? NSNumber)?.doubleValue ?? 0
                let deadline = Date().addingTimeInterval(min(timeout, 2))
                while true {
                    let batch = state.withLockedValue { state -> [String] in
                        // Asking with an offset confirms every update below it.
                        if let offset { state.updates.removeAll { $0.id < offset } }
                        return state.updates.map(\.json)
                    }
                    if !batch.isEmpty || Date() >= deadline {
                        return Self.ok("[" + batch.joined(separator: ",") + "]")
                    }
                    try await Task.sleep(for: .milliseconds(20))
                }
            default:
                return Self.error(404, "Not Found: method not found")
            }
        }
    }

    /// What Telegram would refuse in a message: the checks the real server makes.
    static func problem(with call: Call) -> String? {
        if let text = call.text {
            if text.isEmpty { return "Bad Request: message text is empty" }
            if text.utf16.count > TelegramText.maxMessageLength { return "Bad Request: message is too long" }
            if call.json["parse_mode"] as? String == "HTML", let problem = htmlProblem(text) {
                return "Bad Request: can't parse entities: " + problem
            }
        }
        for (data, label) in call.buttons {
            if !TelegramText.isValidCallbackData(data) { return "Bad Request: BUTTON_DATA_INVALID" }
            if label.isEmpty { return "Bad Request: text buttons are unallowed in the inline keyboard" }
        }
        return nil
    }

    /// Telegram's HTML: only known tags, properly nested; `&` only in the four named entities.
    static func htmlProblem(_ text: String) -> String? {
        var stack: [String] = []
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if character == "<" {
                guard let close = text[index...].firstIndex(of: ">") else { return "unclosed start tag" }
                let tag = String(text[text.index(after: index)..<close])
                if tag.hasPrefix("/") {
                    guard stack.popLast() == String(tag.dropFirst()) else { return "unmatched end tag \(tag)" }
                } else {
                    guard ["b", "i", "code"].contains(tag) else { return "Unsupported start tag \"\(tag)\"" }
                    stack.append(tag)
                }
                index = text.index(after: close)
                continue
            }
            if character == "&" {
                guard ["&lt;", "&gt;", "&amp;", "&quot;"].contains(where: { text[index...].hasPrefix($0) }) else {
                    return "unsupported entity"
                }
            }
            if character == ">" { return "unexpected >" }
            index = text.index(after: index)
        }
        return stack.isEmpty ? nil : "unclosed tag"
    }

    static func ok(_ result: String) -> Response {
        Response(
            status: .ok, headers: ["Content-Type": "application/json"],
            body: .init(string: #"{"ok":true,"result":\#(result)}"#))
    }

    static func error(_ code: Int, _ description: String, parameters: [String: Int]? = nil) -> Response {
        var body: [String: Any] = ["ok": false, "error_code": code, "description": description]
        if let parameters { body["parameters"] = parameters }
        let data = try! JSONSerialization.data(withJSONObject: body)
        return Response(
            status: HTTPResponseStatus(statusCode: code), headers: ["Content-Type": "application/json"],
            body: .init(data: data))
    }
}

/// Real-shaped updates from one person, as Telegram sends them: with the user's name, user name
/// and language, which the bot must never keep.
struct TelegramPerson {
    static let chatID: Int64 = 6_123_456_789
    static let username = "aigerim_test"
    static let firstName = "Айгерим"

    var chat: Int64 = chatID
    var language = "ru"
    private static let nextID = NIOLockedValueBox<Int64>(734_001_200)

    static func newUpdateID() -> Int64 {
        nextID.withLockedValue {
            $0 += 1
            return $0
        }
    }

    private var from: String {
        #"{"id":\#(chat),"is_bot":false,"first_name":"\#(Self.firstName)","username":"\#(Self.username)","language_code":"\#(language)"}"#
    }
    private var privateChat: String {
        #"{"id":\#(chat),"first_name":"\#(Self.firstName)","username":"\#(Self.username)","type":"private"}"#
    }

    func text(_ text: String, id: Int64 = newUpdateID()) -> String {
        let escaped = String(decoding: try! JSONEncoder().encode(text), as: UTF8.self)
        var entities = ""
        if text.hasPrefix("/") {
            let length = text.split(separator: " ").first.map { $0.utf16.count } ?? 0
            entities = #","entities":[{"offset":0,"length":\#(length),"type":"bot_command"}]"#
        }
        return
            #"{"update_id":\#(id),"message":{"message_id":\#(id % 100_000),"from":\#(from),"chat":\#(privateChat),"date":1767225600,"text":\#(escaped)\#(entities)}}"#
    }

    func tap(_ data: String, messageID: Int64, id: Int64 = newUpdateID()) -> String {
        #"{"update_id":\#(id),"callback_query":{"id":"cb\#(id)","from":\#(from),"message":{"message_id":\#(messageID),"from":{"id":7000000001,"is_bot":true,"first_name":"Dauys","username":"DauysBot"},"chat":\#(privateChat),"date":1767225830,"text":"?"},"chat_instance":"-3018474652210938811","data":"\#(data)"}}"#
    }

    func location(latitude: Double, longitude: Double, id: Int64 = newUpdateID()) -> String {
        #"{"update_id":\#(id),"message":{"message_id":\#(id % 100_000),"from":\#(from),"chat":\#(privateChat),"date":1767225790,"location":{"latitude":\#(latitude),"longitude":\#(longitude),"horizontal_accuracy":14.2}}}"#
    }

    func venue(latitude: Double, longitude: Double, title: String, id: Int64 = newUpdateID()) -> String {
        #"{"update_id":\#(id),"message":{"message_id":\#(id % 100_000),"from":\#(from),"chat":\#(privateChat),"date":1767225801,"location":{"latitude":\#(latitude),"longitude":\#(longitude)},"venue":{"location":{"latitude":\#(latitude),"longitude":\#(longitude)},"title":"\#(title)","address":"ул. Достык, 9"}}}"#
    }

    func photo(id: Int64 = newUpdateID()) -> String {
        #"{"update_id":\#(id),"message":{"message_id":\#(id % 100_000),"from":\#(from),"chat":\#(privateChat),"date":1767225801,"photo":[{"file_id":"AgAD","file_unique_id":"AQAD","width":90,"height":90}]}}"#
    }

    func blocksTheBot(id: Int64 = newUpdateID()) -> String {
        #"{"update_id":\#(id),"my_chat_member":{"chat":\#(privateChat),"from":\#(from),"date":1767227000,"old_chat_member":{"status":"member","user":{"id":7000000001,"is_bot":true,"first_name":"Dauys"}},"new_chat_member":{"status":"kicked","user":{"id":7000000001,"is_bot":true,"first_name":"Dauys"},"until_date":0}}}"#
    }

    static func groupCommand(id: Int64 = newUpdateID()) -> String {
        #"{"update_id":\#(id),"message":{"message_id":1042,"from":{"id":5987654321,"is_bot":false,"first_name":"Dana","last_name":"K.","language_code":"en"},"chat":{"id":-1001987654321,"title":"Almaty Volunteers","type":"supergroup"},"date":1767226000,"text":"/report@DauysBot","entities":[{"offset":0,"length":16,"type":"bot_command"}]}}"#
    }

    static func reaction(id: Int64 = newUpdateID()) -> String {
        #"{"update_id":\#(id),"message_reaction":{"chat":{"id":6123456789,"type":"private"},"message_id":9,"user":{"id":6123456789,"is_bot":false,"first_name":"Айгерим"},"date":1767227100,"old_reaction":[],"new_reaction":[{"type":"emoji","emoji":"👍"}]}}"#
    }
}

/// One person talking to the bot through the webhook, in the tests' words: say, send, tap.
struct BotChat {
    enum Transport { case webhook, polling }

    let app: Application
    let api: FakeBotAPI
    var person = TelegramPerson()
    /// With `.polling`, updates are queued at the stand-in for a running ``TelegramPoller``.
    var transport = Transport.webhook

    func say(_ text: String) async throws {
        try await send(person.text(text))
    }

    func send(_ update: String) async throws {
        switch transport {
        case .webhook:
            let response = try await app.deliver(update)
            #expect(response.status == .ok)
        case .polling:
            api.queue(update)
            // The update leaves the queue when the poller confirms it, after handling it.
            // The deadline is generous because the whole suite runs in parallel on two cores:
            // CI once saw a confirmation take longer than five seconds.
            let deadline = ContinuousClock.now + .seconds(60)
            while api.pendingUpdates > 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(api.pendingUpdates == 0, "the poller did not confirm the update")
        }
    }

    /// Taps the newest button whose value (the last part of its data) is `value`.
    func tap(_ value: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let found = api.sent.reversed().lazy.compactMap { call -> (String, Int64)? in
            guard call.chatID == person.chat, let id = call.messageID,
                let button = call.buttons.first(where: { $0.data == value || $0.data.hasSuffix(":" + value) })
            else { return nil }
            return (button.data, id)
        }.first
        let (data, messageID) = try #require(found, "no button \(value)", sourceLocation: sourceLocation)
        let id = TelegramPerson.newUpdateID()
        api.noteTap("cb\(id)")
        try await send(person.tap(data, messageID: messageID, id: id))
    }

    /// The text of the newest message sent to this person.
    var lastText: String { api.sent.last { $0.chatID == person.chat }?.text ?? "" }

    /// Every text sent to this person, newest last.
    var texts: [String] { api.sent.filter { $0.chatID == person.chat }.compactMap(\.text) }
}

extension TelegramSettings {
    /// Settings for a test bot talking to a stand-in; every wait is short.
    static func forTests(apiURL: String, moderatorsChat: Int64? = nil) -> TelegramSettings {
        var settings = TelegramSettings(token: FakeBotAPI.token)
        settings.apiURL = apiURL
        settings.webhookSecret = "test-webhook-secret-0123456789"
        settings.moderatorsChat = moderatorsChat
        settings.delivery.perChatInterval = .milliseconds(1)
        settings.delivery.globalInterval = .milliseconds(1)
        settings.delivery.firstBackoff = .milliseconds(10)
        settings.pollTimeout = 1
        settings.pollBackoff = .milliseconds(20)
        return settings
    }
}

/// Runs `test` with an application whose bot talks to a fresh ``FakeBotAPI``.
func withBot(
    moderatorsChat: Int64? = nil, logs: LogCapture? = nil, _ adjust: @escaping (inout AppConfig) -> Void = { _ in },
    _ test: (Application, FakeBotAPI) async throws -> Void
) async throws {
    let api = FakeBotAPI()
    try await withStandIn(api.register) { server in
        try await withApp(
            { config in
                config.telegram = .forTests(apiURL: server.baseURL, moderatorsChat: moderatorsChat)
                adjust(&config)
            }, logs: logs
        ) { app in
            try await test(app, api)
        }
    }
}

extension Application {
    var bot: TelegramBot {
        get throws { try #require(telegramBot) }
    }

    /// Delivers an update to the webhook as Telegram does, and waits until it was handled.
    @discardableResult
    func deliver(
        _ update: String, secret: String? = "test-webhook-secret-0123456789"
    ) async throws
        -> TestingHTTPResponse
    {
        var headers: HTTPHeaders = ["Content-Type": "application/json"]
        if let secret { headers.add(name: TelegramWebhookController.secretHeader, value: secret) }
        let response = try await testing().sendRequest(
            .POST, "/telegram/webhook", headers: headers, body: ByteBuffer(string: update))
        try await bot.idle()
        return response
    }

    /// Every value in every table, as text: for checking what is never stored.
    func databaseText() async throws -> String {
        let sql = try #require(db as? any SQLDatabase)
        let tables: [String]
        if testsUsePostgres {
            tables = try await sql.raw(
                "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()"
            ).all().map { try $0.decode(column: "name", as: String.self) }
        } else {
            tables = try await sql.raw("SELECT name FROM sqlite_master WHERE type = 'table'").all()
                .map { try $0.decode(column: "name", as: String.self) }
        }
        var text: [String] = []
        for table in tables {
            for row in try await sql.raw("SELECT * FROM \(ident: table)").all() {
                for column in row.allColumns {
                    if let value = try? row.decode(column: column, as: String.self) {
                        text.append(value)
                    } else if let value = try? row.decode(column: column, as: Int64.self) {
                        text.append(String(value))
                    } else if let value = try? row.decode(column: column, as: Double.self) {
                        text.append(String(value))
                    }
                }
            }
        }
        return text.joined(separator: "\n")
    }
}
