import Fluent
import NIOConcurrencyHelpers
import NIOCore
import Vapor

/// Views of the published set (a page's bytes, a statistics answer, a zoom's clusters) per
/// key, for one version of the set (``PublishedSet``). Each instance keeps its own. A value is
/// kept under the version of the snapshot it was made from, never a later one; when the set
/// moves on, the old values are dropped and made again from the kept aggregates, which
/// followed the change. Past ``capacity`` the least recently used entry goes, so a flood of
/// rare keys cannot wipe the busy ones.
final class PublicViewCache<Value: Sendable>: Sendable {
    let capacity: Int
    private struct Entry {
        var value: Value
        var used: UInt64
    }
    private struct State {
        var version: Int64 = -1
        var entries: [String: Entry] = [:]
        var uses: UInt64 = 0
        /// Values being made: a busy page asked by many at once is made once, not by each.
        var making: [String: Task<Value, any Error>] = [:]
    }
    private let state = NIOLockedValueBox(State())
    /// The published set's version for a request (``PublishedSet/current(on:)``).
    private let version: @Sendable (any Database) async throws -> Int64

    init(
        capacity: Int = 64,
        version: @escaping @Sendable (any Database) async throws -> Int64 = { try await PublicChanges.current(on: $0) }
    ) {
        self.capacity = capacity
        self.version = version
    }

    /// A cache whose versions are the published set's.
    convenience init(capacity: Int = 64, following published: PublishedSet) {
        self.init(capacity: capacity) { try await published.current(on: $0).version }
    }

    /// How many values are kept now.
    var count: Int { state.withLockedValue { $0.entries.count } }

    func value(for key: String, version: Int64) -> Value? {
        state.withLockedValue { state in
            guard state.version == version, var entry = state.entries[key] else { return nil }
            state.uses += 1
            entry.used = state.uses
            state.entries[key] = entry
            return entry.value
        }
    }

    func store(_ value: Value, for key: String, version: Int64) {
        state.withLockedValue { state in
            if state.version > version { return }
            if state.version != version {
                state.version = version
                state.entries = [:]
            }
            state.uses += 1
            state.entries[key] = Entry(value: value, used: state.uses)
            if state.entries.count > capacity,
                let oldest = state.entries.min(by: { $0.value.used < $1.value.used })?.key
            {
                state.entries.removeValue(forKey: oldest)
            }
        }
    }

    /// The cached value for the set's current version, or `make()`'s.
    func value(
        for key: String, on database: any Database, make: @escaping @Sendable () async throws -> Value
    ) async throws -> Value {
        try await value(for: key, version: try await version(database), make: make)
    }

    /// The cached value for `version`, or `make()`'s, which must be made from that version.
    /// Requests that ask for the same missing value at once wait for one making of it.
    func value(
        for key: String, version: Int64, make: @escaping @Sendable () async throws -> Value
    ) async throws -> Value {
        let slot = "\(version)|\(key)"
        if let cached = value(for: key, version: version) { return cached }
        let task = state.withLockedValue { state -> Task<Value, any Error> in
            if let running = state.making[slot] { return running }
            let task = Task { try await make() }
            state.making[slot] = task
            return task
        }
        do {
            let made = try await task.value
            state.withLockedValue { _ = $0.making.removeValue(forKey: slot) }
            store(made, for: key, version: version)
            return made
        } catch {
            state.withLockedValue { _ = $0.making.removeValue(forKey: slot) }
            throw error
        }
    }
}

extension PublicViewCache where Value == ByteBuffer {
    /// An HTML page: kept under `key` for the published set's version, or drawn for this
    /// request alone when it has no key (a filter that does not parse, an odd path).
    func page(
        _ key: String?, on database: any Database, render: @escaping @Sendable () async throws -> View
    ) async throws -> Response {
        let page: ByteBuffer
        if let key {
            page = try await value(for: key, on: database) { try await render().data }
        } else {
            page = try await render().data
        }
        return Response(status: .ok, headers: ["Content-Type": "text/html; charset=utf-8"], body: .init(buffer: page))
    }
}
