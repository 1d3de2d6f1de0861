import Vapor

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
        RequestCounts.schedule(app)
        let poller = Task { await TelegramPoller(bot: bot, logger: app.logger).run() }
        let signals = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler {
                poller.cancel()
                // The poller waits for the batch under way; a Bot API that does not answer must
                // not keep the process alive.
                Task {
                    try? await Task.sleep(for: TelegramBot.shutdownGrace)
                    bot.cancelUnfinished()
                }
            }
            source.resume()
            return source
        }
        context.console.print("Dauys Telegram bot is polling. Press Ctrl-C to stop.")
        await poller.value
        await bot.stop()
        signals.forEach { $0.cancel() }
    }
}
