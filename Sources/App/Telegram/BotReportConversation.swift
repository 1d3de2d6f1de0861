import Fluent
import Foundation
import TelegramKit
import Vapor

/// The report as a conversation (SPEC §3): one question per message, answers checked by the
/// website's own rules (``ReportRules``, ``ReportInput/validate(cities:fallbackLanguage:today:)``),
/// a summary to look over and change, then the receipt code and the action plan.
extension BotTurn {
    /// Applies an answer to the report's current question.
    mutating func answerReport() async throws {
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
            let checked = ReportRules.date(day, today: today)
            guard case .success(let date) = checked else { return try await retry(checked.problem ?? "bot_error_date") }
            state.draft.date = date
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
        case .recurrence:
            if value == "skip" {
                state.draft.recurrence = nil
            } else {
                guard let recurrence = choice(Recurrence.self) else { return try await retry("error_choice") }
                state.draft.recurrence = recurrence.rawValue
            }
            try await advance()
        case .toldWhom:
            if value == "done" || value == "skip" {
                if value == "skip" { state.draft.toldWhom = nil }
                let told = state.draft.toldWhom ?? []
                if told.allSatisfy({ $0 == ToldWhom.nobody.rawValue }) { state.draft.toldOutcome = nil }
                return try await advance()
            }
            guard let whom = choice(ToldWhom.self) else { return try await retry("error_choice") }
            var told = state.draft.toldWhom ?? []
            if let index = told.firstIndex(of: whom.rawValue) {
                told.remove(at: index)
            } else {
                // "Nobody" stands alone, as ReportRules.toldWhom requires.
                told.removeAll { whom == .nobody || $0 == ToldWhom.nobody.rawValue }
                told.append(whom.rawValue)
            }
            state.draft.toldWhom = told.isEmpty ? nil : told
            if let messageID { outcome.replies.append(.replaceButtons(messageID: messageID, toldKeyboard(state))) }
        case .toldOutcome:
            if value == "skip" {
                state.draft.toldOutcome = nil
            } else {
                guard let told = choice(ToldOutcome.self) else { return try await retry("error_choice") }
                state.draft.toldOutcome = told.rawValue
            }
            try await advance()
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
            case "send": try await submit()
            case "edit": try await advance(.editMenu)
            case "cancel":
                outcome.state = nil
                if let messageID { outcome.replies.append(.dropButtons(messageID: messageID)) }
                outcome.replies += [.send(esc(text("bot_cancelled", language)), nil), menu(language)]
            default: try await retry("error_choice")
            }
        case .editMenu:
            guard let value, let step = BotStep(rawValue: value), BotFlow.editable.contains(step) else {
                return try await retry("error_choice")
            }
            state.editing = step != .summary
            try await advance(step)
        default: try await retry("bot_use_buttons")
        }
    }

    /// The report is checked by the same rules as the website's, stored, and its receipt shown.
    mutating func submit() async throws {
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
            outcome.replies.append(try await flow.prompt(state))
        case .success(let valid):
            let receipt = try await ReportService.submit(valid, source: .telegram, app: app, on: db)
            if let messageID { outcome.replies.append(.dropButtons(messageID: messageID)) }
            outcome.replies.append(
                .send(BotFormat.receipt(receipt.receipt, language: language, translations: app.translations), nil))
            let situation = ActionPlan.Situation(valid)
            let lines = try await ActionPlan.plan(
                for: situation, steps: ActionPlan.steps(for: situation).map { app.translations.text($0, language) },
                language: language, on: db
            ).lines
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
}

extension BotFlow {
    /// Answers that may be changed from the summary, in the order of the questions.
    static let editable: [BotStep] = [
        .role, .date, .timeBand, .location, .placeType, .kinds, .perpetrator, .count, .prevented, .description,
        .recurrence, .toldWhom, .ageBand, .gender, .contact, .consent,
    ]

