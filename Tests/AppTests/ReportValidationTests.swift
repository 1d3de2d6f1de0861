import Foundation
import Testing

@testable import App

/// Every rule of SPEC §2, checked on the validation function itself (no HTTP, no database).
@Suite struct ReportValidationTests {
    let cities: [String: City] = Dictionary(
        uniqueKeysWithValues: CityCatalog.all.enumerated().map { ($1.slug, City($1, order: $0)) })
    let today = "2026-11-23"

    func input(_ change: (inout ReportInput) -> Void = { _ in }) -> ReportInput {
        var input = ReportInput(
            role: "witness", date: "2026-11-01", time: nil, timeBand: "morning", latitude: 51.16, longitude: 71.47,
            city: "astana", landmark: nil, placeType: "public_transport", kinds: ["physical"], perpetrator: "known",
            perpetratorRelation: "colleague", perpetratorCount: "group", prevented: true, preventedBy: "bystander",
            description: "Коллега хватал за руку в автобусе, водитель вмешался.", ageBand: "25-34", gender: "woman",
            contact: "someone@example.kz", publishConsent: false, language: "kk")
        change(&input)
        return input
    }

    func errors(_ change: (inout ReportInput) -> Void) -> [String: String] {
        switch input(change).validate(cities: cities, fallbackLanguage: .ru, today: today) {
        case .success: return [:]
        case .failure(let error): return error.fields
        }
    }

    @Test func aCompleteReportIsAccepted() throws {
        let valid = try input().validate(cities: cities, fallbackLanguage: .ru, today: today).get()
        #expect(valid.role == .witness)
        #expect(valid.kinds == [.physical])
        #expect(valid.perpetratorRelation == .colleague)
        #expect(valid.preventedBy == .bystander)
        #expect(valid.language == .kk)
    }

