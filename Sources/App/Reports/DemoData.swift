import Fluent
import SQLKit
import Vapor

/// `dauys demo-data --count N [--published] [--force]`: realistic synthetic reports across
/// Kazakhstan's cities, for demos and benchmarks.
struct DemoDataCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "count", help: "How many reports to make (1–1000000).")
        var count: Int?

        @Flag(name: "published", help: "Publish them, with public locations made as for real reports.")
        var published: Bool

        @Flag(name: "force", help: "Run even though the database holds real reports.")
        var force: Bool
    }

    var help: String { "Fills the database with synthetic reports (refuses on real data unless --force)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        guard let count = signature.count, (1...1_000_000).contains(count) else {
            throw CommandFailure("--count must be a number from 1 to 1000000")
        }
        let app = context.application
        let real = try await Report.query(on: app.db).filter(\.$isDemo == false).count()
        if real > 0 && !signature.force {
            throw CommandFailure(
                "the database holds \(real) real reports; refusing to mix in synthetic ones (use --force)")
        }
        let made = try await DemoData.make(count: count, published: signature.published, app: app, on: app.db)
        // The planner learns what the load changed before a server plans a query on it.
        try await PlannerStatistics.refresh(on: app.db)
        context.console.print("Made \(made) synthetic reports\(signature.published ? ", published" : "").")
    }
}

enum DemoData {
    /// Makes `count` synthetic reports in batches of one transaction each.
    static func make(
        count: Int, published: Bool, app: Application, on database: any Database, seed: UInt64? = nil
    )
        async throws -> Int
    {
        let seed = seed ?? UInt64.random(in: 1 ... .max)
        let cities = try await allCities(on: database)
        guard !cities.isEmpty else { return 0 }
        // Receipts of synthetic reports are never handed out: one hash under a throwaway key,
        // which no code can match, serves them all.
        let placeholderHash = ReceiptCode.keyedHash(for: ReceiptCode.generate(), key: SymmetricKey(size: .bits256))
        let today = Date()
        // The last two years' days, written once: formatting a date per report cost more than
        // making the rest of it.
        let days = (0..<730).map { KazakhstanTime.dayString(today.addingTimeInterval(-Double($0) * 86400)) }
        // One connection for the whole load, tuned for it while it lasts.
        return try await database.withConnection { connection in
            let sqlite = (connection as? any SQLDatabase).flatMap { $0.dialect.name == "sqlite" ? $0 : nil }
            for pragma in bulkLoadingPragmas { try await sqlite?.raw(SQLQueryString(pragma)).run() }
            do {
                var random = SplitMix(seed: seed)
                let made = try await write(
                    count: count, cities: cities, on: connection,
                    random: &random,
                    make: { city, random in
                        let (report, retold) = makeReport(
                            city: city, days: days, random: &random, hash: placeholderHash)
                        report.id = UUID()
                        if published {
                            ModerationService.applyPublicVersion(
                                to: report, text: retold, precision: .grid250,
                                cityCentre: .init(latitude: city.latitude, longitude: city.longitude),
                                key: app.secrets.locationKey, now: today)
                        }
                        return report
                    })
                for pragma in defaultPragmas { try await sqlite?.raw(SQLQueryString(pragma)).run() }
                return made
            } catch {
                for pragma in defaultPragmas { try? await sqlite?.raw(SQLQueryString(pragma)).run() }
                throw error
            }
        }
    }

    /// SQLite while a million rows go in (issue #14): its default 2 MB page cache held a small
    /// part of the five indexes, so most of the load was the same pages read, spilled and
    /// checkpointed again and again; the statement journals of the statistics triggers went to
    /// a temporary file. Set on the loading connection only, and put back after.
    static let bulkLoadingPragmas = [
        "PRAGMA cache_size=-262144", "PRAGMA temp_store=MEMORY", "PRAGMA wal_autocheckpoint=16384",
    ]
    static let defaultPragmas = [
        "PRAGMA cache_size=-2000", "PRAGMA temp_store=DEFAULT", "PRAGMA wal_autocheckpoint=1000",
    ]

