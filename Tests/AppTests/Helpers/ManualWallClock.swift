import Foundation

@testable import App

/// A ``WallClock`` that moves only when the test moves it: work waiting for a time of day
/// waits until the test sets the clock to it, so a test sees what happens at 12:59:59 and at
/// 13:00:00 without sleeping.
final class ManualWallClock: WallClock, @unchecked Sendable {
    private struct Sleeper {
        var id: UUID
        var deadline: Date
        var continuation: CheckedContinuation<Void, any Error>
    }

    private let lock = NSLock()
    private var current: Date
    private var sleepers: [Sleeper] = []
    private var cancelled: Set<UUID> = []
    private var watchers: [CheckedContinuation<Void, Never>] = []

    init(_ start: Date) { current = start }

    /// A clock set to a time of day in UTC, e.g. `at("2026-03-08T12:17:23.4Z")`.
    static func at(_ time: String) -> ManualWallClock {
        let format = ISO8601DateFormatter()
        format.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return ManualWallClock(format.date(from: time)!)
    }

    var now: Date { lock.withLock { current } }

    /// The times the work now waiting waits for.
    var deadlines: [Date] { lock.withLock { sleepers.map(\.deadline) } }

    func sleep(until deadline: Date) async throws {
        let id = UUID()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Outcome { case cancelled, due, waiting([CheckedContinuation<Void, Never>]) }
                let outcome: Outcome = lock.withLock {
                    if cancelled.remove(id) != nil { return .cancelled }
                    if deadline <= current { return .due }
                    sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    defer { watchers = [] }
                    return .waiting(watchers)
                }
                switch outcome {
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .due: continuation.resume()
                case .waiting(let watchers): for watcher in watchers { watcher.resume() }
                }
            }
        } onCancel: {
            let sleeper: Sleeper? = lock.withLock {
                guard let index = sleepers.firstIndex(where: { $0.id == id }) else {
                    cancelled.insert(id)
                    return nil
                }
                return sleepers.remove(at: index)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Returns once some work waits on this clock.
    func untilSomethingWaits() async {
        await withCheckedContinuation { (watcher: CheckedContinuation<Void, Never>) in
            let ready: Bool = lock.withLock {
                if !sleepers.isEmpty { return true }
                watchers.append(watcher)
                return false
            }
            if ready { watcher.resume() }
        }
    }

    /// Sets the clock; the work waiting for this time or earlier goes on.
    func set(_ date: Date) {
        let due: [Sleeper] = lock.withLock {
            current = date
            let due = sleepers.filter { $0.deadline <= date }
            sleepers.removeAll { $0.deadline <= date }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    func advance(by seconds: TimeInterval) { set(now.addingTimeInterval(seconds)) }
}
