import Foundation
import Logging

@testable import App

/// Every log line of this test process, once `LogCapture.shared` has been touched.
///
/// The logging system can be set up only once per process, so the capture is installed the
/// first time a test asks for it and stays; lines are also printed so failures stay readable.
final class LogCapture: @unchecked Sendable {
    static let shared: LogCapture = {
        let capture = LogCapture()
        // The same filter as production, around a handler that keeps every line.
        LoggingSystem.bootstrap { label in PrivacyLogHandler(wrapped: CapturingHandler(label: label, capture: capture))
        }
        return capture
    }()

    private let lock = NSLock()
    private var lines: [String] = []

    var text: String { lock.withLock { lines.joined(separator: "\n") } }

    fileprivate func append(_ line: String) { lock.withLock { lines.append(line) } }

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
