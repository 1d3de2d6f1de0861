import Fluent
import NIOConcurrencyHelpers
import TelegramKit
import Vapor

/// The running bot: receives updates from the webhook or the poller, handles each chat's
/// updates one at a time and in order, each update once, and sends the answers.
final class TelegramBot: Sendable {
    let settings: TelegramSettings
    let api: BotAPI
    let alerts: ModeratorAlerts?
    private let app: Application
    private let queues = ChatQueues()
    /// Update ids seen lately by this process: a quick first filter for redeliveries. The
    /// database table of processed updates is the one that counts across restarts.
    private let recent = NIOLockedValueBox<Set<Int64>>([])

    init(app: Application, settings: TelegramSettings, client: (any TelegramClient)? = nil) {
        self.app = app
        self.settings = settings
        api = BotAPI(
            client: client ?? HTTPTelegramClient(baseURL: settings.apiURL, token: settings.token),
            policy: settings.delivery)
        alerts = settings.moderatorsChat.map { ModeratorAlerts(chat: $0) }
    }

    /// Takes an update and returns at once; the returned task finishes when it was handled.
    @discardableResult
    func receive(_ update: Update) -> Task<Void, Never>? {
        let isNew = recent.withLockedValue { seen in
            if seen.count > 10_000 { seen.removeAll() }
            return seen.insert(update.updateId).inserted
        }
        guard isNew else { return nil }
        let chat: Int64
        switch update.kind {
        case .message(let message): chat = message.chat.id
        case .callbackQuery(let query): chat = query.message?.chat.id ?? query.from.id
        case .myChatMember(let member): chat = member.chat.id
        case .editedMessage, .unsupported:
            // Acknowledged and left alone: edits are not answers, and live locations arrive as edits.
            return nil
        }
        return queues.enqueue(chat) { [self] in await handle(update) }
    }

    /// A report arrived, from any channel: tell the moderators' chat, if there is one.
    func reportArrived() {
        alerts?.reportArrived(bot: self, database: app.db, logger: app.logger, clock: app.wallClock)
    }

    /// A moderator wrote about a report: each chat that asked (``QuestionNotices``) is told, in
    /// its own language, that a message waits — never its words. Sent through the chat's queue,
    /// so it never lands inside a conversation's answer; failures are logged by kind only.
    func questionAsked(reportID: UUID) {
        let app = app
        Task {
            let watchers: [(chat: Int64, language: Language)]
            do {
                watchers = try await QuestionNotices.watchers(of: reportID, app: app, on: app.db)
            } catch {
                return app.logger.telegramFailure("telegram question notice failed", error)
            }
            for (chat, language) in watchers {
                queues.enqueue(chat) { [self] in
                    let text = TelegramText.escapeHTML(
                        app.translations.text("bot_notice_question", language).replacingOccurrences(
                            of: "{menu}", with: app.translations.text("bot_menu_check", language)))
                    do {
                        _ = try await api.sendMessage(SendMessageParameters(chatID: chat, text: text))
                    } catch {
                        app.logger.telegramFailure("telegram question notice failed", error)
                    }
                }
            }
        }
    }

    /// Waits until every received update has been handled (for tests and shutdown).
    func idle() async { await queues.idle() }

    /// Cancels every update still waiting or running: stopping, after its grace period.
    func cancelUnfinished() { queues.cancelAll() }

    // MARK: Handling one update

