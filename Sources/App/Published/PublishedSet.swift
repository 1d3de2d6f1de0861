import Fluent
import NIOConcurrencyHelpers
import NIOCore
import SQLKit
import Vapor

/// This instance's copy of the published reports' countable answers (issue #22), from which
/// every public view is computed: statistics, clusters, density, the incident list's totals.
/// No public request counts the reports table.
///
/// It follows the database's change counter (``PublicChanges``): a request reads the counter
/// when this process has made a change it has not yet seen, or once ``lifetime`` has passed
/// since the last read; when the counter moved, the changed reports are read again by id and
/// the copy, and every kept aggregate, is updated by just those reports. So a change shows
/// on this instance's next answer after it commits, and on another instance's within
/// ``lifetime`` — and a busy moderator costs a few small reads, never a recount.
///
/// Views are computed from a ``Snapshot`` together with the aggregates of the same version,
/// so a view is never made from one version and kept under another.
final class PublishedSet: Sendable {
    /// The published set at one version of the counter.
    struct Snapshot: Sendable {
        var version: Int64
        var records: RecordChunks
        var places: PlaceTable
        var cities: CityTable
    }

    /// An aggregate kept per filter set: made empty, then each matching record added (+1) or
    /// taken away (-1).
    private struct Kept<Value: Sendable> {
        var value: Value
        var filters: IncidentFilters
        var filter: RecordFilter
        var used: UInt64
    }

    /// One applied change: the records that left and came, from one version to the next.
    private struct Change {
        var from: Int64
        var to: Int64
        var removed: [PublishedRecord]
        var added: [PublishedRecord]
    }

    private struct State {
        var snapshot: Snapshot?
        /// When the counter must be read again.
        var trustedUntil = NIODeadline.uptimeNanoseconds(0)
        var syncing: Task<Snapshot, any Error>?
        /// How many aggregates were counted from a whole snapshot (for tests).
        var countings = 0
        /// Aggregates being counted, by kind and filter set.
        var building: [String: any Sendable] = [:]
        var placeCounts: [String: Kept<PlaceCounts>] = [:]
        var answerTallies: [String: Kept<AnswerTallies>] = [:]
        var uses: UInt64 = 0
        /// The last few changes, to bring an aggregate made from an older snapshot up to date.
        var history: [Change] = []
    }

    private let state = NIOLockedValueBox(State())
    /// How long the counter, once read, is trusted while this process changed nothing.
    let lifetime: TimeAmount
    /// How many filter sets keep their aggregates (each kind), least recently used dropped.
    let capacity: Int
    /// This process's changes (``PublicChanges/localChanges``; tests give their own).
    private let localChanges: @Sendable () -> PublicChanges.Local
    /// How long a change this process made is waited for (a rolled-back one never shows).
    static let expectationLimit = TimeAmount.seconds(10)
    static let historyLength = 64

    init(
        lifetime: TimeAmount = .seconds(1), capacity: Int = 128,
        localChanges: @escaping @Sendable () -> PublicChanges.Local = {
            PublicChanges.localChanges.withLockedValue { $0 }
        }
    ) {
        self.lifetime = lifetime
        self.capacity = capacity
        self.localChanges = localChanges
    }

    // MARK: Reading

    /// The published set as of the counter's current version (see the type's comment).
    /// `database` must not be a transaction: a sync it starts may outlive the caller.
    func current(on database: any Database) async throws -> Snapshot {
        let local = localChanges()
        let now = NIODeadline.now()
        let (fresh, task) = state.withLockedValue { state -> (Snapshot?, Task<Snapshot, any Error>?) in
            if let snapshot = state.snapshot, now < state.trustedUntil,
                snapshot.version >= local.expected || now >= local.last + Self.expectationLimit
            {
                return (snapshot, nil)
            }
            if let running = state.syncing { return (nil, running) }
            let task = Task { try await self.sync(on: database) }
            state.syncing = task
            return (nil, task)
        }
        if let fresh { return fresh }
        let snapshot = try await task!.value
        // A sync that began before this process's change committed may not include it.
        let after = localChanges()
        if snapshot.version < after.expected && NIODeadline.now() < after.last + Self.expectationLimit {
            return try await syncAgain(on: database, seen: snapshot.version)
        }
        return snapshot
    }

