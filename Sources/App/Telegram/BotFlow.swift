import Fluent
import Foundation
import TelegramKit
import Vapor

/// The bot's conversations (SPEC §3): the menu, the report, checking and withdrawing a report,
/// the help directory, the guides and the self-check, in Kazakh, Russian and English.
///
/// One call handles one update of one private chat: it reads and returns the conversation
/// state and lists the messages to send. It runs inside the database transaction that also
/// records the update as processed, so its effects happen once.
struct BotFlow {
    let app: Application
    let db: any Database
    /// The keyed hash of the chat: the only thing abuse limits know the chat by.
    let chatKey: String
    var today = KazakhstanTime.today()

    struct Outcome {
        /// The conversation after this update; nil deletes it.
        var state: BotState?
        var replies: [BotReply] = []
        /// The short notice on a tapped button.
        var notice: String?
        /// A report was stored: the moderators' chat gets a notice.
        var reportSubmitted = false
    }

    /// - Parameters:
    ///   - state: the stored conversation, or nil.
    ///   - fallback: the language to use without a conversation (from the user's app settings, not stored).
    func handle(_ input: BotInput, state: BotState?, fallback: Language) async throws -> Outcome {
        switch input {
        case .command(let command):
            return try await handleCommand(command, state: state, fallback: fallback)
        case .button(let data, let messageID):
            return try await handleButton(data, messageID: messageID, state: state, fallback: fallback)
        case .text, .location, .unreadable:
            guard var state else {
                return Outcome(
                    state: nil, replies: [.send(esc(text("bot_not_understood", fallback)), nil), menu(fallback)])
            }
            var outcome = Outcome(state: state)
            try await answer(input, value: nil, state: &state, outcome: &outcome)
            if outcome.state != nil { outcome.state = state }
            return outcome
        }
    }

    // MARK: Commands and buttons

    /// Commands that do what a menu entry does: command → menu action.
    static let menuCommands = [
        "report": "report", "hotlines": "help", "help_lines": "help", "guides": "guides", "selfcheck": "self",
        "check": "check", "about": "about", "language": "lang", "menu": "menu",
    ]

    private func handleCommand(_ command: String, state: BotState?, fallback: Language) async throws -> Outcome {
        let language = state?.language ?? fallback
        if let action = Self.menuCommands[command] {
            return try await menuAction(action, argument: nil, state: state, language: language)
        }
        switch command {
        case "start":
            var replies: [BotReply] = []
            if let state, state.step.isReport {
                replies.append(.send(esc(text("bot_discarded", language)), .removeKeyboard))
            }
            replies.append(.send(esc(text("bot_welcome", language)), .inline(languagePicker(selected: language))))
            return Outcome(state: nil, replies: replies)
        case "cancel":
            let key = state == nil ? "bot_nothing_to_cancel" : "bot_cancelled"
            return Outcome(state: nil, replies: [.send(esc(text(key, language)), .removeKeyboard), menu(language)])
        case "help":
            var replies: [BotReply] = [.send(esc(text("bot_help", language)), nil)]
            if let state { replies.append(try await prompt(state)) } else { replies.append(menu(language)) }
            return Outcome(state: state, replies: replies)
        case "back":
            guard var state else {
                return Outcome(
                    state: nil, replies: [.send(esc(text("bot_nothing_to_cancel", language)), nil), menu(language)])
            }
            guard let previous = state.history.popLast() else {
                return Outcome(
                    state: state,
                    replies: [.send(esc(text("bot_no_earlier_step", language)), nil), try await prompt(state)])
            }
            state.step = previous
            state.turn += 1
            if previous == .selfCheck {
                state.selfCheckIndex = max(0, state.selfCheckIndex - 1)
                let question = SelfCheck.conditions + SelfCheck.behaviours
                state.selfCheckYes.removeAll { $0 == question[state.selfCheckIndex] }
            }
            if previous == .summary || previous == .editMenu { state.editing = false }
            return Outcome(state: state, replies: [try await prompt(state)])
        default:
            var replies: [BotReply] = [.send(esc(text("bot_not_understood", language)), nil)]
            if let state { replies.append(try await prompt(state)) } else { replies.append(menu(language)) }
            return Outcome(state: state, replies: replies)
        }
    }