    private func handle(_ update: Update) async {
        switch update.kind {
        case .message(let message):
            guard message.chat.isPrivate else { return await answerGroup(message) }
            await api.unblock(message.chat.id)
            let input: BotInput
            if let command = message.command {
                input = .command(command)
            } else if let location = message.venue?.location ?? message.location {
                input = .location(
                    latitude: location.latitude, longitude: location.longitude, place: message.venue?.title)
            } else if let text = message.text {
                input = .text(text)
            } else {
                input = .unreadable
            }
            await converse(update.updateId, chat: message.chat.id, input: input, language: message.from?.languageCode)
        case .callbackQuery(let query):
            guard let chat = query.message?.chat, chat.isPrivate, let data = query.data else {
                return await answerCallback(query.id, notice: nil)
            }
            await converse(
                update.updateId, chat: chat.id, input: .button(data, messageID: query.message?.messageId),
                language: query.from.languageCode, callbackID: query.id)
        case .myChatMember(let member):
            guard member.chat.isPrivate else { return }
            if member.isBlock {
                // The person blocked the bot: nothing more is sent, and the conversation goes.
                await api.markBlocked(member.chat.id)
                let key = BotConversation.key(chat: member.chat.id, secrets: app.secrets)
                do {
                    try await BotConversation.query(on: app.db).filter(\.$chatKey == key).delete()
                    try await QuestionNotices.forget(chat: member.chat.id, app: app, on: app.db)
                } catch {
                    log("telegram conversation delete failed", error)
                }
            } else {
                await api.unblock(member.chat.id)
            }
        case .editedMessage, .unsupported:
            return
        }
    }

    /// Runs the conversation for one update inside a transaction that also records the update
    /// as processed, then sends the answers. A redelivered update finds its record and stops.
    private func converse(
        _ updateID: Int64, chat: Int64, input: BotInput, language code: String?, callbackID: String? = nil
    ) async {
        let fallback = code.flatMap { Language(rawValue: String($0.prefix(2)).lowercased()) } ?? .ru
        let key = BotConversation.key(chat: chat, secrets: app.secrets)
        let outcome: BotFlow.Outcome?
        do {
            outcome = try await app.db.transaction { [app] db -> BotFlow.Outcome? in
                if try await ProcessedUpdate.find(updateID, on: db) != nil { return nil }
                let now = Date()
                try await ProcessedUpdate(updateID: updateID, at: now).create(on: db)
                let row = try await BotConversation.query(on: db).filter(\.$chatKey == key).first()
                let stored = row.flatMap { try? JSONDecoder().decode(BotState.self, from: Data($0.state.utf8)) }
                let expired = row.map { now.timeIntervalSince($0.updatedAt) > BotConversation.idleLifetime } ?? false
                let state = expired || stored?.version != BotState.currentVersion ? nil : stored
                var outcome = try await BotFlow(app: app, db: db, chatKey: key, chat: chat).handle(
                    input, state: state, fallback: state?.language ?? fallback)
                if expired, let stored {
                    outcome.replies.insert(
                        .send(TelegramText.escapeHTML(app.translations.text("bot_expired", stored.language)), nil),
                        at: 0)
                }
                if let next = outcome.state {
                    let conversation = row ?? BotConversation()
                    conversation.chatKey = key
                    conversation.state = String(decoding: try JSONEncoder().encode(next), as: UTF8.self)
                    conversation.updatedAt = KazakhstanTime.toTheHour(now)
                    try await conversation.save(on: db)
                } else if let row {
                    try await row.delete(on: db)
                }
                return outcome
            }
        } catch {
            // Another instance handled the same update at the same moment, or the database failed.
            if (try? await ProcessedUpdate.find(updateID, on: app.db)) != nil { return }
            log("telegram update failed", error)
            if let callbackID { await answerCallback(callbackID, notice: nil) }
            await deliver(
                [.send(TelegramText.escapeHTML(app.translations.text("error_internal", fallback)), nil)], to: chat)
            return
        }
        guard let outcome else { return }  // already handled
        // A finished conversation (a report sent or withdrawn, a draft dropped) leaves no copy in the log.
        if outcome.state == nil { try? await StorageHygiene.foldWriteAheadLog(on: app.db) }
        if let callbackID { await answerCallback(callbackID, notice: outcome.notice) }
        await deliver(outcome.replies, to: chat)
        if outcome.reportSubmitted { reportArrived() }
    }

    /// Bots never take reports in groups: one short answer to a command, nothing stored.
    private func answerGroup(_ message: Message) async {
        guard message.command != nil else { return }
        let language = message.from?.languageCode.flatMap { Language(rawValue: String($0.prefix(2))) } ?? .ru
        await deliver(
            [.send(TelegramText.escapeHTML(app.translations.text("bot_group", language)), nil)], to: message.chat.id)
    }