    /// One more sync, unless another made the set newer than `seen` meanwhile.
    private func syncAgain(on database: any Database, seen: Int64) async throws -> Snapshot {
        let (newer, task) = state.withLockedValue { state -> (Snapshot?, Task<Snapshot, any Error>?) in
            if let snapshot = state.snapshot, snapshot.version > seen { return (snapshot, nil) }
            if let running = state.syncing { return (nil, running) }
            let task = Task { try await self.sync(on: database) }
            state.syncing = task
            return (nil, task)
        }
        if let newer { return newer }
        return try await task!.value
    }

    /// Counts per public point and city (clusters, density, totals) of what the filters
    /// select (their box aside), with the snapshot they were counted from.
    func placeCounts(_ filters: IncidentFilters, on database: any Database) async throws -> (Snapshot, PlaceCounts) {
        try await aggregate(
            filters, at: \.placeCounts, make: { PlaceCounts(places: $0.places.count, cities: $0.cities.count) },
            add: Self.addPlace, on: database)
    }

    /// Tallies of every answer of what the filters select (statistics), with their snapshot.
    func answerTallies(
        _ filters: IncidentFilters, on database: any Database
    ) async throws
        -> (Snapshot, AnswerTallies)
    {
        try await aggregate(
            filters, at: \.answerTallies, make: { _ in AnswerTallies() }, add: Self.addAnswers, on: database)
    }

    private static func addPlace(_ value: inout PlaceCounts, _ record: PublishedRecord, _ sign: Int) {
        value.add(record, Int32(sign))
    }

    private static func addAnswers(_ value: inout AnswerTallies, _ record: PublishedRecord, _ sign: Int) {
        value.add(record, sign)
    }

    private func aggregate<Value: Sendable>(
        _ filters: IncidentFilters, at path: WritableKeyPath<State, [String: Kept<Value>]>,
        make: @escaping @Sendable (Snapshot) -> Value,
        add: @escaping @Sendable (inout Value, PublishedRecord, Int) -> Void, on database: any Database
    ) async throws -> (Snapshot, Value) {
        var filters = filters
        filters.bbox = nil
        let snapshot = try await current(on: database)
        let key = filters.cacheKey
        // Kept aggregates follow every change, so they are always of the latest snapshot.
        if let kept = state.withLockedValue({ state -> (Snapshot, Value)? in
            guard let latest = state.snapshot, var kept = state[keyPath: path][key] else { return nil }
            state.uses += 1
            kept.used = state.uses
            state[keyPath: path][key] = kept
            return (latest, kept.value)
        }) {
            return kept
        }
        // Counted once for all who ask at the same time: a new filter set asked by many at
        // once must not be counted by each.
        let slot = "\(Value.self)|\(key)"
        let unboxed = filters
        let task = state.withLockedValue { state -> Task<(Snapshot, Value), Never> in
            if let running = state.building[slot] as? Task<(Snapshot, Value), Never> { return running }
            let task = Task {
                self.count(unboxed, key: key, from: snapshot, at: path, make: make, add: add)
            }
            state.building[slot] = task
            return task
        }
        let result = await task.value
        state.withLockedValue { state in
            if state.building[slot] as? Task<(Snapshot, Value), Never> == task { state.building[slot] = nil }
        }
        return result
    }