    @Test func theEvidenceFieldsAreOptionalAndConsistent() throws {
        // Left out, they are unknown; nothing slows the person down.
        let plain = try input().validate(cities: cities, fallbackLanguage: .ru, today: today).get()
        #expect(plain.recurrence == nil && plain.toldWhom.isEmpty && plain.toldOutcome == nil)
        let full = try input {
            $0.recurrence = "repeated"
            $0.toldWhom = ["employer_school", "hotline", "hotline"]
            $0.toldOutcome = "blamed"
            $0.kinds = ["economic"]
        }.validate(cities: cities, fallbackLanguage: .ru, today: today).get()
        #expect(full.recurrence == .repeated && full.toldWhom == [.employer_school, .hotline])
        #expect(full.toldOutcome == .blamed && full.kinds == [.economic])

        #expect(errors { $0.recurrence = "sometimes" } == ["recurrence": "error_choice"])
        #expect(errors { $0.toldWhom = ["neighbours"] } == ["toldWhom": "error_choice"])
        #expect(errors { $0.toldWhom = ["nobody", "police"] } == ["toldWhom": "error_told_nobody_and_someone"])
        #expect(errors { $0.toldOutcome = "stopped" } == ["toldOutcome": "error_outcome_without_telling"])
        #expect(
            errors {
                $0.toldWhom = ["nobody"]
                $0.toldOutcome = "stopped"
            } == ["toldOutcome": "error_outcome_without_telling"])
        #expect(
            errors {
                $0.toldWhom = ["police"]
                $0.toldOutcome = "eventually"
            } == ["toldOutcome": "error_choice"])
    }

    @Test func requiredFieldsAreNamedWhenMissing() {
        let found = errors {
            $0 = ReportInput()
        }
        for field in [
            "role", "date", "city", "placeType", "kinds", "perpetrator", "perpetratorCount", "prevented", "description",
            "publishConsent",
        ] {
            #expect(found[field] != nil, "\(field) should be required")
        }
    }

    @Test(arguments: [
        ("2026-11-24", "error_date_future"), ("1999-12-31", "error_date_too_old"), ("2025-02-29", "error_date_format"),
        ("08.03.2025", "error_date_format"), ("2025-3-8", "error_date_format"), ("２０２５-03-08", "error_date_format"),
    ])
    func datesOutsideTheRulesAreRefused(date: String, key: String) {
        #expect(errors { $0.date = date }["date"] == key)
    }

    @Test func todayAndTheFirstDayOf2000AreAccepted() {
        #expect(errors { $0.date = "2026-11-23" }.isEmpty)
        #expect(errors { $0.date = "2000-01-01" }.isEmpty)
        #expect(errors { $0.date = "2024-02-29" }.isEmpty)
    }

    @Test func todayIsKazakhstanTime() {
        // 20:00 UTC on 23 November is already 24 November in Kazakhstan (UTC+5).
        let evening = Date(timeIntervalSince1970: 1_795_464_000)  // 2026-11-23T20:00:00Z
        #expect(KazakhstanTime.today(now: evening) == "2026-11-24")
    }

    @Test(arguments: [
        ("06:00", TimeBand.morning), ("11:59", .morning), ("12:00", .afternoon), ("18:00", .evening),
        ("22:59", .evening), ("23:00", .night), ("05:59", .night), ("00:00", .night),
    ])
    func anExactTimeFallsInItsBand(time: String, band: TimeBand) throws {
        let valid = try input {
            $0.time = time
            $0.timeBand = nil
        }.validate(cities: cities, fallbackLanguage: .ru, today: today).get()
        #expect(valid.timeBand == band)
        #expect(valid.time == time)
    }

    @Test func badTimesAreRefused() {
        for time in ["24:00", "7:30", "12:60", "noon", "12:30:00"] {
            #expect(errors { $0.time = time }["time"] == "error_time_format", "\(time)")
        }
        #expect(
            errors {
                $0.time = "20:00"; $0.timeBand = "morning"
            }["timeBand"] == "error_time_band_mismatch")
        #expect(errors { $0.timeBand = "midnight" }["timeBand"] == "error_choice")
    }

    @Test func pointsMustBeInsideKazakhstan() {
        #expect(errors { $0.latitude = 40.4 }["latitude"] == "error_outside_kazakhstan")
        #expect(errors { $0.latitude = 55.6 }["latitude"] == "error_outside_kazakhstan")
        #expect(errors { $0.longitude = 46.3 }["longitude"] == "error_outside_kazakhstan")
        #expect(errors { $0.longitude = 87.5 }["longitude"] == "error_outside_kazakhstan")
        #expect(errors { $0.latitude = .nan }["latitude"] == "error_outside_kazakhstan")
        #expect(errors { $0.latitude = .infinity }["latitude"] == "error_outside_kazakhstan")
        #expect(errors { $0.latitude = nil }["latitude"] == "error_required")
        #expect(
            errors {
                $0.latitude = 40.5; $0.longitude = 46.4
            }.isEmpty)
        #expect(
            errors {
                $0.latitude = 55.5; $0.longitude = 87.4
            }.isEmpty)
    }

    @Test func withoutAPointTheCityCentreStandsIn() throws {
        let valid = try input {
            $0.latitude = nil
            $0.longitude = nil
            $0.city = "shymkent"
        }.validate(cities: cities, fallbackLanguage: .ru, today: today).get()
        #expect(valid.latitude == 42.310 && valid.longitude == 69.600)
    }

    @Test func theCityMustBeFromTheList() {
        #expect(errors { $0.city = "moscow" }["city"] == "error_choice")
        #expect(errors { $0.city = "  " }["city"] == "error_required")
    }

    @Test func enumerationsAcceptOnlyTheirValues() {
        #expect(errors { $0.role = "victim " }.isEmpty)
        #expect(errors { $0.role = "Victim" }["role"] == "error_choice")
        #expect(errors { $0.placeType = "bar" }["placeType"] == "error_choice")
        #expect(errors { $0.kinds = ["verbal", "shouting"] }["kinds"] == "error_choice")
        #expect(errors { $0.kinds = [] }["kinds"] == "error_kinds_required")
        #expect(errors { $0.perpetrator = "unknown" }["perpetrator"] == "error_choice")
        #expect(errors { $0.perpetratorRelation = "boss" }["perpetratorRelation"] == "error_choice")
        #expect(errors { $0.perpetratorCount = "two" }["perpetratorCount"] == "error_choice")
        #expect(errors { $0.preventedBy = "army" }["preventedBy"] == "error_choice")
        #expect(errors { $0.ageBand = "30" }["ageBand"] == "error_choice")
        #expect(errors { $0.gender = "female" }["gender"] == "error_choice")
        #expect(errors { $0.language = "de" }["language"] == "error_choice")
    }

    @Test func kindsAreDeduplicated() throws {
        let valid = try input { $0.kinds = ["verbal", "verbal", "cyber"] }
            .validate(cities: cities, fallbackLanguage: .ru, today: today).get()
        #expect(valid.kinds == [.verbal, .cyber])
    }

    @Test func relationAndRescuerFollowTheirQuestions() {
        #expect(errors { $0.perpetratorRelation = nil }["perpetratorRelation"] == "error_required")
        #expect(errors { $0.perpetrator = "stranger" }["perpetratorRelation"] == "error_relation_for_stranger")
        #expect(
            errors {
                $0.perpetrator = "stranger"; $0.perpetratorRelation = nil
            }.isEmpty)
        #expect(errors { $0.preventedBy = nil }["preventedBy"] == "error_required")
        #expect(errors { $0.prevented = false }["preventedBy"] == "error_prevented_by_when_not")
        #expect(
            errors {
                $0.prevented = false; $0.preventedBy = nil
            }.isEmpty)
    }

    @Test func descriptionsAreTwentyToFiveThousandCharactersOfAnyScript() {
        #expect(
            errors { $0.description = String(repeating: "а", count: 19) }["description"] == "error_description_length")
        #expect(errors { $0.description = String(repeating: "ә", count: 20) }.isEmpty)
        #expect(errors { $0.description = String(repeating: "x", count: 5000) }.isEmpty)
        #expect(
            errors { $0.description = String(repeating: "x", count: 5001) }["description"] == "error_description_length"
        )
        // Kazakh letters, emoji with modifiers and Latin count as the characters people see.
        #expect(errors { $0.description = "Қорқыттым 👩🏽‍🦱 ұят ғой, Ұлы Үй" }.isEmpty)
        #expect(errors { $0.description = String(repeating: "👩🏽‍🦱", count: 20) }.isEmpty)
        #expect(errors { $0.description = "   " }["description"] == "error_required")
        #expect(
            errors { $0.description = "Текст с нулевым байтом \u{0} внутри него" }["description"]
                == "error_text_characters")
        #expect(errors { $0.description = "Строки\nс переносами\tи табуляцией — нормально" }.isEmpty)
    }

    @Test func contactsAreEmailPhoneOrTelegramHandle() {
        for good in ["a@b.kz", "+7 701 123 45 67", "87011234567", "@dauys_user", "dauys_user"] {
            #expect(errors { $0.contact = good }.isEmpty, "\(good)")
        }
        for bad in ["call me", "@ab", "<script>", String(repeating: "a", count: 190) + "@example.com"] {
            #expect(errors { $0.contact = bad }["contact"] == "error_contact", "\(bad)")
        }
    }

    @Test func landmarkIsShortText() {
        #expect(errors { $0.landmark = String(repeating: "ы", count: 201) }["landmark"] == "error_landmark")
        #expect(errors { $0.landmark = "у ТРЦ «Хан Шатыр»" }.isEmpty)
    }

    @Test func languageFallsBackToTheRequest() throws {
        let valid = try input { $0.language = nil }.validate(cities: cities, fallbackLanguage: .en, today: today).get()
        #expect(valid.language == .en)
    }

    @Test func everyProblemIsReportedAtOnce() {
        let found = errors {
            $0.role = "x"
            $0.date = "tomorrow"
            $0.description = "short"
        }
        #expect(Set(found.keys) == ["role", "date", "description"])
    }
}
