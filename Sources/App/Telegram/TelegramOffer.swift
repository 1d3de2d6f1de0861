import Vapor

/// "Report in Telegram" on the website (issue #15): when `TELEGRAM_BOT_USERNAME` is set, the
/// home page, the receipt and the help pages link to the bot and show its QR code, drawn here.
struct TelegramOffer {
    /// The QR code of the bot's t.me link, for a computer's screen to be read by a phone.
    @Sendable func qrCode(req: Request) async throws -> Response {
        guard let link = req.config.telegramBotLink else { throw AppError.notFound }
        guard let svg = QRCode.svg(link, label: req.text("telegram_qr_alt")) else { throw AppError.internalError }
        var headers: HTTPHeaders = ["Content-Type": "image/svg+xml"]
        headers.cacheControl = .init(isPublic: true, maxAge: 86_400)
        return Response(status: .ok, headers: headers, body: .init(string: svg))
    }
}