    /// Counts an aggregate from the snapshot, outside the lock; then brings it up to the set's
    /// version through the changes applied meanwhile, and keeps it.
    private func count<Value: Sendable>(
        _ filters: IncidentFilters, key: String, from snapshot: Snapshot,
        at path: WritableKeyPath<State, [String: Kept<Value>]>, make: (Snapshot) -> Value,
        add: (inout Value, PublishedRecord, Int) -> Void
    ) -> (Snapshot, Value) {
        state.withLockedValue { $0.countings += 1 }
        let filter = RecordFilter(filters, cities: snapshot.cities)
        var value = make(snapshot)
        snapshot.records.forEach { record in
            if filter.matches(record) { add(&value, record, 1) }
        }
        let made = value
        return state.withLockedValue { state -> (Snapshot, Value) in
            guard let latest = state.snapshot else { return (snapshot, made) }
            var value = made
            var at = snapshot.version
            var filter = filter
            for change in state.history where change.from == at && at < latest.version {
                filter = RecordFilter(filters, cities: latest.cities)
                for record in change.removed where filter.matches(record) { add(&value, record, -1) }
                for record in change.added where filter.matches(record) { add(&value, record, 1) }
                at = change.to
            }
            guard at == latest.version else { return (snapshot, made) }
            state.uses += 1
            state[keyPath: path][key] = Kept(value: value, filters: filters, filter: filter, used: state.uses)
            while state[keyPath: path].count > capacity,
                let oldest = state[keyPath: path].min(by: { $0.value.used < $1.value.used })?.key
            {
                state[keyPath: path].removeValue(forKey: oldest)
            }
            return (latest, value)
        }
    }

    /// How many aggregates this instance has counted from a whole snapshot so far.
    var countings: Int { state.withLockedValue { $0.countings } }

    // MARK: Following the counter

    private func sync(on database: any Database) async throws -> Snapshot {
        defer { state.withLockedValue { $0.syncing = nil } }
        let version = try await PublicChanges.current(on: database)
        let known = state.withLockedValue { $0.snapshot }
        guard let known else {
            let loaded = try await Self.load(version: version, on: database)
            return install(loaded)
        }
        if version == known.version {
            return state.withLockedValue { state in
                state.trustedUntil = .now() + lifetime
                return state.snapshot ?? known
            }
        }
        if version < known.version {
            // The database went back (restored, or a test's fresh one): start again.
            return install(try await Self.load(version: version, on: database))
        }
        let log = try await PublicChanges.log(after: known.version, upTo: version, on: database)
        guard log.count == Int(version - known.version), !log.values.contains(where: \.isEmpty) else {
            return install(try await Self.load(version: version, on: database))
        }
        let ids = Array(Set(log.values.joined()))
        var fresh: [any SQLRow] = []
        var start = 0
        while start < ids.count {
            fresh += try await Self.select(on: database).where(
                "id", .in, Array(ids[start..<min(start + 500, ids.count)])
            )
            .all()
            start += 500
        }
        // The copy is changed outside the lock (finding a report among a million takes a
        // moment; syncs run one at a time, so nothing else changes it meanwhile), then put in
        // place with every kept aggregate brought along.
        var snapshot = known
        var removed: [PublishedRecord] = []
        for id in ids {
            if let record = snapshot.records.remove(id: id) { removed.append(record) }
        }
        var added: [PublishedRecord] = []
        for row in fresh {
            let record = try Self.record(row, places: &snapshot.places, cities: &snapshot.cities)
            snapshot.records.insert(record)
            added.append(record)
        }
        snapshot.version = version
        let changed = snapshot
        return state.withLockedValue { state -> Snapshot in
            guard state.snapshot?.version == known.version else { return state.snapshot ?? known }
            Self.apply(
                removed: removed, added: added, to: &state.placeCounts, cities: changed.cities, add: Self.addPlace)
            Self.apply(
                removed: removed, added: added, to: &state.answerTallies, cities: changed.cities, add: Self.addAnswers)
            state.history.append(Change(from: known.version, to: version, removed: removed, added: added))
            if state.history.count > Self.historyLength { state.history.removeFirst() }
            state.snapshot = changed
            state.trustedUntil = .now() + lifetime
            return changed
        }
    }

    private static func apply<Value>(
        removed: [PublishedRecord], added: [PublishedRecord], to kept: inout [String: Kept<Value>],
        cities: CityTable, add: (inout Value, PublishedRecord, Int) -> Void
    ) {
        for key in kept.keys {
            // A filter naming a city the set had not seen matches nothing until the city appears.
            if kept[key]!.filter.matchesNothing {
                kept[key]!.filter = RecordFilter(kept[key]!.filters, cities: cities)
            }
            let filter = kept[key]!.filter
            for record in removed where filter.matches(record) { add(&kept[key]!.value, record, -1) }
            for record in added where filter.matches(record) { add(&kept[key]!.value, record, 1) }
        }
    }

