import Fluent
import Foundation
import SQLKit

/// Makes deleted words leave the disk, not only the tables (issue #10): a withdrawn report, a
/// deleted contact or a finished bot conversation must not linger in free pages or in the
/// write-ahead log where anyone holding the files could read them.
enum StorageHygiene {
    private static func sql(_ database: any Database, dialect: String) -> (any SQLDatabase)? {
        guard let sql = database as? any SQLDatabase, sql.dialect.name == dialect else { return nil }
        return sql
    }

    /// SQLite overwrites freed space with zeros from here on in this connection. Also set at
    /// start-up for every connection; repeated inside each deleting transaction, whose
    /// connection it is certain to reach.
    static func overwriteDeletedContent(on database: any Database) async throws {
        try await sql(database, dialect: "sqlite")?.raw("PRAGMA secure_delete=ON").run()
    }

    /// Copies SQLite's write-ahead log into the database file and empties it, so the log no
    /// longer holds earlier versions of deleted rows. Inside a transaction it does nothing: the
    /// caller folds the log after committing.
    static func foldWriteAheadLog(on database: any Database) async throws {
        guard !database.inTransaction, let sqlite = sql(database, dialect: "sqlite") else { return }
        // A reader that is still busy blocks the fold for a moment; try a few times.
        for _ in 0..<20 {
            let row = try await sqlite.raw("PRAGMA wal_checkpoint(TRUNCATE)").first()
            if (try row?.decode(column: "busy", as: Int.self)) ?? 0 == 0 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// PostgreSQL records the transaction that wrote each row (`xmin`) and keeps rows in the
    /// order they were written; the hourly job rewrites the reports of the last hours in one
    /// transaction, in random order, so neither tells which came first any more.
    static func blurWritingOrder(since: Date, on database: any Database) async throws {
        guard sql(database, dialect: "postgresql") != nil else { return }
        let ids = try await Report.query(on: database).filter(\.$createdAt >= since).all(\.$id).shuffled()
        guard !ids.isEmpty else { return }
        try await database.transaction { transaction in
            guard let sql = transaction as? any SQLDatabase else { return }
            for id in ids {
                try await sql.update(Report.schema).set(SQLColumn("status"), to: SQLColumn("status"))
                    .where("id", .equal, SQLBind(id)).run()
            }
        }
    }

    /// PostgreSQL keeps deleted rows until a VACUUM reclaims their space; the retention job
    /// runs this after deleting.
    static func reclaimSpace(on database: any Database) async throws {
        try await sql(database, dialect: "postgresql")?.raw("VACUUM reports, bot_conversations").run()
    }
}
