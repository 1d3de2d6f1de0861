import Foundation
import Vapor

/// Tells the time and waits for a time of day: for work done at fixed times of the hour (the
/// moderators' notice, the hourly count of reporter requests), never a fixed delay after
/// something a reporter did (SPEC §6). Tests put a clock they move by hand in its place.
protocol WallClock: Sendable {
    var now: Date { get }
    /// Returns at `deadline` (at once if it has passed); throws if the task is cancelled.
    func sleep(until deadline: Date) async throws
}

extension WallClock {
    /// The first whole hour after `date`: minute :00, second 0.
    static func nextHour(after date: Date) -> Date {
        Date(timeIntervalSince1970: ((date.timeIntervalSince1970 / 3600).rounded(.down) + 1) * 3600)
    }

    /// The first whole minute after `date`: second 0.
    static func nextMinute(after date: Date) -> Date {
        Date(timeIntervalSince1970: ((date.timeIntervalSince1970 / 60).rounded(.down) + 1) * 60)
    }
}

/// The computer's clock.
struct SystemWallClock: WallClock {
    var now: Date { Date() }

    func sleep(until deadline: Date) async throws {
        // Task.sleep counts time the machine is up, the deadline is a time of day: wake at least
        // once a minute and look again, so a clock set right meanwhile is followed.
        while true {
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { return }
            try await Task.sleep(for: .milliseconds(Int64((min(left, 60) * 1000).rounded(.up))))
        }
    }
}

extension Application {
    private struct WallClockKey: StorageKey { typealias Value = any WallClock }

    /// The clock of work done at fixed times; the computer's unless a test set another.
    var wallClock: any WallClock {
        get { storage[WallClockKey.self] ?? SystemWallClock() }
        set { storage[WallClockKey.self] = newValue }
    }
}