    private func handleButton(
        _ data: String, messageID: Int64?, state: BotState?, fallback: Language
    ) async throws
        -> Outcome
    {
        switch ButtonData.parse(data) {
        case .menu(let language, let action, let argument):
            var outcome = try await menuAction(action, argument: argument, state: state, language: language)
            if let messageID, ["report", "self", "check"].contains(action) {
                outcome.replies.insert(.dropButtons(messageID: messageID), at: 0)
            }
            return outcome
        case .answer(let turn, let value):
            guard var state, state.turn == turn else {
                return stale(state: state, messageID: messageID, language: state?.language ?? fallback)
            }
            var outcome = Outcome(state: state)
            try await answer(.button(data, messageID: messageID), value: value, state: &state, outcome: &outcome)
            if outcome.state != nil { outcome.state = state }
            return outcome
        case .unknown:
            return stale(state: state, messageID: messageID, language: state?.language ?? fallback)
        }
    }

    /// A button of an earlier question: a polite word, and its buttons go away.
    private func stale(state: BotState?, messageID: Int64?, language: Language) -> Outcome {
        var outcome = Outcome(state: state, notice: text("bot_stale_button", language))
        if let messageID { outcome.replies.append(.dropButtons(messageID: messageID)) }
        if state == nil { outcome.replies.append(menu(language)) }
        return outcome
    }

    /// Menu entries work at any time. Starting a report, a check or the self-check begins a
    /// conversation; the others answer and leave any conversation as it was.
    private func menuAction(
        _ action: String, argument: String?, state: BotState?, language: Language
    ) async throws
        -> Outcome
    {
        switch action {
        case "report", "self", "check":
            if let state, state.step.isReport {
                return Outcome(
                    state: state,
                    replies: [.send(esc(text("bot_report_in_progress", state.language)), nil), try await prompt(state)])
            }
            let first: BotStep = action == "report" ? .role : action == "self" ? .selfCheck : .checkCode
            let fresh = BotState(language: language, step: first)
            let intro = action == "report" ? "bot_report_intro" : action == "self" ? "bot_selfcheck_intro" : nil
            var replies: [BotReply] = []
            if let intro { replies.append(.send(esc(text(intro, language)), nil)) }
            replies.append(try await prompt(fresh))
            return Outcome(state: fresh, replies: replies)
        case "help":
            if let argument {
                return Outcome(state: state, replies: try await helpDirectory(city: argument, language: language))
            }
            return Outcome(
                state: state,
                replies: [
                    .send(
                        bold(text("help_heading", language)) + "\n\n" + esc(text("help_lead", language)),
                        .inline(
                            try await cityPicker(language) { ButtonData.menu(language, "help", $0) }))
                ])
        case "guides":
            if let argument, let guide = try await GuideLibrary.find(argument, on: db) {
                return Outcome(
                    state: state,
                    replies: [
                        .send(
                            BotFormat.guide(guide, language: language),
                            .inline(
                                InlineKeyboardMarkup([
                                    [
                                        menuButton("guides", "bot_all_guides", language),
                                        menuButton("menu", "bot_main_menu", language),
                                    ]
                                ])))
                    ])
            }
            return Outcome(state: state, replies: [try await guideList(language)])
        case "about":
            let about = [
                text("bot_about", language), text("footer_privacy", language), text("footer_emergency", language),
            ]
            .map(esc).joined(separator: "\n\n")
            return Outcome(state: state, replies: [.send(about, nil), menu(language)])
        case "lang":
            return Outcome(
                state: state,
                replies: [
                    .send(esc(text("bot_choose_language", language)), .inline(languagePicker(selected: language)))
                ])
        default:  // "menu", and the language buttons, which are menu buttons in that language
            var kept = state
            kept?.language = language
            return Outcome(state: kept, replies: [menu(language)])
        }
    }

    // MARK: Answers