    /// The question after `step` in a report.
    func nextStep(after step: BotStep, draft: ReportInput) -> BotStep {
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
        case .description: .recurrence
        case .recurrence: .toldWhom
        case .toldWhom:
            (draft.toldWhom ?? []).contains { $0 != ToldWhom.nobody.rawValue } ? .toldOutcome : .ageBand
        case .toldOutcome: .ageBand
        case .ageBand: .gender
        case .gender: .contact
        case .contact: .consent
        default: .summary
        }
    }

    /// Questions that belong to the one just answered, and are asked even when changing one answer.
    func isFollowUp(_ next: BotStep, of step: BotStep) -> Bool {
        switch (step, next) {
        case (.date, .datePick), (.location, .city), (.city, .landmark), (.perpetrator, .relation),
            (.prevented, .preventedBy), (.toldWhom, .toldOutcome), (.editMenu, _):
            true
        default: false
        }
    }

    /// The message that asks the report's current question, with its buttons.
    func reportPrompt(_ state: BotState) async throws -> BotReply {
        let q = BotQuestion(flow: self, state: state)
        let (language, turn) = (state.language, state.turn)
        switch state.step {
        case .role: return q.ask("bot_q_role", q.options(q.labelled(ReporterRole.self, prefix: "role_")))
        case .date:
            return q.ask(
                "bot_q_date",
                q.options(
                    [
                        ("today", text("bot_date_today", language)),
                        ("yesterday", text("bot_date_yesterday", language)), ("pick", text("bot_date_pick", language)),
                    ], columns: 3))
        case .datePick: return q.ask("bot_q_date_pick", nil)
        case .timeBand:
            return q.ask(
                "bot_q_time",
                q.options(q.labelled(TimeBand.self, prefix: "band_") + [("skip", text("bot_time_unknown", language))]))
        case .location:
            let keyboard = ReplyKeyboardMarkup(
                [
                    [KeyboardButton(text: text("bot_send_location", language), requestLocation: true)],
                    [KeyboardButton(text: text("bot_choose_city", language))],
                ],
                placeholder: String(text("bot_location_placeholder", language).prefix(64)))
            return q.ask("bot_q_location", .keyboard(keyboard))
        case .city:
            return .send(
                esc(text("choose_city", language)),
                .inline(try await cityPicker(language) { ButtonData.answer(turn, $0) }))
        case .landmark: return q.ask("bot_q_landmark", q.options([], skip: true))
        case .placeType:
            return q.ask("bot_q_place", q.options(q.labelled(PlaceType.self, prefix: "place_"), columns: 2))
        case .kinds: return q.ask("bot_q_kinds", .inline(kindsKeyboard(state)))
        case .perpetrator:
            return q.ask("bot_q_perpetrator", q.options(q.labelled(Perpetrator.self, prefix: "perpetrator_")))
        case .relation:
            return q.ask(
                "bot_q_relation", q.options(q.labelled(PerpetratorRelation.self, prefix: "relation_"), columns: 2))
        case .count:
            return q.ask("bot_q_count", q.options(q.labelled(PerpetratorCount.self, prefix: "count_"), columns: 2))
        case .prevented:
            return q.ask(
                "bot_q_prevented",
                q.options([
                    ("yes", text("answer_prevented_yes", language)), ("no", text("answer_prevented_no", language)),
                ]))
        case .preventedBy:
            return q.ask("bot_q_prevented_by", q.options(q.labelled(PreventedBy.self, prefix: "prevented_by_")))
        case .description: return q.ask("bot_q_description", nil)
        case .recurrence:
            return q.ask("bot_q_recurrence", q.options(q.labelled(Recurrence.self, prefix: "recurrence_"), skip: true))
        case .toldWhom: return q.ask("bot_q_told", .inline(toldKeyboard(state)))
        case .toldOutcome:
            return q.ask(
                "bot_q_told_outcome", q.options(q.labelled(ToldOutcome.self, prefix: "told_outcome_"), skip: true))
        case .ageBand:
            return q.ask("bot_q_age", q.options(q.labelled(AgeBand.self, prefix: "age_"), columns: 3, skip: true))
        case .gender:
            return q.ask("bot_q_gender", q.options(q.labelled(Gender.self, prefix: "gender_"), columns: 2, skip: true))
        case .contact: return q.ask("bot_q_contact", q.options([], skip: true))
        case .consent:
            return q.ask(
                "bot_q_consent",
                q.options([("yes", text("bot_consent_yes", language)), ("no", text("bot_consent_no", language))]))
        case .summary:
            let summary = try await BotFormat.summary(
                state.draft, contactSealed: state.contactSealed, language: language, translations: app.translations,
                contactKey: app.secrets.contactKey,
                on: db)
            return .send(
                summary,
                q.options([
                    ("send", text("bot_send_report", language)), ("edit", text("bot_edit", language)),
                    ("cancel", text("bot_cancel", language)),
                ]))
        case .editMenu:
            let fields = BotFlow.editable.map { ($0.rawValue, text(BotFormat.label(for: $0), language)) }
            return q.ask(
                "bot_q_edit", q.options(fields + [(BotStep.summary.rawValue, text("back", language))], columns: 2))
        default: return menu(language)
        }
    }

    func kindsKeyboard(_ state: BotState) -> InlineKeyboardMarkup {
        tickBoxes(HarassmentKind.self, prefix: "kind_", ticked: state.draft.kinds ?? [], state: state)
    }

    func toldKeyboard(_ state: BotState) -> InlineKeyboardMarkup {
        tickBoxes(ToldWhom.self, prefix: "told_", ticked: state.draft.toldWhom ?? [], state: state, skip: true)
    }

    /// One button per choice, ticked or not, and "Done" (and "Skip") below: a question with
    /// several answers.
    private func tickBoxes<E: RawRepresentable & CaseIterable>(
        _ type: E.Type, prefix: String, ticked: [String], state: BotState, skip: Bool = false
    ) -> InlineKeyboardMarkup where E.RawValue == String {
        var rows = E.allCases.map { choice in
            [
                InlineKeyboardButton(
                    text: (ticked.contains(choice.rawValue) ? "✅ " : "▫️ ")
                        + text(prefix + choice.rawValue, state.language),
                    callbackData: ButtonData.answer(state.turn, choice.rawValue))
            ]
        }
        var last = [
            InlineKeyboardButton(
                text: text("bot_done", state.language), callbackData: ButtonData.answer(state.turn, "done"))
        ]
        if skip {
            last.append(
                InlineKeyboardButton(
                    text: text("bot_skip", state.language), callbackData: ButtonData.answer(state.turn, "skip")))
        }
        rows.append(last)
        return InlineKeyboardMarkup(rows)
    }
}
