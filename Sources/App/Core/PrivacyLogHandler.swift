import Logging

/// Wraps the real log handler and drops what database libraries say below `notice`.
///
/// FluentKit logs every query with its input at `debug` ("Running query … description: …"), and
/// the drivers do the same at `trace`, so with verbose logging report texts and contacts would
/// reach the log (SPEC rule 1). Their warnings and errors still pass.
struct PrivacyLogHandler: LogHandler {
    static let databaseSources: Set<String> = [
        "FluentKit", "FluentSQL", "SQLKit", "SQLiteKit", "SQLiteNIO", "PostgresKit", "PostgresNIO",
        "FluentSQLiteDriver", "FluentPostgresDriver",
    ]

    var wrapped: any LogHandler

    var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue }
    }

    func log(
        level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String,
        function: String, line: UInt
    ) {
        if level < .notice && Self.databaseSources.contains(source) { return }
        wrapped.log(
            level: level, message: message, metadata: metadata, source: source, file: file, function: function,
            line: line)
    }
}
