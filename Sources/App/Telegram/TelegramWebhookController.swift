import Foundation
import TelegramKit
import Vapor

/// `POST /telegram/webhook`: Telegram delivers updates here when a webhook is set.
///
/// The secret-token header is compared in constant time; a missing one gets 401, a wrong one
/// 403, and nothing is stored or handled. A good update is handed to the bot and answered
/// with 200 at once: Telegram resends updates whose answer is slow.
struct TelegramWebhookController {
    static let secretHeader = "X-Telegram-Bot-Api-Secret-Token"

    @Sendable func receive(req: Request) async throws -> Response {
        guard let bot = req.application.telegramBot else { throw AppError.notFound }
        // Without a configured secret anyone could post updates: the webhook stays closed.
        guard let expected = bot.settings.webhookSecret else { throw AppError.forbidden }
        guard let given = req.headers.first(name: Self.secretHeader) else { throw AppError.unauthorized }
        guard TokenHashing.constantTimeEquals(given, expected) else { throw AppError.forbidden }

        guard let body = req.body.data else {
            throw AppError(status: .badRequest, code: "bad_request", messageKey: "error_bad_body")
        }
        let data = Data(body.readableBytesView)
        if let update = try? JSONDecoder().decode(Update.self, from: data) {
            bot.receive(update)
        } else if (try? JSONDecoder().decode(PolledUpdate.self, from: data)) == nil {
            throw AppError(status: .badRequest, code: "bad_request", messageKey: "error_bad_body")
        }
        // An update with an id but an unreadable payload is acknowledged, or Telegram would
        // resend it for a day and hold back that chat's later updates.
        return Response(status: .ok)
    }
}