    /// Applies an answer to the current question. `value` is the button's value, nil for typed input.
    private func answer(_ input: BotInput, value: String?, state: inout BotState, outcome: inout Outcome) async throws {
        let language = state.language
        var messageID: Int64?
        if case .button(_, let id) = input { messageID = id }
        let typed: String? = if case .text(let text) = input { text } else { nil }

        /// Drops the answered question's buttons and asks the next one.
        func advance(_ next: BotStep? = nil, acknowledge: String? = nil) async throws {
            if let messageID { outcome.replies.append(.dropButtons(messageID: messageID)) }
            if let acknowledge { outcome.replies.append(.send(acknowledge, .removeKeyboard)) }
            let target = next ?? nextStep(after: state.step, draft: state.draft)
            state.history.append(state.step)
            if state.editing && !isFollowUp(target, of: state.step) {
                state.step = .summary
                state.editing = false
            } else {
                state.step = target
            }
            state.turn += 1
            outcome.replies.append(try await prompt(state))
        }
        func retry(_ key: String) async throws {
            outcome.replies.append(.send(esc(text(key, language)), nil))
            outcome.replies.append(try await prompt(state))
        }
        func choice<E: RawRepresentable>(_ type: E.Type) -> E? where E.RawValue == String {
            value.flatMap(E.init(rawValue:))
        }

        // Typed text where a button is expected, and the other way round.
        if state.step.takesText {
            if let value, value != "skip" { return try await retry("bot_write_text") }
            if case .unreadable = input {
                return try await retry(state.step == .description ? "bot_no_files" : "bot_write_text")
            }
            if case .location = input { return try await retry("bot_write_text") }
        } else if state.step != .location, value == nil {
            return try await retry("bot_use_buttons")
        }

        switch state.step {
        case .role:
            guard let role = choice(ReporterRole.self) else { return try await retry("error_choice") }
            state.draft.role = role.rawValue
            try await advance()
        case .date:
            switch value {
            case "today": state.draft.date = today
            case "yesterday":
                state.draft.date = KazakhstanTime.dayString(
                    Date().addingTimeInterval(-24 * 3600))
            case "pick": return try await advance(.datePick)
            default: return try await retry("error_choice")
            }
            try await advance(.timeBand)
        case .datePick:
            guard let day = BotFormat.parseDay(typed ?? "") else { return try await retry("bot_error_date") }
            if day > today { return try await retry("error_date_future") }
            if day < "2000-01-01" { return try await retry("error_date_too_old") }
            state.draft.date = day
            try await advance()
        case .timeBand:
            if value == "skip" {
                state.draft.timeBand = nil
            } else {
                guard let band = choice(TimeBand.self) else { return try await retry("error_choice") }
                state.draft.timeBand = band.rawValue
            }
            try await advance()
        case .location:
            if case .location(let latitude, let longitude, let place) = input {
                guard KazakhstanBounds.contains(latitude: latitude, longitude: longitude) else {
                    return try await retry("bot_location_outside")
                }
                let cities = try await allCities(on: db)
                guard let city = BotFormat.nearest(cities, latitude: latitude, longitude: longitude) else {
                    return try await retry("error_choice")
                }
                state.draft.latitude = latitude
                state.draft.longitude = longitude
                state.draft.city = city.id
                // A venue's name is the landmark when it passes the same rule as a typed one.
                state.draft.landmark =
                    (try? ReportRules.landmark(place.map { String($0.prefix(ReportRules.landmarkLength)) }).get())
                    ?? nil
                let noted = text("bot_location_noted", language).replacingOccurrences(
                    of: "{city}", with: city.name(language))
                return try await advance(.placeType, acknowledge: esc(noted))
            }
            guard let typed, typed.trimmingCharacters(in: .whitespaces) == text("bot_choose_city", language) else {
                return try await retry("bot_location_how")
            }
            try await advance(.city, acknowledge: esc(text("bot_city_list_below", language)))
        case .city:
            guard let value, let city = try await City.find(value, on: db) else {
                return try await retry("error_choice")
            }
            state.draft.city = city.id
            state.draft.latitude = nil
            state.draft.longitude = nil
            try await advance(.landmark)
        case .landmark:
            if value == "skip" {
                state.draft.landmark = nil
            } else {
                let checked = ReportRules.landmark(typed)
                guard case .success(let landmark?) = checked else {
                    return try await retry(checked.problem ?? "error_landmark")
                }
                state.draft.landmark = landmark
            }
            try await advance(.placeType)
        case .placeType:
            guard let place = choice(PlaceType.self) else { return try await retry("error_choice") }
            state.draft.placeType = place.rawValue
            try await advance()
        case .kinds:
            if value == "done" {
                guard state.draft.kinds?.isEmpty == false else {
                    outcome.notice = text("error_kinds_required", language)
                    return
                }
                return try await advance()
            }
            guard let kind = choice(HarassmentKind.self) else { return try await retry("error_choice") }
            var kinds = state.draft.kinds ?? []
            if let index = kinds.firstIndex(of: kind.rawValue) {
                kinds.remove(at: index)
            } else {
                kinds.append(kind.rawValue)
            }
            state.draft.kinds = kinds
            if let messageID { outcome.replies.append(.replaceButtons(messageID: messageID, kindsKeyboard(state))) }
        case .perpetrator:
            guard let perpetrator = choice(Perpetrator.self) else { return try await retry("error_choice") }
            state.draft.perpetrator = perpetrator.rawValue
            if perpetrator == .stranger { state.draft.perpetratorRelation = nil }
            try await advance()
        case .relation:
            guard let relation = choice(PerpetratorRelation.self) else { return try await retry("error_choice") }
            state.draft.perpetratorRelation = relation.rawValue
            try await advance()
        case .count:
            guard let count = choice(PerpetratorCount.self) else { return try await retry("error_choice") }
            state.draft.perpetratorCount = count.rawValue
            try await advance()
        case .prevented:
            guard value == "yes" || value == "no" else { return try await retry("error_choice") }
            state.draft.prevented = value == "yes"
            if value == "no" { state.draft.preventedBy = nil }
            try await advance()
        case .preventedBy:
            guard let by = choice(PreventedBy.self) else { return try await retry("error_choice") }
            state.draft.preventedBy = by.rawValue
            try await advance()
        case .description:
            let checked = ReportRules.description(typed)
            guard case .success(let description) = checked else {
                return try await retry(checked.problem ?? "error_description_length")
            }
            state.draft.description = description
            try await advance()
        case .ageBand:
            if value == "skip" {
                state.draft.ageBand = nil
            } else {
                guard let age = choice(AgeBand.self) else { return try await retry("error_choice") }
                state.draft.ageBand = age.rawValue
            }
            try await advance()
        case .gender:
            if value == "skip" {
                state.draft.gender = nil
            } else {
                guard let gender = choice(Gender.self) else { return try await retry("error_choice") }
                state.draft.gender = gender.rawValue
            }
            try await advance()
        case .contact:
            if value == "skip" {
                state.contactSealed = nil
            } else {
                let checked = ReportRules.contact(typed)
                guard case .success(let contact?) = checked else {
                    return try await retry(checked.problem ?? "error_contact")
                }
                state.contactSealed = try ContactSealing.seal(contact, key: app.secrets.contactKey)
            }
            try await advance()
        case .consent:
            guard value == "yes" || value == "no" else { return try await retry("error_choice") }
            state.draft.publishConsent = value == "yes"
            try await advance(.summary)
        case .summary:
            switch value {
            case "send": try await submit(state: &state, messageID: messageID, outcome: &outcome)
            case "edit": try await advance(.editMenu)
            case "cancel":
                outcome.state = nil
                if let messageID { outcome.replies.append(.dropButtons(messageID: messageID)) }
                outcome.replies += [.send(esc(text("bot_cancelled", language)), nil), menu(language)]
            default: try await retry("error_choice")
            }
        case .editMenu:
            guard let value, let step = BotStep(rawValue: value), Self.editable.contains(step) else {
                return try await retry("error_choice")
            }
            state.editing = step != .summary
            try await advance(step)
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
        case .selfCheck:
            guard value == "yes" || value == "no" else { return try await retry("error_choice") }
            let questions = SelfCheck.conditions + SelfCheck.behaviours
            if value == "yes" { state.selfCheckYes.append(questions[state.selfCheckIndex]) }
            state.selfCheckIndex += 1
            if state.selfCheckIndex < questions.count {
                return try await advance(.selfCheck)
            }
            if let messageID { outcome.replies.append(.dropButtons(messageID: messageID)) }
            outcome.replies.append(try await selfCheckResult(Set(state.selfCheckYes), language: language))
            outcome.state = nil
        }
    }

