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
