import Fluent
import SQLKit

/// Multi-statement write transactions that may meet on SQLite wait their turn here.
///
/// SQLite takes one writer at a time, and each statement of a transaction runs as its own job
/// on the blocking thread pool (as many threads as cores: two here). A transaction that waits
/// in SQLite's busy handler holds one of those threads while the transaction it waits for needs
/// one to finish, so two such waits stall every query for the busy timeout. Queuing in our
/// process instead keeps the threads free. PostgreSQL locks rows and needs no queue; the
/// compare-and-set inside each transaction is what keeps several servers correct.
enum SerialWrites {
    private static let queue = AsyncGate(width: 1)

    static func transaction<T: Sendable>(
        on database: any Database, _ body: @escaping @Sendable (any Database) async throws -> T
    ) async throws -> T {
        guard (database as? any SQLDatabase)?.dialect.name == "sqlite" else {
            return try await database.transaction(body)
        }
        // Already inside a transaction (the bot's, which records the update as handled): it
        // holds SQLite's writer, so waiting in the queue behind a write that waits for that
        // writer would stall both.
        if database.inTransaction { return try await body(database) }
        await queue.enter()
        do {
            let result = try await database.transaction(body)
            await queue.leave()
            return result
        } catch {
            await queue.leave()
            throw error
        }
    }
}

/// A counting semaphore for async code: `enter` waits while `width` holders are inside, and
/// places are handed over in the order they were asked for.
actor AsyncGate {
    private let width: Int
    private var inside = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(width: Int) { self.width = width }

    func enter() async {
        if inside < width {
            inside += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    /// Hands the place to the longest waiter, or frees it.
    func leave() {
        if waiting.isEmpty {
            inside -= 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}