    /// Answers that may be changed from the summary, in the order of the questions.
    static let editable: [BotStep] = [
        .role, .date, .timeBand, .location, .placeType, .kinds, .perpetrator, .count, .prevented, .description,
        .ageBand, .gender, .contact, .consent,
    ]

    /// The question after `step` in a report.
    private func nextStep(after step: BotStep, draft: ReportInput) -> BotStep {
        switch step {
        case .role: .date
        case .date, .datePick: .timeBand
        case .timeBand: .location
        case .location, .city: .landmark
        case .landmark: .placeType
        case .placeType: .kinds
        case .kinds: .perpetrator
        case .perpetrator: draft.perpetrator == Perpetrator.known.rawValue ? .relation : .count
        case .relation: .count
        case .count: .prevented
        case .prevented: draft.prevented == true ? .preventedBy : .description
        case .preventedBy: .description
        case .description: .ageBand
        case .ageBand: .gender
        case .gender: .contact
        case .contact: .consent
        default: .summary
        }
    }

    /// Questions that belong to the one just answered, and are asked even when changing one answer.
    private func isFollowUp(_ next: BotStep, of step: BotStep) -> Bool {
        switch (step, next) {
        case (.date, .datePick), (.location, .city), (.city, .landmark), (.perpetrator, .relation),
            (.prevented, .preventedBy), (.editMenu, _):
            true
        default: false
        }
    }

