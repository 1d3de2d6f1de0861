import Foundation
import TelegramKit
import Vapor

/// Long polling: asks Telegram for updates, hands each to the bot, waits until they are
/// handled, then confirms them by asking with a higher offset. Backs off on errors, and on
/// 409, which means another poller or a webhook is active.
struct TelegramPoller {
    let bot: TelegramBot
    let logger: Logger

    func run() async {
        var offset: Int64?
        var failures = 0
        while !Task.isCancelled {
            do {
                let batch = try await bot.api.getUpdates(
                    GetUpdatesParameters(offset: offset, timeout: bot.settings.pollTimeout))
                failures = 0
                let handled = batch.compactMap { $0.update.flatMap(bot.receive) }
                for task in handled { await task.value }
                if let last = batch.map(\.updateID).max() { offset = last + 1 }
            } catch {
                if Task.isCancelled { break }
                failures += 1
                var hint: Logger.Metadata = [:]
                if case .api(409, _, _, _) = error as? TelegramError {
                    hint["hint"] = "another poller or a webhook is active (deleteWebhook to poll)"
                }
                logger.telegramFailure("telegram poll failed", error, extra: hint)
                let wait = min(bot.settings.pollBackoff * (1 << min(failures - 1, 10)), .seconds(60))
                do { try await Task.sleep(for: wait) } catch { break }
            }
        }
    }
}

/// `dauys telegram poll`: runs the bot by long polling until stopped with Ctrl-C or SIGTERM.
struct TelegramCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "action", help: "poll (run the bot by long polling)")
        var action: String
    }

    var help: String { "Runs the Telegram bot by long polling (webhook mode needs no command)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        guard signature.action == "poll" else {
            throw CommandFailure("unknown action \(signature.action); use poll")
        }
        let app = context.application
        guard let bot = app.telegramBot else {
            throw CommandFailure("set TELEGRAM_BOT_TOKEN to the token from @BotFather first")
        }
        Retention.schedule(app)
        let poller = Task { await TelegramPoller(bot: bot, logger: app.logger).run() }
        let signals = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler { poller.cancel() }
            source.resume()
            return source
        }
        context.console.print("Dauys Telegram bot is polling. Press Ctrl-C to stop.")
        await poller.value
        await bot.idle()
        signals.forEach { $0.cancel() }
    }
}