    private func answerCallback(_ id: String, notice: String?) async {
        do {
            try await api.answerCallbackQuery(
                AnswerCallbackQueryParameters(callbackQueryID: id, text: notice.map { String($0.prefix(200)) }))
        } catch {
            // A query older than a few minutes can no longer be answered; nothing is lost.
            log("telegram answer failed", error)
        }
    }

    func deliver(_ replies: [BotReply], to chat: Int64) async {
        for reply in replies {
            do {
                switch reply {
                case .send(let text, let markup):
                    try await api.sendMessage(SendMessageParameters(chatID: chat, text: text, replyMarkup: markup))
                case .dropButtons(let messageID):
                    try await api.editMessageReplyMarkup(
                        EditMessageReplyMarkupParameters(chatID: chat, messageID: messageID, replyMarkup: nil))
                case .replaceButtons(let messageID, let markup):
                    try await api.editMessageReplyMarkup(
                        EditMessageReplyMarkupParameters(chatID: chat, messageID: messageID, replyMarkup: markup))
                }
            } catch let error as TelegramError where error.isBlocked {
                return
            } catch {
                log("telegram send failed", error)
                if case .send = reply { return }
            }
        }
    }

    /// A failure while handling someone's update is counted, never logged: a line would date
    /// their message to the second (SPEC §6). The hourly count line names the failure, the
    /// error's type and the Bot API's answer.
    private func log(_ message: Logger.Message, _ error: any Error) {
        var failure = "\(message): \(String(reflecting: type(of: error)))"
        if case .api(let code, let description, _, _) = error as? TelegramError {
            failure += " \(code) \(description.prefix(120))"
        }
        app.requestCounts.add(failure)
    }
}

extension TelegramBot: LifecycleHandler {
    /// How long stopping waits for updates already acknowledged. With the Bot API unreachable a
    /// single message can take minutes of timeouts and retries; a server told to stop must stop
    /// (SIGTERM is followed by SIGKILL). What is cut short is a reply not sent: each update's
    /// conversation state is committed in one transaction, so none is half-applied.
    static let shutdownGrace: Duration = .seconds(3)

    func shutdownAsync(_ application: Application) async { await stop() }

    /// Waits for the updates under way, at most ``shutdownGrace``, then cancels what is left.
    func stop() async {
        alerts?.cancel()
        let finished = await withTaskGroup(of: Bool.self) { group in
            group.addTask { [self] in
                await idle()
                return true
            }
            group.addTask {
                try? await Task.sleep(for: Self.shutdownGrace)
                return false
            }
            let first = await group.next() ?? true
            // Cancelling the unfinished updates lets the waiting `idle()` return too.
            if !first { queues.cancelAll() }
            group.cancelAll()
            return first
        }
        if !finished {
            app.logger.warning("Stopped with Telegram updates unfinished: the Bot API did not answer in time.")
        }
    }
}

/// Per-chat queues: updates of one chat run one after another, different chats in parallel.
final class ChatQueues: Sendable {
    private struct Queues {
        var counter = 0
        var tails: [Int64: (id: Int, task: Task<Void, Never>)] = [:]
        /// Every task not finished yet, waiting or running, so shutdown can cancel them all.
        var unfinished: [Int: Task<Void, Never>] = [:]
    }
    private let queues = NIOLockedValueBox(Queues())

    @discardableResult
    func enqueue(_ chat: Int64, _ work: @escaping @Sendable () async -> Void) -> Task<Void, Never> {
        queues.withLockedValue { queues in
            let previous = queues.tails[chat]?.task
            queues.counter += 1
            let id = queues.counter
            let task = Task {
                await previous?.value
                // Cancelled while waiting its turn (shutdown): not started at all.
                if !Task.isCancelled { await work() }
                self.finished(chat, id: id)
            }
            queues.tails[chat] = (id, task)
            queues.unfinished[id] = task
            return task
        }
    }