    /// The report is checked by the same rules as the website's, stored, and its receipt shown.
    private func submit(state: inout BotState, messageID: Int64?, outcome: inout Outcome) async throws {
        let language = state.language
        guard try await admitted("bot-report", rule: app.config.rateLimits.report) else {
            outcome.replies.append(.send(esc(text("error_rate_limited", language)), nil))
            return
        }
        let cities = try await allCities(on: db)
        let lookup = Dictionary(uniqueKeysWithValues: cities.compactMap { city in city.id.map { ($0, city) } })
        var input = state.draft
        input.contact = state.contactSealed.flatMap { ContactSealing.open($0, key: app.secrets.contactKey) }
        input.language = language.rawValue
        switch input.validate(
            cities: lookup, fallbackLanguage: language, today: today)
        {
        case .failure(let error):
            let problems = error.fields.sorted { $0.key < $1.key }.map { field, key in
                "• " + bold(text("field_" + field, language)) + ": " + esc(text(key, language))
            }
            outcome.replies.append(
                .send(bold(text("error_summary_heading", language)) + "\n" + problems.joined(separator: "\n"), nil))
            outcome.replies.append(try await prompt(state))
        case .success(let valid):
            let receipt = try await ReportService.submit(valid, source: .telegram, app: app, on: db)
            if let messageID { outcome.replies.append(.dropButtons(messageID: messageID)) }
            outcome.replies.append(
                .send(BotFormat.receipt(receipt.receipt, language: language, translations: app.translations), nil))
            let situation = ActionPlan.Situation(valid)
            let lines = try await ActionPlan.lines(for: situation, language: language, on: db)
            outcome.replies.append(
                .send(
                    BotFormat.plan(
                        ActionPlan.steps(for: situation), lines: lines, language: language,
                        translations: app.translations), nil))
            outcome.replies.append(menu(language))
            outcome.state = nil
            outcome.reportSubmitted = true
        }
    }

    private func admitted(_ category: String, rule: RateLimitRule) async throws -> Bool {
        guard app.config.rateLimits.enabled else { return true }
        return await app.rateLimiter.admit(category: category, client: chatKey, rule: rule) == nil
    }

    // MARK: Questions

