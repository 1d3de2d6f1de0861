import Fluent
import NIOConcurrencyHelpers
import Vapor

/// Group commit for new reports (issue #14): a disk flushes a few thousand times a second, so
/// one commit per report caps intake there and below. Reports that arrive while a commit is
/// flushing wait together and go in the next one; each request is answered only after the
/// commit that holds its report returned, so nothing is acknowledged before it is durable
/// (SPEC rule 3). One report that cannot be stored does not fail the others it was grouped
/// with: after a failed group, each is tried alone.
///
/// On PostgreSQL a group also shares one transaction id, so `xmin` says even less about which
/// report came first.
final class SubmissionWriter: Sendable {
    static let largestGroup = 256

    private struct Waiting {
        var report: Report
        var done: CheckedContinuation<Void, any Error>
    }
    private struct State {
        var waiting: [Waiting] = []
        var writing = false
        var commits = 0
    }
    private let state = NIOLockedValueBox(State())

    /// How many group commits there have been (for tests and the benchmark's curiosity).
    var commits: Int { state.withLockedValue { $0.commits } }

    /// Returns once the report is committed, with the reports that arrived alongside it.
    func store(_ report: Report, on database: any Database) async throws {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            let startWriting = state.withLockedValue { state -> Bool in
                state.waiting.append(Waiting(report: report, done: done))
                guard !state.writing else { return false }
                state.writing = true
                return true
            }
            if startWriting { Task { await self.write(on: database) } }
        }
    }

    /// Commits group after group until nobody waits.
    private func write(on database: any Database) async {
        while true {
            let group = state.withLockedValue { state -> [Waiting] in
                let taken = Array(state.waiting.prefix(Self.largestGroup))
                state.waiting.removeFirst(taken.count)
                if taken.isEmpty { state.writing = false }
                return taken
            }
            if group.isEmpty { return }
            do {
                try await Self.insert(group.map(\.report), on: database)
                state.withLockedValue { $0.commits += 1 }
                for waiting in group { waiting.done.resume() }
            } catch {
                for waiting in group {
                    do {
                        try await Self.insert([waiting.report], on: database)
                        waiting.done.resume()
                    } catch {
                        waiting.done.resume(throwing: error)
                    }
                }
            }
        }
    }

    private static func insert(_ reports: [Report], on database: any Database) async throws {
        // A group that was rolled back left its models marked as stored.
        for report in reports { report.$id.exists = false }
        try await SerialWrites.transaction(on: database) { transaction in
            try await ReportRows.insert(reports, randomRowIDs: true, on: transaction)
        }
    }
}

extension Application {
    private struct SubmissionWriterKey: StorageKey { typealias Value = SubmissionWriter }

    /// Set once in `configure`.
    var submissionWriter: SubmissionWriter {
        get { storage[SubmissionWriterKey.self] ?? SubmissionWriter() }
        set { storage[SubmissionWriterKey.self] = newValue }
    }
}
