import FluentKit
import Foundation
import SQLKit

/// SPEC §6's one disclosure rule, for every number that counts reports beyond their public pins:
/// the statistics (page, API, bot), releases and their city pages, the density layer's city
/// figures. Pins are public one by one, so counts of pins alone need none of this.
///
/// What an attacker can do with published numbers is subtract them: two answers whose reports
/// differ by one report (a month more, a filter off, a day later) describe that report. So:
/// - the reports an answer selects count in whole groups of ten, in the order they were
///   published (the hour, then the key): the newest that do not make a group of ten wait. Any
///   number made from a set of reports stays the same while the set does, so without this an
///   answer asked just before and just after one publication (or withdrawal) would change only
///   where that report counts, and name its answers; now an answer changes only when ten enter
///   together, or two swap places when one leaves;
/// - an answer that selects fewer than ``minimumReports`` reports shows only "fewer than 10";
/// - every count is rounded to a multiple of 5 at random, up with a chance of its remainder in
///   fifths (Statistics New Zealand's random rounding), with the chance drawn from the sum of
///   the counted reports' secret keys (the ONS cell-key method): the same reports always round
///   the same way however they are asked for, so asking again teaches nothing, while one report
///   more changes the draw. A fixed rule (7 shows 5, 8 shows 10) would name the added report's
///   answer whenever a count crossed a boundary; with random rounding every pair of shown
///   numbers that one report apart can give is also given by counts that differ by none;
/// - a zero shows as "fewer than 5", like 1 to 4: a 0 beside a "fewer than 5" one report later
///   would say which answer that report gave;
/// - within a group of counts that add up to a whole (the answers of a single-answer question),
///   a second count is hidden wherever the whole minus the others would narrow a
///   "fewer than 5" (``protect(_:addingUpTo:isAnswer:)``).
enum Disclosure {
    /// Fewer reports than this and an answer shows no number and no breakdown.
    static let minimumReports = 10
    /// Reports enter an answer in groups of this many, in the order they were published.
    static let group = 10
    static let base = 5

    /// The sum of the selected reports' keys, as a query column. PostgreSQL sums a `bigint`
    /// column into a `numeric`; the cast brings it back to a 64-bit integer on both databases.
    static var keySum: any SQLExpression { SQLRaw("CAST(SUM(disclosure_key) AS BIGINT)") }

    /// A new report's key: random, kept with the report, and only ever read as part of a sum.
    static func newRecordKey() -> Int { Int.random(in: 1...Int(Int32.max)) }

    /// An exact count of reports and the sum of their keys: what a public count is made from.
    /// Both add up, so a tally of a group is the sum of its parts' tallies.
    struct Tally: Equatable, Sendable {
        var reports: Int
        var keys: Int64

        static let zero = Tally(reports: 0, keys: 0)

        init(reports: Int, keys: Int64) {
            self.reports = reports
            self.keys = keys
        }

        static func + (a: Tally, b: Tally) -> Tally { Tally(reports: a.reports + b.reports, keys: a.keys &+ b.keys) }
        static func += (a: inout Tally, b: Tally) { a = a + b }
        static func - (a: Tally, b: Tally) -> Tally { Tally(reports: a.reports - b.reports, keys: a.keys &- b.keys) }
    }

    /// The count as anyone may see it: a random multiple of 5, with 0 shown as "fewer than 5".
    static func round(_ tally: Tally) -> PublicCount {
        let remainder = tally.reports % base
        var rounded = tally.reports - remainder
        if remainder > 0 && draw(tally.keys) * Double(base) < Double(remainder) { rounded += base }
        return rounded <= 0 ? .fewerThanFiveReports : PublicCount(rounded: rounded)
    }

    /// The count of a whole answer: "fewer than 10" below the threshold, else rounded.
    static func roundTotal(_ tally: Tally) -> PublicCount {
        tally.reports < minimumReports ? .fewerThanTenReports : round(tally)
    }

    /// The total of an answer that selects `matching` reports: they count in whole groups of
    /// ten, so "fewer than 10", or 10, 20, 30…
    static func groupedTotal(_ matching: Int) -> PublicCount {
        matching < minimumReports ? .fewerThanTenReports : PublicCount(rounded: matching / group * group)
    }

