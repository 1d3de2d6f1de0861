import TelegramKit
import Testing
import Vapor

/// The Bot API client against a stand-in Bot API on 127.0.0.1 that answers with the real
/// envelopes and error shapes.
@Suite struct TelegramClientTests {
    struct SendMessage: Encodable, Sendable {
        var chat_id: Int64
        var text: String
    }
    struct Sent: Decodable, Sendable {
        var message_id: Int64
    }

    static func botAPI(_ app: Application) {
        app.post(":botToken", ":method") { req -> Response in
            let method = req.parameters.get("method") ?? ""
            let body: String
            let status: HTTPStatus
            switch method {
            case "sendMessage":
                (status, body) = (
                    .ok,
                    #"{"ok":true,"result":{"message_id":42,"date":1767225600,"chat":{"id":6123456789,"type":"private"}}}"#
                )
            case "slow":
                (status, body) = (
                    .tooManyRequests,
                    #"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}"#
                )
            case "blocked":
                (status, body) = (
                    .forbidden, #"{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}"#
                )
            case "migrated":
                (status, body) = (
                    .badRequest,
                    #"{"ok":false,"error_code":400,"description":"Bad Request: group chat was upgraded to a supergroup chat","parameters":{"migrate_to_chat_id":-1001987654321}}"#
                )
            default:
                (status, body) = (.badGateway, "<html>bad gateway</html>")
            }
            return Response(status: status, headers: ["Content-Type": "application/json"], body: .init(string: body))
        }
    }

    @Test func callsReturnTypedResultsAndTypedErrors() async throws {
        try await withStandIn(Self.botAPI) { api in
            let client = HTTPTelegramClient(baseURL: api.baseURL, token: "123456:SECRET-TOKEN")
            let sent = try await client.call(
                "sendMessage", SendMessage(chat_id: 6_123_456_789, text: "Сәлем"), as: Sent.self)
            #expect(sent.message_id == 42)
            #expect(api.requests.first?.path == "/bot123456:SECRET-TOKEN/sendMessage")

            await #expect(
                throws: TelegramError.api(
                    code: 429, description: "Too Many Requests: retry after 7", retryAfter: 7, migrateToChatID: nil)
            ) {
                _ = try await client.call("slow", SendMessage(chat_id: 1, text: "x"), as: Sent.self)
            }
            do {
                _ = try await client.call("blocked", SendMessage(chat_id: 1, text: "x"), as: Sent.self)
                Issue.record("should fail")
            } catch let error as TelegramError {
                #expect(error.isBlocked && !error.isRetryable)
            }
            await #expect(
                throws: TelegramError.api(
                    code: 400, description: "Bad Request: group chat was upgraded to a supergroup chat",
                    retryAfter: nil, migrateToChatID: -1_001_987_654_321)
            ) {
                _ = try await client.call("migrated", SendMessage(chat_id: 1, text: "x"), as: Sent.self)
            }
            // A server error page is a retryable transport problem, and no error ever shows the token.
            do {
                _ = try await client.call("broken", SendMessage(chat_id: 1, text: "x"), as: Sent.self)
                Issue.record("should fail")
            } catch let error as TelegramError {
                #expect(error.isRetryable)
                #expect(!error.description.contains("SECRET-TOKEN"))
            }
        }
    }
}