    /// The message that asks the current question, with its buttons.
    func prompt(_ state: BotState) async throws -> BotReply {
        let language = state.language
        let turn = state.turn
        func options(_ pairs: [(String, String)], columns: Int = 1, skip: Bool = false) -> ReplyMarkup {
            var buttons = pairs.map { InlineKeyboardButton(text: $0.1, callbackData: ButtonData.answer(turn, $0.0)) }
            var rows = stride(from: 0, to: buttons.count, by: columns).map {
                Array(buttons[$0..<min($0 + columns, buttons.count)])
            }
            if skip {
                buttons = [
                    InlineKeyboardButton(
                        text: text("bot_skip", language), callbackData: ButtonData.answer(turn, "skip"))
                ]
                rows.append(buttons)
            }
            return .inline(InlineKeyboardMarkup(rows))
        }
        func labelled<E: RawRepresentable & CaseIterable>(_ type: E.Type, prefix: String) -> [(String, String)]
        where E.RawValue == String {
            E.allCases.map { ($0.rawValue, text(prefix + $0.rawValue, language)) }
        }
        func ask(_ key: String, _ markup: ReplyMarkup?) -> BotReply {
            .send(esc(text(key, language)), markup)
        }

        switch state.step {
        case .role: return ask("bot_q_role", options(labelled(ReporterRole.self, prefix: "role_")))
        case .date:
            return ask(
                "bot_q_date",
                options(
                    [
                        ("today", text("bot_date_today", language)),
                        ("yesterday", text("bot_date_yesterday", language)), ("pick", text("bot_date_pick", language)),
                    ], columns: 3))
        case .datePick: return ask("bot_q_date_pick", nil)
        case .timeBand:
            return ask(
                "bot_q_time",
                options(labelled(TimeBand.self, prefix: "band_") + [("skip", text("bot_time_unknown", language))]))
        case .location:
            let keyboard = ReplyKeyboardMarkup(
                [
                    [KeyboardButton(text: text("bot_send_location", language), requestLocation: true)],
                    [KeyboardButton(text: text("bot_choose_city", language))],
                ],
                placeholder: String(text("bot_location_placeholder", language).prefix(64)))
            return ask("bot_q_location", .keyboard(keyboard))
        case .city:
            return .send(
                esc(text("choose_city", language)),
                .inline(try await cityPicker(language) { ButtonData.answer(turn, $0) }))
        case .landmark: return ask("bot_q_landmark", options([], skip: true))
        case .placeType: return ask("bot_q_place", options(labelled(PlaceType.self, prefix: "place_"), columns: 2))
        case .kinds: return ask("bot_q_kinds", .inline(kindsKeyboard(state)))
        case .perpetrator: return ask("bot_q_perpetrator", options(labelled(Perpetrator.self, prefix: "perpetrator_")))
        case .relation:
            return ask("bot_q_relation", options(labelled(PerpetratorRelation.self, prefix: "relation_"), columns: 2))
        case .count: return ask("bot_q_count", options(labelled(PerpetratorCount.self, prefix: "count_"), columns: 2))
        case .prevented:
            return ask(
                "bot_q_prevented",
                options([
                    ("yes", text("answer_prevented_yes", language)), ("no", text("answer_prevented_no", language)),
                ]))
        case .preventedBy:
            return ask("bot_q_prevented_by", options(labelled(PreventedBy.self, prefix: "prevented_by_")))
        case .description: return ask("bot_q_description", nil)
        case .ageBand: return ask("bot_q_age", options(labelled(AgeBand.self, prefix: "age_"), columns: 3, skip: true))
        case .gender:
            return ask("bot_q_gender", options(labelled(Gender.self, prefix: "gender_"), columns: 2, skip: true))
        case .contact: return ask("bot_q_contact", options([], skip: true))
        case .consent:
            return ask(
                "bot_q_consent",
                options([("yes", text("bot_consent_yes", language)), ("no", text("bot_consent_no", language))]))
        case .summary:
            let summary = try await BotFormat.summary(
                state.draft, contactSealed: state.contactSealed, language: language, translations: app.translations,
                contactKey: app.secrets.contactKey,
                on: db)
            return .send(
                summary,
                options([
                    ("send", text("bot_send_report", language)), ("edit", text("bot_edit", language)),
                    ("cancel", text("bot_cancel", language)),
                ]))
        case .editMenu:
            let fields = Self.editable.map { ($0.rawValue, text(BotFormat.label(for: $0), language)) }
            return ask("bot_q_edit", options(fields + [(BotStep.summary.rawValue, text("back", language))], columns: 2))
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
            return ask(
                "check_delete_explain",
                options([("yes", text("check_delete_confirm", language)), ("no", text("bot_keep", language))]))
        case .selfCheck:
            let questions = SelfCheck.conditions + SelfCheck.behaviours
            let index = min(state.selfCheckIndex, questions.count - 1)
            let progress = text("bot_question_of", language).replacingOccurrences(of: "{n}", with: String(index + 1))
                .replacingOccurrences(of: "{total}", with: String(questions.count))
            return .send(
                esc(progress) + "\n" + esc(text("selfcheck_q_" + questions[index], language)),
                options([("yes", text("bot_yes", language)), ("no", text("bot_no", language))], columns: 2))
        }
    }

    private func kindsKeyboard(_ state: BotState) -> InlineKeyboardMarkup {
        var rows = HarassmentKind.allCases.map { kind in
            let ticked = state.draft.kinds?.contains(kind.rawValue) == true
            return [
                InlineKeyboardButton(
                    text: (ticked ? "✅ " : "▫️ ") + text("kind_" + kind.rawValue, state.language),
                    callbackData: ButtonData.answer(state.turn, kind.rawValue))
            ]
        }
        rows.append([
            InlineKeyboardButton(
                text: text("bot_done", state.language), callbackData: ButtonData.answer(state.turn, "done"))
        ])
        return InlineKeyboardMarkup(rows)
    }

