import Testing

@testable import App

/// Issue #10: what identifies someone is found in realistic Kazakh, Russian and English texts,
/// left out of the proposed public text, and refused at publication.
@Suite struct RedactionTests {
    /// The pieces the check must find in `text`, by kind, and nothing else of a blocking kind.
    struct Case: CustomTestStringConvertible, Sendable {
        var text: String
        var expected: [(Redaction.Kind, String)]
        var testDescription: String { String(text.prefix(40)) }
    }

    static let cases: [Case] = [
        Case(
            text: "Мне писал Иван Петров, +7 701 555 1234, почта ivan@corp.kz, просил не говорить никому.",
            expected: [(.name, "Иван Петров"), (.phone, "+7 701 555 1234"), (.email, "ivan@corp.kz")]),
        Case(
            text: "Начальник отдела звонил мне ночью с номера 8 (701) 555-12-34 и требовал приехать.",
            expected: [(.phone, "8 (701) 555-12-34")]),
        Case(
            text: "Таксист с машиной 123 ABC 02 всю дорогу трогал меня за колено. Номер телефона 87015551234.",
            expected: [(.plate, "123 ABC 02"), (.phone, "87015551234")]),
        Case(
            text: "Он узнал мой ИИН 900101350123 из договора и стал писать в телеграм @ivan_petrov_88.",
            expected: [(.iin, "900101350123"), (.handle, "@ivan_petrov_88")]),
        Case(
            text: "Требовал перевести деньги на карту 4400 4301 2345 6789, иначе выложит фото.",
            expected: [(.card, "4400 4301 2345 6789")]),
        Case(
            text: "Он выложил мои фото на https://instagram.com/some.page и подписал оскорблениями.",
            expected: [(.url, "https://instagram.com/some.page")]),
        Case(
            text: "Бастығым Серік Әбдірахманов маған түнде +77015551234 нөмірінен жазады.",
            // A sentence's first word joins a name that follows it: it is often the first name.
            expected: [(.name, "Бастығым Серік Әбдірахманов"), (.phone, "+77015551234")]),
        Case(
            text:
                "Аялдамада бір жігіт артымнан еріп, телефонымды сұрады. Кейін 8-701-555-12-34 нөмірінен қоңырау шалды.",
            expected: [(.phone, "8-701-555-12-34")]),
        Case(
            text: "Мұғалім Асқар Тұрсынұлы сабақтан кейін қалдырып, бағамды төмендетемін деп қорқытты.",
            expected: [(.name, "Мұғалім Асқар Тұрсынұлы")]),
        Case(
            text: "Көршіміз 777 KZA 01 көлігімен мені үйге дейін аңдиды.",
            expected: [(.plate, "777 KZA 01")]),
        Case(
            text: "My manager John Smith keeps texting me at +44 20 7946 0958 after work.",
            expected: [(.name, "John Smith"), (.phone, "+44 20 7946 0958")]),
        Case(
            text: "Коллега И. Петров распускает слухи обо мне в чате отдела.",
            expected: [(.name, "Петров")]),
        Case(
            text: "Мужчина в маршрутке №32 прижимался и шептал гадости. Я вышла на остановке у ЦУМа.",
            expected: []),
        Case(
            text: "Жду ответа на почту aigerim.k@mail.ru или в WhatsApp 701 555 12 34.",
            expected: [(.email, "aigerim.k@mail.ru"), (.phone, "701 555 12 34")]),
        Case(
            text: "Директор школы Марат Ерланович вызывал к себе и говорил, что я «слишком красиво одеваюсь».",
            expected: [(.name, "Марат Ерланович")]),
        Case(
            text: "Он нашёл меня через vk.com/id123456 и пишет каждый день.",
            expected: [(.url, "vk.com/id123456")]),
        Case(
            text: "Городской номер офиса 8 (7172) 55-12-34, спросите Айгуль из бухгалтерии.",
            expected: [(.phone, "8 (7172) 55-12-34"), (.name, "Айгуль")]),
        Case(
            text: "Водитель автобуса А 123 ВС номер маршрута 12 отпускал комментарии, другой пассажир заступился.",
            expected: [(.plate, "А 123 ВС")]),
        Case(
            text: "Сосед звонит с номера 555-12-34 и стучит в дверь по ночам.",
            expected: [(.phone, "555-12-34")]),
        Case(
            text: "Это случилось 12.03.2024 около 18:30 в парке. Было около 20 человек, никто не помог.",
            expected: []),
        Case(
            text: "Жұмыста Динара Маратқызы бәрінің көзінше мені мазақ етті. Менің БСН 123456789012.",
            expected: [(.name, "Жұмыста Динара Маратқызы"), (.iin, "123456789012")]),
        Case(
            text: "Алматыда, Абай даңғылында бейтаныс адам ысқырып, соңымнан жүрді.",
            expected: [(.name, "Абай")]),
        Case(
            text: "Ivan wrote to me on Telegram from t.me/ivan_petrov every night in January.",
            expected: [(.url, "t.me/ivan_petrov")]),
    ]

    @Test(arguments: cases) func findsWhatIdentifiesSomeone(_ example: Case) {
        let found = Redaction.findings(in: example.text).map { ($0.kind, String(example.text[$0.range])) }
        #expect(found.map(\.0) == example.expected.map(\.0), "\(found)")
        #expect(found.map(\.1) == example.expected.map(\.1), "\(found)")
    }

    @Test(arguments: cases) func theProposalLeavesNothingThatBlocksPublication(_ example: Case) {
        let proposal = Redaction.proposal(for: example.text) { "[\($0.rawValue)]" }
        #expect(Redaction.blockingKinds(in: proposal).isEmpty, "\(proposal)")
        for (_, piece) in example.expected { #expect(!proposal.contains(piece), "\(proposal)") }
        // What is not identifying stays as the reporter wrote it.
        if example.expected.isEmpty { #expect(proposal == example.text) }
    }

    @Test func theSegmentsRebuildTheOriginalWithTheFindingsMarked() {
        let text = Self.cases[0].text
        let segments = Redaction.segments(of: text)
        #expect(segments.map(\.text).joined() == text)
        #expect(segments.compactMap(\.kind) == ["name", "phone", "email"])
    }

    @Test func sameWordsAreTheSameTextWhateverTheSpacingOrCase() {
        #expect(Redaction.isSameText("Он шёл  за мной.\n", " он ШЁЛ за мной."))
        #expect(!Redaction.isSameText("Он шёл за мной.", "Кто-то шёл за ней."))
    }
}
