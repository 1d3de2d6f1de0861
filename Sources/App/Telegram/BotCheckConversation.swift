import Fluent
import Foundation
import TelegramKit
import Vapor

/// Checking a report by its receipt code, and withdrawing it (SPEC §3): the reporter sees what
/// the website's check page shows (``ReceiptView``) and may delete the report.
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
            outcome.replies.append(
                .send(
                    BotFormat.status(ReceiptView(report), language: language, translations: app.translations),
                    .inline(
                        InlineKeyboardMarkup([
                            [
                                InlineKeyboardButton(
                                    text: text("bot_check_delete", language),
                                    callbackData: ButtonData.answer(state.turn, "delete"))
                            ],
                            [menuButton("menu", "bot_main_menu", language)],
                        ]))))
        case .checkShown:
            guard value == "delete" else { return try await retry("bot_use_buttons") }
            try await advance(.withdrawConfirm)
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
    func checkPrompt(_ state: BotState) async throws -> BotReply {
        let q = BotQuestion(flow: self, state: state)
        let (language, turn) = (state.language, state.turn)
        switch state.step {
        case .checkCode:
            return .send(esc(text("check_lead", language)) + "\n" + esc(text("check_code_hint", language)), nil)
        case .checkShown:
            return .send(
                esc(text("bot_use_buttons", language)),
                .inline(
                    InlineKeyboardMarkup([
                        [
                            InlineKeyboardButton(
                                text: text("bot_check_delete", language),
                                callbackData: ButtonData.answer(turn, "delete"))
                        ], [menuButton("menu", "bot_main_menu", language)],
                    ])))
        case .withdrawConfirm:
            return q.ask(
                "check_delete_explain",
                q.options([("yes", text("check_delete_confirm", language)), ("no", text("bot_keep", language))]))
        default: return menu(language)
        }
    }
}
