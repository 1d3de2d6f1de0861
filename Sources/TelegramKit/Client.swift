import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// What the Bot API answered when a call failed.
public enum TelegramError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `{ok:false, error_code, description, parameters{retry_after, migrate_to_chat_id}}`.
    case api(code: Int, description: String, retryAfter: Int?, migrateToChatID: Int64?)
    /// No answer or an unreadable one. The description never contains the URL, which holds the token.
    case transport(String)

    public var description: String {
        switch self {
        case .api(let code, let description, _, _): "Bot API error \(code): \(description)"
        case .transport(let problem): "Bot API unreachable: \(problem)"
        }
    }

    /// The user blocked the bot or deleted the account: leave the chat alone.
    public var isBlocked: Bool {
        if case .api(403, _, _, _) = self { return true }
        return false
    }

    /// Worth trying again later: rate limits and server errors.
    public var isRetryable: Bool {
        switch self {
        case .api(let code, _, _, _): code == 429 || code >= 500
        case .transport: true
        }
    }
}

/// One typed call to the Bot API. The live client and the tests' fakes both conform.
public protocol TelegramClient: Sendable {
    func call<Parameters: Encodable & Sendable, Result: Decodable & Sendable>(
        _ method: String, _ parameters: Parameters, as result: Result.Type
    ) async throws -> Result
}

/// The Bot API over HTTP, at a configurable base URL (a local Bot API server or a test stand-in).
public struct HTTPTelegramClient: TelegramClient {
    let baseURL: String
    let token: String
    let http: HTTPClient
    let timeout: TimeAmount

    public init(baseURL: String, token: String, http: HTTPClient = .shared, timeout: TimeAmount = .seconds(65)) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
        self.http = http
        self.timeout = timeout
    }

    private struct Envelope<Result: Decodable>: Decodable {
        struct Parameters: Decodable {
            var retryAfter: Int?
            var migrateToChatID: Int64?
            enum CodingKeys: String, CodingKey {
                case retryAfter = "retry_after", migrateToChatID = "migrate_to_chat_id"
            }
        }
        var ok: Bool
        var result: Result?
        var errorCode: Int?
        var description: String?
        var parameters: Parameters?

        enum CodingKeys: String, CodingKey {
            case ok, result, errorCode = "error_code", description, parameters
        }
    }

    public func call<Parameters: Encodable & Sendable, Result: Decodable & Sendable>(
        _ method: String, _ parameters: Parameters, as result: Result.Type
    ) async throws -> Result {
        var request = HTTPClientRequest(url: "\(baseURL)/bot\(token)/\(method)")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: Array(try JSONEncoder().encode(parameters))))
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await http.execute(request, timeout: timeout)
            body = try await response.body.collect(upTo: 16 * 1024 * 1024)
        } catch {
            throw TelegramError.transport(String(describing: type(of: error)))
        }
        let envelope: Envelope<Result>
        do {
            envelope = try JSONDecoder().decode(Envelope<Result>.self, from: Data(body.readableBytesView))
        } catch {
            throw TelegramError.transport("unreadable answer with status \(response.status.code)")
        }
        if envelope.ok, let result = envelope.result { return result }
        throw TelegramError.api(
            code: envelope.errorCode ?? Int(response.status.code), description: envelope.description ?? "",
            retryAfter: envelope.parameters?.retryAfter, migrateToChatID: envelope.parameters?.migrateToChatID)
    }
}
