import Foundation
import Logging

@testable import App

/// The log lines of one test's application, through the same privacy filter as production.
///
/// A test makes its own capture and hands it to ``withApp(_:logs:_:)``; the application's
/// logger — which every request, the database and the bot log through — then writes here, so
/// what the test reads is what its own server said, not what another test running alongside did.
final class LogCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    var text: String { lock.withLock { lines.joined(separator: "\n") } }

    fileprivate func append(_ line: String) { lock.withLock { lines.append(line) } }

    /// A logger that writes into this capture.
    func logger(label: String = "codes.vapor.application") -> Logger {
        Logger(label: label) { label in PrivacyLogHandler(wrapped: CapturingHandler(label: label, capture: self)) }
    }

    struct CapturingHandler: LogHandler {
        let label: String
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(
            level: Logger.Level, message: Logger.Message, metadata extra: Logger.Metadata?, source: String,
            file: String, function: String, line: UInt
        ) {
            let all = metadata.merging(extra ?? [:]) { $1 }
            let rendered = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            capture.append("\(level) \(label): \(message) \(rendered)")
        }
    }
}