    /// Replaces the whole copy; every aggregate is counted again when next asked for.
    private func install(_ snapshot: Snapshot) -> Snapshot {
        state.withLockedValue { state in
            state.snapshot = snapshot
            state.trustedUntil = .now() + lifetime
            state.placeCounts = [:]
            state.answerTallies = [:]
            state.history = []
            return snapshot
        }
    }

    // MARK: Reading the database

    /// The text answers, joined into one column: decoding a column costs more than reading
    /// the row, so the million rows of a start come as six columns, not nineteen.
    static let packed = PublishedAnswers.single.map(\.column) + ["kinds", "told_whom", "city", "incident_date"]

    private static func select(on database: any Database) throws -> SQLSelectBuilder {
        let joined = packed.map { "COALESCE(\($0), '')" }.joined(separator: " || '|' || ")
        return try database.sql().select()
            .columns(
                ["id", "published_at", "disclosure_key", "public_latitude", "public_longitude", "prevented"].map {
                    SQLIdentifier($0)
                }
            )
            .column(SQLRaw(joined), as: "answers")
            .from(Report.schema).where("status", .equal, ReportStatus.published.rawValue)
    }

    /// The whole published set, read once at this version (its rows may be newer: the next
    /// sync reads those reports again).
    static func load(version: Int64, on database: any Database) async throws -> Snapshot {
        final class Loading: @unchecked Sendable {
            var records: [PublishedRecord] = []
            var places = PlaceTable()
            var cities = CityTable()
            var failure: (any Error)?
        }
        let loading = Loading()
        let lock = NIOLock()
        try await select(on: database).run { row in
            lock.withLock {
                do {
                    loading.records.append(try record(row, places: &loading.places, cities: &loading.cities))
                } catch {
                    loading.failure = error
                }
            }
        }
        return try lock.withLock {
            if let failure = loading.failure { throw failure }
            loading.records.sort(by: PublishedRecord.isBefore)
            return Snapshot(
                version: version, records: RecordChunks(sorted: loading.records), places: loading.places,
                cities: loading.cities)
        }
    }

    static func record(
        _ row: any SQLRow, places: inout PlaceTable, cities: inout CityTable
    ) throws
        -> PublishedRecord
    {
        let answers = try row.decode(column: "answers", as: String.self).split(
            separator: "|", omittingEmptySubsequences: false)
        guard answers.count == packed.count else { throw AppError.internalError }
        var codes = SIMD16<UInt8>()
        for question in PublishedAnswers.single.indices {
            codes[question] = PublishedAnswers.code(answers[question], question: question)
        }
        let singles = PublishedAnswers.single.count
        var place: Int32 = -1
        if let latitude = try row.decode(column: "public_latitude", as: Double?.self),
            let longitude = try row.decode(column: "public_longitude", as: Double?.self)
        {
            place = places.number(latitude: latitude, longitude: longitude)
        }
        let published = try row.decode(column: "published_at", as: Date?.self)
        return PublishedRecord(
            id: try row.decode(column: "id", as: UUID.self),
            publishedAt: Int64((published?.timeIntervalSince1970 ?? 0).rounded(.down)),
            key: Int32(truncatingIfNeeded: try row.decode(column: "disclosure_key", as: Int.self)),
            day: DayNumber.of(String(answers[singles + 3])) ?? PublishedRecord.noDay,
            place: place,
            city: cities.code(String(answers[singles + 2])),
            kinds: PublishedAnswers.bits(answers[singles], of: PublishedAnswers.kinds),
            toldWhom: PublishedAnswers.bits(answers[singles + 1], of: PublishedAnswers.toldWhom),
            prevented: try row.decode(column: "prevented", as: Bool.self),
            codes: codes)
    }
}

extension Application {
    private struct PublishedSetKey: StorageKey { typealias Value = PublishedSet }

    /// Set once in `configure`.
    var publishedSet: PublishedSet {
        get {
            guard let set = storage[PublishedSetKey.self] else { fatalError("publishedSet is set in configure") }
            return set
        }
        set { storage[PublishedSetKey.self] = newValue }
    }
}