    private static func write(
        count: Int, cities: [City], on database: any Database,
        random: inout SplitMix, make: (City, inout SplitMix) -> Report
    ) async throws -> Int {
        // Bigger cities get more reports: weight by position in the population-ordered list.
        let weights = cities.indices.map { 1.0 / Double($0 + 2) }
        let totalWeight = weights.reduce(0, +)
        var made = 0
        // The next batch is made while the last one is written: one core makes reports, the
        // other runs the database.
        var writing: Task<Void, any Error>?
        while made < count {
            var reports: [Report] = []
            for _ in 0..<min(500, count - made) {
                var pick = random.unit() * totalWeight
                var city = cities[0]
                for (index, weight) in weights.enumerated() {
                    pick -= weight
                    if pick <= 0 {
                        city = cities[index]
                        break
                    }
                }
                reports.append(make(city, &random))
            }
            let batch = reports
            try await writing?.value
            writing = Task {
                try await database.transaction { transaction in
                    // One INSERT for the whole batch, in row order: random row numbers hide nothing
                    // in synthetic data and would scatter a million inserts across the table.
                    try await ReportRows.insert(batch, randomRowIDs: false, on: transaction)
                    try await PublicChanges.bump(nil, on: transaction)
                }
            }
            made += batch.count
        }
        try await writing?.value
        return made
    }

    /// A synthetic report and the public text a moderator would write for it.
    static func makeReport(city: City, days: [String], random: inout SplitMix, hash: String) -> (Report, String) {
        func pick<T>(_ items: [T]) -> T { items[Int(random.unit() * Double(items.count)) % items.count] }
        let report = Report()
        // From the system's generator, not `random`: the seeded stream stays what it was, so a
        // seed still makes the same reports.
        report.disclosureKey = Disclosure.newRecordKey()
        report.status = ReportStatus.pending.rawValue
        report.role = random.unit() < 0.7 ? ReporterRole.victim.rawValue : ReporterRole.witness.rawValue
        report.incidentDate = days[Int(random.unit() * Double(days.count)) % days.count]
        let hour = Int(random.unit() * 24)
        func twoDigits(_ number: Int) -> String { number < 10 ? "0\(number)" : "\(number)" }
        report.incidentTime = random.unit() < 0.5 ? twoDigits(hour) + ":" + twoDigits(Int(random.unit() * 60)) : nil
        report.timeBand = TimeBand(hour: hour).rawValue
        // Within about 6 km of the centre, and always inside the country's box.
        let latitude = city.latitude + (random.unit() - 0.5) * 0.1
        let longitude = city.longitude + (random.unit() - 0.5) * 0.14
        report.latitude = min(max(latitude, KazakhstanBounds.latitude.lowerBound), KazakhstanBounds.latitude.upperBound)
        report.longitude = min(
            max(longitude, KazakhstanBounds.longitude.lowerBound), KazakhstanBounds.longitude.upperBound)
        report.city = city.id ?? ""
        let place = pick([
            PlaceType.street, .street, .public_transport, .public_transport, .taxi, .workplace, .education, .shop_cafe,
            .park, .online, .residential, .other,
        ])
        report.placeType = place.rawValue
        var kinds = [
            pick([
                HarassmentKind.catcalling, .verbal, .verbal, .nonverbal, .physical, .stalking, .coercion, .gender,
                .cyber, .bullying, .discrimination,
            ])
        ]
        if random.unit() < 0.4 {
            let second = pick(HarassmentKind.allCases)
            if !kinds.contains(second) { kinds.append(second) }
        }
        report.kinds = kinds
        let known = place == .workplace || place == .education || random.unit() < 0.3
        report.perpetrator = known ? Perpetrator.known.rawValue : Perpetrator.stranger.rawValue
        report.perpetratorRelation =
            known
            ? (place == .workplace
                ? pick([PerpetratorRelation.colleague, .superior])
                : place == .education ? .superior : pick(PerpetratorRelation.allCases)).rawValue
            : nil
        report.perpetratorCount = random.unit() < 0.8 ? PerpetratorCount.one.rawValue : PerpetratorCount.group.rawValue
        report.prevented = random.unit() < 0.35
        report.preventedBy = report.prevented ? pick(PreventedBy.allCases).rawValue : nil
        let language = pick([Language.ru, .ru, .kk, .en])
        let stories = stories[language] ?? []
        let story = stories[Int(random.unit() * Double(stories.count)) % stories.count]
        report.description = story.told + " " + pick(endings[language] ?? [])
        // The evidence fields are optional: about a third of people leave each one out.
        report.recurrence = random.unit() < 0.7 ? (random.unit() < 0.45 ? Recurrence.repeated : .once).rawValue : nil
        if random.unit() < 0.65 {
            let told = random.unit() < 0.55 ? [ToldWhom.nobody] : [pick([ToldWhom.police, .employer_school, .hotline])]
            report.toldWhom = told
            if told != [.nobody] && random.unit() < 0.8 { report.toldOutcome = pick(ToldOutcome.allCases).rawValue }
        }
        report.ageBand = random.unit() < 0.6 ? pick(AgeBand.allCases).rawValue : nil
        report.gender =
            random.unit() < 0.7 ? pick([Gender.woman, .woman, .woman, .man, .other, .unsaid]).rawValue : nil
        report.publishConsent = random.unit() < 0.85
        report.source = random.unit() < 0.6 ? ReportSource.web.rawValue : ReportSource.telegram.rawValue
        report.language = language.rawValue
        report.isDemo = true
        report.receiptLookup = "demo"
        report.receiptHash = hash
        report.createdAt = KazakhstanTime.toTheHour(Date())
        return (report, story.retold)
    }

