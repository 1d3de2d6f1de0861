import Fluent
import Foundation
import TelegramKit
import Vapor

/// Checking a report by its receipt code, answering the moderators and withdrawing it (SPEC §3):
/// the reporter sees what the website's check page shows (``ReceiptView`` with its thread), may
/// write to the moderators, and may delete the report.
extension BotTurn {
    mutating func answerCheck() async throws {
        switch state.step {
        case .checkCode:
            guard try await admitted("bot-receipt", rule: app.config.rateLimits.receipt) else {
                return try await retry("error_rate_limited")
            }
            guard ReceiptCode.normalize(typed ?? "") != nil else { return try await retry("error_receipt_format") }
            guard let report = try await ReportService.find(receipt: typed ?? "", app: app, on: db) else {
                return try await retry("error_receipt_not_found")
            }
            state.reportID = try report.requireID()
            state.history.append(state.step)
            state.step = .checkShown
            state.turn += 1
            let receipt = try await ReceiptView.withThread(report, app: app, on: db)
            outcome.replies.append(
                .send(
                    BotFormat.status(receipt, language: language, translations: app.translations),
                    .inline(flow.checkButtons(state.turn, language))))
        case .checkShown:
            switch value {
            case "delete": try await advance(.withdrawConfirm)
            case "answer": try await advance(.checkAnswer)
            case "notify": try await advance(.notifyConfirm)
            default: try await retry("bot_use_buttons")
            }
        case .checkAnswer:
            guard try await admitted("bot-receipt", rule: app.config.rateLimits.receipt) else {
                return try await retry("error_rate_limited")
            }
            guard let id = state.reportID, let report = try await Report.find(id, on: db) else {
                outcome.state = nil
                outcome.replies.append(.send(esc(text("error_receipt_not_found", language)), nil))
                return outcome.replies.append(menu(language))
            }
            do {
                try await FollowUp.answer(report, text: typed, app: app, on: db)
            } catch let error as AppError where error.status == .badRequest {
                return try await retry(error.fields["text"] ?? "error_message_length")
            }
            outcome.state = nil
            outcome.replies.append(.send(esc(text("thread_sent", language)), nil))
            outcome.replies.append(menu(language))
        case .notifyConfirm:
            if let messageID { outcome.replies.append(.dropButtons(messageID: messageID)) }
            if value == "yes", let chat = flow.chat, let id = state.reportID,
                let report = try await Report.find(id, on: db)
            {
                try await QuestionNotices.optIn(report: report, chat: chat, language: language, app: app, on: db)
                outcome.replies.append(.send(esc(text("bot_notify_on", language)), nil))
            } else {
                outcome.replies.append(.send(esc(text("bot_notify_off", language)), nil))
            }
            outcome.state = nil
            outcome.replies.append(menu(language))
        case .withdrawConfirm:
            if let messageID { outcome.replies.append(.dropButtons(messageID: messageID)) }
            if value == "yes", let id = state.reportID {
                guard try await admitted("bot-receipt", rule: app.config.rateLimits.receipt) else {
                    return try await retry("error_rate_limited")
                }
                if let report = try await Report.find(id, on: db) { try await ReportService.withdraw(report, on: db) }
                outcome.replies.append(.send(esc(text("check_deleted", language)), nil))
            } else {
                outcome.replies.append(.send(esc(text("bot_kept", language)), nil))
            }
            outcome.state = nil
            outcome.replies.append(menu(language))
        default: try await retry("bot_use_buttons")
        }
    }
}

extension BotFlow {
    /// Under a report's status: write to the moderators, delete it, or go back to the menu.
    func checkButtons(_ turn: Int, _ language: Language) -> InlineKeyboardMarkup {
        InlineKeyboardMarkup([
            [
                InlineKeyboardButton(
                    text: text("bot_check_answer", language), callbackData: ButtonData.answer(turn, "answer"))
            ],
            [
                InlineKeyboardButton(
                    text: text("bot_check_notify", language), callbackData: ButtonData.answer(turn, "notify"))
            ],
            [
                InlineKeyboardButton(
                    text: text("bot_check_delete", language), callbackData: ButtonData.answer(turn, "delete"))
            ],
            [menuButton("menu", "bot_main_menu", language)],
        ])
    }

    func checkPrompt(_ state: BotState) async throws -> BotReply {
        let q = BotQuestion(flow: self, state: state)
        let (language, turn) = (state.language, state.turn)
        switch state.step {
        case .checkCode:
            return .send(esc(text("check_lead", language)) + "\n" + esc(text("check_code_hint", language)), nil)
        case .checkShown:
            return .send(esc(text("bot_use_buttons", language)), .inline(checkButtons(turn, language)))
        case .checkAnswer:
            return .send(
                esc(text("thread_answer_label", language)) + "\n" + esc(text("thread_answer_hint", language)), nil)
        case .notifyConfirm:
            return q.ask(
                "bot_notify_explain",
                q.options([("yes", text("bot_notify_yes", language)), ("no", text("bot_notify_no", language))]))
        case .withdrawConfirm:
            return q.ask(
                "check_delete_explain",
                q.options([("yes", text("check_delete_confirm", language)), ("no", text("bot_keep", language))]))
        default: return menu(language)
        }
    }
}
