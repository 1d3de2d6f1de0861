import FluentSQLiteDriver
import Vapor

/// Replaces Vapor's error middleware, which logs the URL and user agent of every failing request.
///
/// Answers JSON under `/api/` (or when the client asks for JSON) and an HTML page otherwise.
/// A server error is logged with an error id, the route pattern and the error's type only, and
/// the visitor sees the same id and nothing about the internals.
struct AppErrorMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch {
            return await Self.response(for: error, request: request)
        }
    }

    static func wantsJSON(_ request: Request) -> Bool {
        if request.url.path.hasPrefix("/api/") { return true }
        let accept = request.headers.first(name: .accept) ?? ""
        return accept.contains("application/json") && !accept.contains("text/html")
    }

    static func response(for error: any Error, request: Request) async -> Response {
        let translated = translate(error)
        var errorId: String?
        if request.storage[ReporterRequest.self] == true {
            // A reporter's request writes no line, even failing (SPEC §6); the hourly count
            // keeps the kind of failure, without a time, for whoever runs the server.
            if translated.status.code >= 500 {
                request.application.requestCounts.add(
                    "failed with " + String(reflecting: Swift.type(of: error)), status: translated.status)
            }
        } else if translated.status.code >= 500 {
            let id = String(UInt32.random(in: .min ... .max), radix: 16)
            errorId = id
            request.logger.error(
                "request failed",
                metadata: [
                    "errorId": .string(id),
                    "route": .string(request.route?.description ?? "unmatched"),
                    "errorType": .string(String(reflecting: Swift.type(of: error))),
                ])
        } else {
            request.logger.debug(
                "request rejected",
                metadata: ["status": .stringConvertible(translated.status.code), "code": .string(translated.code)])
        }

        let message = request.text(translated.messageKey)
        let fields = translated.fieldMessages { request.text($0) }
        var headers = HTTPHeaders()
        if let abort = error as? any AbortError { headers = abort.headers }
        headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        if translated.status == .serviceUnavailable { headers.replaceOrAdd(name: .retryAfter, value: "2") }

        if wantsJSON(request) {
            let body = ErrorBody(
                error: .init(
                    code: translated.code, message: message, fields: fields.isEmpty ? nil : fields, errorId: errorId))
            let response = Response(status: translated.status, headers: headers)
            try? response.content.encode(body, as: .json)
            return response
        }

        struct ErrorPage: Encodable {
            var status: UInt
            var message: String
            var fields: MessageList
            var errorId: String?
        }
        let page = ErrorPage(
            status: translated.status.code, message: message,
            fields: MessageList(fields.keys.sorted().compactMap { fields[$0] }),
            errorId: errorId)
        do {
            let view = try await request.view.render("error", PageContext(request, title: message, content: page))
            let response = try await view.encodeResponse(status: translated.status, for: request)
            for (name, value) in headers { response.headers.replaceOrAdd(name: name, value: value) }
            return response
        } catch {
            let response = Response(status: translated.status, headers: headers, body: .init(string: message))
            response.headers.contentType = .plainText
            return response
        }
    }

    /// Maps any error onto an ``AppError`` without exposing internals.
    static func translate(_ error: any Error) -> AppError {
        switch error {
        case let appError as AppError:
            return appError
        case is ConnectionPoolTimeoutError:
            return .overloaded
        case let sqlite as SQLiteError where sqlite.reason == .busy || sqlite.reason == .locked:
            return .overloaded
        case let decoding as DecodingError:
            return AppError.validation(fieldErrors(decoding))
        case let abort as any AbortError:
            switch abort.status {
            case .notFound: return .notFound
            case .unauthorized: return .unauthorized
            case .forbidden: return .forbidden
            case .payloadTooLarge:
                return AppError(status: .payloadTooLarge, code: "payload_too_large", messageKey: "error_too_large")
            case .unprocessableEntity:
                // Vapor's answer to a body it cannot decode at all.
                return AppError(status: .badRequest, code: "bad_request", messageKey: "error_bad_body")
            case .unsupportedMediaType:
                return AppError(
                    status: .unsupportedMediaType, code: "unsupported_media_type", messageKey: "error_bad_body")
            case .methodNotAllowed:
                return AppError(status: .methodNotAllowed, code: "method_not_allowed", messageKey: "error_not_found")
            case let status where status.code < 500:
                return AppError(status: status, code: "bad_request", messageKey: "error_bad_body")
            default:
                return AppError.internalError
            }
        default:
            return AppError.internalError
        }
    }

    /// Names the field a body could not be decoded at, without echoing its value.
    static func fieldErrors(_ error: DecodingError) -> [String: String] {
        func name(_ path: [any CodingKey]) -> String {
            path.first.map { $0.stringValue } ?? "body"
        }
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return [name(context.codingPath): "error_wrong_type"]
        case .keyNotFound(let key, let context):
            return [name(context.codingPath + [key]): "error_required"]
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty
                ? ["body": "error_bad_body"] : [name(context.codingPath): "error_wrong_type"]
        @unknown default:
            return ["body": "error_bad_body"]
        }
    }
}
