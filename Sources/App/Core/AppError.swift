import Vapor

/// The one error type of the application.
///
/// `messageKey` and the values of `fields` are translation keys: the error middleware turns
/// them into text in the visitor's language (SPEC rule 4).
struct AppError: AbortError, Sendable {
    var status: HTTPResponseStatus
    /// A stable machine-readable code for API clients, such as `validation_failed`.
    var code: String
    var messageKey: String
    /// Field name (as in the API) → translation key of what is wrong with it.
    var fields: [String: String] = [:]
    /// Extra response headers, such as `Retry-After`.
    var headers: HTTPHeaders = [:]
    /// Field name → translation keys put in place of `{found}` in that field's message, so a
    /// message can name what it found ("still holds a phone number, an e-mail address").
    var fieldArguments: [String: [String]] = [:]

    var reason: String { code }

    static func validation(_ fields: [String: String]) -> AppError {
        AppError(status: .badRequest, code: "validation_failed", messageKey: "error_validation", fields: fields)
    }

    static func badRequest(field: String, key: String) -> AppError {
        AppError(status: .badRequest, code: "invalid_parameter", messageKey: "error_validation", fields: [field: key])
    }

    /// The field messages in one language, with their `{found}` filled in.
    func fieldMessages(_ text: (String) -> String) -> [String: String] {
        var messages: [String: String] = [:]
        for (field, key) in fields {
            var message = text(key)
            if let arguments = fieldArguments[field] {
                message = message.replacingOccurrences(
                    of: "{found}", with: arguments.map(text).joined(separator: ", "))
            }
            messages[field] = message
        }
        return messages
    }

    static let notFound = AppError(status: .notFound, code: "not_found", messageKey: "error_not_found")
    static let receiptNotFound = AppError(
        status: .notFound, code: "receipt_not_found", messageKey: "error_receipt_not_found")
    static let unauthorized = AppError(status: .unauthorized, code: "unauthorized", messageKey: "error_unauthorized")
    static let forbidden = AppError(status: .forbidden, code: "forbidden", messageKey: "error_forbidden")
    static let conflict = AppError(status: .conflict, code: "conflict", messageKey: "error_conflict")
    static let internalError = AppError(
        status: .internalServerError, code: "internal_error", messageKey: "error_internal")
    /// More requests than the server takes at once, or no database connection free in time:
    /// "try again in a moment", never a 500.
    static let overloaded = AppError(status: .serviceUnavailable, code: "overloaded", messageKey: "error_busy")
}

/// The JSON error shape of SPEC §3: `{ "error": { "code", "message", "fields" } }`.
struct ErrorBody: Content {
    struct Detail: Content {
        var code: String
        var message: String
        var fields: [String: String]?
        var errorId: String?
    }
    var error: Detail
}