    /// One of the newest reports that match an answer's filters and do not yet make a whole
    /// group of ten: its answers, taken off the counts until the group is complete.
    struct Waiting: Sendable {
        var tally: Tally
        var prevented: Bool
        /// Column → raw value (nil for none), for the columns asked for.
        var answers: [String: String?]
    }

    /// The `count` newest reports that match `filters` (by publication hour, then key), which
    /// an answer leaves out. Publishing one report then changes no answer until it completes a
    /// group of ten, and a changed answer says only that some of those ten gave an answer.
    static func waiting(
        _ count: Int, of filters: IncidentFilters, answers columns: [String], on database: any Database
    ) async throws -> [Waiting] {
        guard count > 0 else { return [] }
        let query = try database.sql().select().column("disclosure_key").column("prevented")
            .columns(columns.map { SQLColumn($0) }).from(Report.schema)
            .orderBy("published_at", .descending).orderBy("disclosure_key", .descending)
            .orderBy("id", .descending).limit(count)
        return try await filters.apply(to: query, pinsOnly: false).all().map { row in
            var answers: [String: String?] = [:]
            for column in columns {
                answers[column] =
                    try row.decodeNil(column: column) ? nil : try row.decode(column: column, as: String.self)
            }
            return Waiting(
                tally: Tally(reports: 1, keys: Int64(try row.decode(column: "disclosure_key", as: Int.self))),
                prevented: try row.decode(column: "prevented", as: Bool.self), answers: answers)
        }
    }

    /// A number in [0, 1) drawn from a sum of keys (SplitMix64's finaliser): the sums of two
    /// groups that differ by one report differ by that report's secret key, so their draws are
    /// unrelated.
    static func draw(_ keys: Int64) -> Double {
        var z = UInt64(bitPattern: keys) &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) / Double(UInt64(1) << 53)
    }

    /// Every exact count a public count admits, as a reader who knows these rules would reason.
    static func bounds(_ count: PublicCount) -> ClosedRange<Int> {
        if count.suppressed { return 0...Int(Int32.max) }
        if count.fewerThanTen { return 0...(minimumReports - 1) }
        guard let shown = count.count else { return 0...(base - 1) }
        return max(0, shown - base + 1)...(shown + base - 1)
    }

    /// Secondary suppression: `cells` are the answers of one single-answer question, adding up
    /// to `whole`. Wherever the whole minus the other cells would say more about a
    /// "fewer than 5" than "0 to 4", the smallest shown cell is hidden too, until none would.
    /// A whole answer that shows a number holds at least ``minimumReports`` (`isAnswer`).
    static func protect(
        _ cells: [PublicCount], addingUpTo whole: PublicCount, isAnswer: Bool = false
    )
        -> [PublicCount]
    {
        var cells = cells
        var wholeBounds = bounds(whole)
        if isAnswer && whole.count != nil {
            wholeBounds = max(wholeBounds.lowerBound, minimumReports)...max(wholeBounds.upperBound, minimumReports)
        }
        while let exposed = cells.indices.first(where: { isNarrowed($0, cells, whole: wholeBounds) }) {
            let candidates = cells.indices.filter { $0 != exposed && cells[$0].count != nil }
            guard let hide = candidates.min(by: { (cells[$0].count ?? 0, $0) < (cells[$1].count ?? 0, $1) }) else {
                break
            }
            cells[hide] = .suppressedCell
        }
        return cells
    }

    /// Whether subtracting the other cells from the whole narrows cell `index`, a
    /// "fewer than 5", to less than all of 0 to 4.
    private static func isNarrowed(_ index: Int, _ cells: [PublicCount], whole: ClosedRange<Int>) -> Bool {
        guard cells[index].fewerThanFive else { return false }
        var othersLow = 0
        var othersHigh = 0
        for (other, cell) in cells.enumerated() where other != index {
            let range = bounds(cell)
            othersLow += range.lowerBound
            othersHigh = min(Int(Int32.max), othersHigh + range.upperBound)
        }
        let low = whole.lowerBound - othersHigh
        let high = whole.upperBound - othersLow
        return low > 0 || high < base - 1
    }
}