    /// What a reporter might write, and the moderator's retelling of it for the public map.
    static let stories: [Language: [(told: String, retold: String)]] = [
        .ru: [
            (
                "Незнакомый мужчина шёл за мной от остановки и выкрикивал комментарии о моей внешности.",
                "Незнакомец преследовал человека от остановки и отпускал замечания о внешности."
            ),
            (
                "В автобусе человек несколько раз прижимался ко мне, хотя места было достаточно.",
                "В автобусе мужчина несколько раз прижимался к пассажирке, хотя места было много."
            ),
            (
                "Руководитель на планёрке снова отпускал сальные шутки и намекал на «особое отношение».",
                "Руководитель на совещании шутил на сексуальные темы и намекал на «особое отношение»."
            ),
            (
                "Таксист всю дорогу задавал личные вопросы и предлагал «продолжить вечер».",
                "Водитель такси задавал личные вопросы и настойчиво предлагал «продолжить вечер»."
            ),
            (
                "Группа парней у торгового центра свистела и не давала пройти.",
                "Группа молодых людей у торгового центра свистела вслед и преграждала дорогу."
            ),
            (
                "В мессенджере неизвестный присылает сообщения с угрозами и неприличными фото.",
                "Неизвестный присылает в мессенджере угрозы и непристойные изображения."
            ),
            (
                "Коллега постоянно комментирует мою одежду и трогает за плечо.",
                "Коллега регулярно комментирует одежду и прикасается без согласия."
            ),
        ],
        .kk: [
            (
                "Аялдамадан бастап бейтаныс адам артымнан еріп, дөрекі сөздер айтты.",
                "Бейтаныс адам аялдамадан бастап соңынан еріп, дөрекі сөздер айтқан."
            ),
            (
                "Автобуста бір адам орын бос болса да маған жабыса берді.",
                "Автобуста бір ер адам орын көп болса да жолаушыға қайта-қайта жабысқан."
            ),
            (
                "Әріптесім жиналыста жеке өмірім туралы ұятсыз әзілдер айтты.",
                "Әріптесі жиналыста жеке өмір туралы әдепсіз әзілдер айтқан."
            ),
            (
                "Әлеуметтік желіде белгісіз адам қорқыту хабарламаларын жібереді.",
                "Белгісіз біреу әлеуметтік желіде қорқытып жазады."
            ),
        ],
        .en: [
            (
                "A stranger followed me from the bus stop and shouted comments about my body.",
                "A stranger followed someone from a bus stop, shouting remarks about their body."
            ),
            (
                "On the bus a man kept pressing against me although there was plenty of room.",
                "On a bus a man kept pressing against a passenger although there was room."
            ),
            (
                "My manager made sexual jokes in a meeting and hinted at a promotion in exchange.",
                "At a meeting a manager made sexual jokes and hinted that a promotion could be had in return."
            ),
            (
                "Someone I do not know keeps sending me threatening messages online.",
                "An unknown person keeps sending threatening messages online."
            ),
        ],
    ]

    static let endings: [Language: [String]] = [
        .ru: [
            "Было очень неприятно и страшно.", "Никто вокруг не вмешался.", "Я не знала, что делать.",
            "Это повторяется уже не в первый раз.",
        ],
        .kk: ["Өте қорқынышты болды.", "Айналадағылар араласпады.", "Бұл бірінші рет емес."],
        .en: ["It was frightening.", "Nobody around stepped in.", "It is not the first time."],
    ]
}

/// A small seeded generator so demo data can be reproduced in tests and benchmarks.
struct SplitMix {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(UInt64(1) << 53) }
}