    private func finished(_ chat: Int64, id: Int) {
        queues.withLockedValue { queues in
            if queues.tails[chat]?.id == id { queues.tails[chat] = nil }
            queues.unfinished[id] = nil
        }
    }

    /// Cancels every update still waiting or running (shutdown, after its grace period).
    func cancelAll() {
        for task in queues.withLockedValue({ Array($0.unfinished.values) }) { task.cancel() }
    }

    func idle() async {
        while true {
            let pending = queues.withLockedValue { $0.tails.values.map(\.task) }
            if pending.isEmpty { return }
            for task in pending { await task.value }
        }
    }
}

/// The moderators' chat learns that reports wait, never what they say: one count-only notice,
/// sent on the hour after reports arrived, for all of that hour's reports at once.
///
/// The notice goes at minute :00, second 0 of the next hour, never a fixed delay after a report
/// (SPEC §6): a notice 60 s after each arrival would date that report to the second in the
/// chat's history, which Telegram keeps, while the report itself is stored to the hour.
final class ModeratorAlerts: Sendable {
    let chat: Int64
    /// The notice waiting for its hour, until it starts; then nil, so a later report waits for
    /// the hour after.
    private let waiting = NIOLockedValueBox<Task<Void, Never>?>(nil)
    /// The latest notice, waiting, sent or given up: shutdown cancels it, tests wait for it.
    private let latest = NIOLockedValueBox<Task<Void, Never>?>(nil)

    init(chat: Int64) {
        self.chat = chat
    }

    func reportArrived(bot: TelegramBot, database: any Database, logger: Logger, clock: any WallClock) {
        waiting.withLockedValue { waiting in
            guard waiting == nil else { return }
            let hour = SystemWallClock.nextHour(after: clock.now)
            let task = Task { [self] in
                do { try await clock.sleep(until: hour) } catch { return }
                self.waiting.withLockedValue { $0 = nil }
                await send(bot: bot, database: database, logger: logger)
            }
            waiting = task
            latest.withLockedValue { $0 = task }
        }
    }

    /// Waits until the latest notice was sent or given up (tests).
    func settled() async { await latest.withLockedValue { $0 }?.value }

    /// Drops a notice still waiting for its hour: the server stops.
    func cancel() { latest.withLockedValue { $0 }?.cancel() }

    private func send(bot: TelegramBot, database: any Database, logger: Logger) async {
        do {
            let waiting = try await Report.query(on: database)
                .filter(\.$status == ReportStatus.pending.rawValue).filter(\.$isDemo == false).count()
            guard waiting > 0 else { return }
            try await bot.api.sendMessage(SendMessageParameters(chatID: chat, text: Self.text(waiting: waiting)))
        } catch {
            logger.telegramFailure("telegram moderators notice failed", error)
        }
    }

    /// In the three languages, since the chat is shared: a number and nothing else.
    static func text(waiting: Int) -> String {
        "🔔 Dauys\n"
            + "Тексеруді күтетін хабарламалар: \(waiting)\n"
            + "Сообщений ждут проверки: \(waiting)\n"
            + "Reports waiting for review: \(waiting)"
    }
}

extension Logger {
    /// Logs what failed without anything of the update: no ids, names or texts, and never the
    /// token (which `TelegramError` does not carry).
    func telegramFailure(_ message: Logger.Message, _ error: any Error, extra: Logger.Metadata = [:]) {
        var metadata: Logger.Metadata = ["errorType": .string(String(reflecting: type(of: error)))]
        if case .api(let code, let description, _, _) = error as? TelegramError {
            metadata["code"] = .stringConvertible(code)
            metadata["description"] = .string(String(description.prefix(120)))
        }
        warning(message, metadata: metadata.merging(extra) { $1 })
    }
}

extension Application {
    private struct TelegramBotKey: StorageKey { typealias Value = TelegramBot }

    /// The bot, when `TELEGRAM_BOT_TOKEN` is set.
    var telegramBot: TelegramBot? {
        get { storage[TelegramBotKey.self] }
        set { storage[TelegramBotKey.self] = newValue }
    }
}
