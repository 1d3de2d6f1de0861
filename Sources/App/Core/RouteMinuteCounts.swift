import Foundation
import Logging
import NIOConcurrencyHelpers
import Vapor

/// What each route pattern answered in the current minute, logged at `info` once a minute, on
/// the minute: one line per route seen, with its count per status class and the median and
/// 99th percentile of its durations (issue #22). Requests one by one are only at `debug`.
///
/// A reporter's routes are never here (``RequestLogMiddleware``): a line a minute with their
/// timings would be a timing trail (SPEC §6); they keep their count on the hour.
///
/// Memory stays bounded whatever comes in: the keys are route patterns (`GET /api/v1/stats`,
/// never a concrete path), every request that matched no route is under `unmatched`, and the
/// durations of a route go into a fixed histogram, not a list.
final class RouteMinuteCounts: Sendable {
    /// The key of every request that matched no route.
    static let unmatched = "unmatched"

    /// One route's minute.
    struct Summary: Equatable, Sendable {
        var route: String
        /// Requests answered 1xx, 2xx, 3xx, 4xx and 5xx, in that order.
        var statusClasses: [Int]
        var p50: Double
        var p99: Double

        var count: Int { statusClasses.reduce(0, +) }
    }

    private struct Tally {
        var statusClasses = [Int](repeating: 0, count: 5)
        var durations = DurationHistogram()

        mutating func add(status: HTTPStatus, milliseconds: Double) {
            statusClasses[min(max(Int(status.code) / 100, 1), 5) - 1] += 1
            durations.add(milliseconds)
        }
    }

    private let tallies = NIOLockedValueBox<[String: Tally]>([:])

    /// Counts one request under its route pattern (``RouteMinuteCounts/unmatched`` for none).
    func add(_ route: String, status: HTTPStatus, milliseconds: Double) {
        tallies.withLockedValue { $0[route, default: Tally()].add(status: status, milliseconds: milliseconds) }
    }

    /// The minute so far, by route, which starts again from nothing.
    func take() -> [Summary] {
        let taken = tallies.withLockedValue { tallies in
            defer { tallies = [:] }
            return tallies
        }
        return taken.map { route, tally in
            Summary(
                route: route, statusClasses: tally.statusClasses, p50: tally.durations.quantile(0.5),
                p99: tally.durations.quantile(0.99))
        }
        .sorted { $0.route < $1.route }
    }

    /// Writes the minute so far, one `info` line per route, and starts again; nothing for a
    /// minute without requests.
    func flush(to logger: Logger) {
        for summary in take() {
            var metadata: Logger.Metadata = [
                "route": .string(summary.route),
                "p50_ms": .string(String(format: "%.1f", summary.p50)),
                "p99_ms": .string(String(format: "%.1f", summary.p99)),
            ]
            for (index, count) in summary.statusClasses.enumerated() where index > 0 || count > 0 {
                metadata["\(index + 1)xx"] = .stringConvertible(count)
            }
            logger.info("requests", metadata: metadata)
        }
    }

    /// The minute's lines, on the minute, while the server runs.
    static func schedule(_ app: Application) {
        let logger = app.logger
        let counts = app.requestCounts.minutes
        let clock = app.wallClock
        app.repeatWhileRunning(every: .zero) {
            guard (try? await clock.sleep(until: SystemWallClock.nextMinute(after: clock.now))) != nil else { return }
            counts.flush(to: logger)
        }
    }
}

/// Durations in milliseconds, counted in fixed buckets four to a doubling (each about 19 %
/// wider than the one before) from 1/128 ms to 131 s; shorter and longer ones go into the first
/// and last bucket. A quantile is read as the middle of its bucket, kept within the shortest
/// and longest duration seen, so between those ends it is off by less than a tenth.
struct DurationHistogram: Sendable {
    static let bucketsPerDoubling = 4.0
    /// The first bucket starts at 2^-7 ms.
    static let lowestPower = -7.0
    static let bucketCount = 96

    private(set) var buckets = [Int](repeating: 0, count: bucketCount)
    private(set) var count = 0
    private var shortest = Double.infinity
    private var longest = 0.0

    static func bucket(_ milliseconds: Double) -> Int {
        guard milliseconds > 0 else { return 0 }
        let index = ((log2(milliseconds) - lowestPower) * bucketsPerDoubling).rounded(.down)
        return Int(min(max(index, 0), Double(bucketCount - 1)))
    }

    /// The lower end of bucket `index`, in milliseconds.
    static func lowerBound(_ index: Int) -> Double { pow(2, Double(index) / bucketsPerDoubling + lowestPower) }

    mutating func add(_ milliseconds: Double) {
        let value = max(milliseconds, 0)
        buckets[Self.bucket(value)] += 1
        count += 1
        shortest = min(shortest, value)
        longest = max(longest, value)
    }

    /// The duration `q` (0 to 1) of the requests took at most (nearest rank); 0 when empty.
    func quantile(_ q: Double) -> Double {
        guard count > 0 else { return 0 }
        let rank = max(1, Int((q * Double(count)).rounded(.up)))
        var seen = 0
        for (index, inBucket) in buckets.enumerated() {
            seen += inBucket
            if seen >= rank {
                // The first and last buckets also hold what is shorter or longer than their
                // ends, so their middle says nothing: the shortest or longest is the answer.
                if index == 0 { return shortest }
                if index == Self.bucketCount - 1 { return longest }
                let middle = (Self.lowerBound(index) * Self.lowerBound(index + 1)).squareRoot()
                return min(max(middle, shortest), longest)
            }
        }
        return longest
    }
}