    // MARK: Menus and help

    func menu(_ language: Language) -> BotReply {
        let rows = [
            [menuButton("report", "bot_menu_report", language)],
            [menuButton("help", "bot_menu_help", language)],
            [menuButton("guides", "bot_menu_guides", language), menuButton("self", "bot_menu_selfcheck", language)],
            [menuButton("check", "bot_menu_check", language), menuButton("about", "bot_menu_about", language)],
            [menuButton("lang", "bot_menu_language", language)],
        ]
        return .send(esc(text("bot_menu", language)), .inline(InlineKeyboardMarkup(rows)))
    }

    private func menuButton(_ action: String, _ key: String, _ language: Language) -> InlineKeyboardButton {
        InlineKeyboardButton(text: text(key, language), callbackData: ButtonData.menu(language, action))
    }

    private func languagePicker(selected: Language) -> InlineKeyboardMarkup {
        InlineKeyboardMarkup([
            Language.allCases.map { language in
                InlineKeyboardButton(
                    text: (language == selected ? "✓ " : "") + language.nativeName,
                    callbackData: ButtonData.menu(language, "menu"))
            }
        ])
    }

    private func cityPicker(_ language: Language, data: (String) -> String) async throws -> InlineKeyboardMarkup {
        let buttons = try await allCities(on: db).map {
            InlineKeyboardButton(text: $0.name(language), callbackData: data($0.id ?? ""))
        }
        return InlineKeyboardMarkup(
            stride(from: 0, to: buttons.count, by: 3).map { Array(buttons[$0..<min($0 + 3, buttons.count)]) })
    }

    private func helpDirectory(city slug: String, language: Language) async throws -> [BotReply] {
        guard let city = try await City.find(slug, on: db) else { return [menu(language)] }
        let listing = try await HotlineDirectory.listing(city: city.id, on: db)
        return [
            .send(
                BotFormat.directory(listing, city: city, language: language, translations: app.translations),
                .inline(
                    InlineKeyboardMarkup([
                        [menuButton("help", "bot_other_city", language), menuButton("menu", "bot_main_menu", language)]
                    ])))
        ]
    }

    private func guideList(_ language: Language) async throws -> BotReply {
        let guides = try await GuideLibrary.visible(on: db)
        var rows = guides.filter { ButtonData.fits(language, "guides", $0.slug) }.map {
            [InlineKeyboardButton(text: $0.title(language), callbackData: ButtonData.menu(language, "guides", $0.slug))]
        }
        rows.append([menuButton("menu", "bot_main_menu", language)])
        return .send(
            bold(text("guides_title", language)) + "\n" + esc(text("guides_lead", language)),
            .inline(InlineKeyboardMarkup(rows)))
    }

    private func selfCheckResult(_ answers: Set<String>, language: Language) async throws -> BotReply {
        let result = SelfCheck.evaluate(answers)
        var lines = [
            bold(text("selfcheck_outcome_" + result.outcome.rawValue, language)),
            esc(text("selfcheck_outcome_" + result.outcome.rawValue + "_text", language)),
        ]
        lines += result.notes.map { esc(text($0, language)) }
        var rows: [[InlineKeyboardButton]] = []
        for slug in result.guides where ButtonData.fits(language, "guides", slug) {
            if let guide = try await GuideLibrary.find(slug, on: db) {
                rows.append([
                    InlineKeyboardButton(
                        text: guide.title(language), callbackData: ButtonData.menu(language, "guides", slug))
                ])
            }
        }
        if !rows.isEmpty { lines.append(esc(text("selfcheck_guides", language))) }
        rows.append([menuButton("report", "bot_menu_report", language)])
        rows.append([menuButton("help", "bot_menu_help", language), menuButton("menu", "bot_main_menu", language)])
        return .send(lines.joined(separator: "\n\n"), .inline(InlineKeyboardMarkup(rows)))
    }

    // MARK: Text

    func text(_ key: String, _ language: Language) -> String { app.translations.text(key, language) }
    private func esc(_ text: String) -> String { TelegramText.escapeHTML(text) }
    private func bold(_ text: String) -> String { "<b>" + TelegramText.escapeHTML(text) + "</b>" }
}
