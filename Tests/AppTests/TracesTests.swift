import Fluent
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import App

/// Issue #10, points 2 and 6: fewer traces on a shared phone and on the server's disk, and
/// reports stored before the review brought in line.
@Suite struct TracesTests {
    func mode(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int ?? -1) & 0o777
    }

    func temporaryFolder(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("dauys-\(name)-\(UUID())").path
    }

    @Test func theLanguageChoiceEndsWithTheBrowserSession() async throws {
        try await withApp { app in
            let response = try await app.send(.GET, "/?lang=kk")
            #expect(response.body.string.contains(#"lang="kk""#))
            let header = try #require(response.headers.first(name: .setCookie))
            #expect(header.hasPrefix("lang=kk"))
            #expect(!header.lowercased().contains("expires") && !header.lowercased().contains("max-age"), "\(header)")
        }
    }

    @Test(.enabled(if: !testsUsePostgres, "SQLite's files only exist on the SQLite run"))
    func theDatabaseSecretAndTilesAreOwnerOnlyWhateverTheUmask() async throws {
        let previous = umask(0)
        defer { umask(previous) }
        let folder = temporaryFolder("modes")
        try await withStandIn(TileProxyTests.tileServer) { upstream in
            try await withApp({ config in
                config.dataDirectory = folder
                config.database = .sqliteFile(path: folder + "/dauys.sqlite")
                config.secretFromEnvironment = nil
                config.tileURL = upstream.baseURL + "/{z}/{x}/{y}.png"
            }) { app in
                try await app.submitReport()
                #expect(try await app.send(.GET, "/tiles/12/2900/1500.png").status == .ok)
                for file in [
                    "dauys.sqlite", "dauys.sqlite-wal", "dauys.sqlite-shm", "secret.key", "tiles/12/2900/1500.png",
                ] {
                    #expect(
                        mode(folder + "/" + file) == 0o600, "\(file) is \(String(mode(folder + "/" + file), radix: 8))")
                }
                for directory in ["", "/tiles", "/tiles/12", "/tiles/12/2900"] {
                    #expect(mode(folder + directory) == 0o700, "\(folder + directory)")
                }
            }
        }
    }

    @Test func filesThatExistedOpenAreClosedToOthers() throws {
        let folder = temporaryFolder("existing")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        chmod(folder, 0o755)
        FileManager.default.createFile(atPath: folder + "/dauys.sqlite", contents: Data())
        chmod(folder + "/dauys.sqlite", 0o644)
        try PrivateFiles.makeDirectory(folder)
        try PrivateFiles.prepareDatabaseFile(folder + "/dauys.sqlite")
        #expect(mode(folder) == 0o700)
        #expect(mode(folder + "/dauys.sqlite") == 0o600)
    }

    @Test func theSecretCanLiveApartFromTheDatabase() throws {
        let data = temporaryFolder("data")
        let secretFile = temporaryFolder("secrets") + "/dauys-secret"
        #expect(throws: ConfigError.self) {
            _ = try AppConfig.fromEnvironment(["DAUYS_DATA_DIR": data, "DAUYS_SECRET_FILE": "relative/secret"])
        }
        #expect(throws: ConfigError.self) {
            _ = try AppConfig.fromEnvironment([
                "DAUYS_DATA_DIR": data, "DAUYS_SECRET_FILE": secretFile,
                "DAUYS_SECRET": SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64EncodedString(),
            ])
        }
        let config = try AppConfig.fromEnvironment(["DAUYS_DATA_DIR": data, "DAUYS_SECRET_FILE": secretFile])
        #expect(config.secretFile == secretFile)

        // Production never makes one up: the operator creates it and backs it up.
        #expect(throws: ConfigError.self) {
            _ = try Secrets.load(config: config, logger: Logger(label: "t"), production: true)
        }
        let first = try Secrets.load(config: config, logger: Logger(label: "t"))
        #expect(mode(secretFile) == 0o600)
        #expect(!FileManager.default.fileExists(atPath: data + "/" + Secrets.fileName))
        let again = try Secrets.load(config: config, logger: Logger(label: "t"), production: true)
        let bytes = { (key: SymmetricKey) in key.withUnsafeBytes { Data($0) } }
        #expect(bytes(first.contactKey) == bytes(again.contactKey))

        // In production a secret beside the data is not enough.
        var beside = config
        beside.secretFile = nil
        #expect(throws: ConfigError.self) {
            _ = try Secrets.load(config: beside, logger: Logger(label: "t"), production: true)
        }
    }

    @Test func reportsStoredBeforeTheReviewAreBroughtInLine() async throws {
        try await withApp { app in
            let code = try await app.submitReport()
            try await app.publish(receipt: code)
            let report = try await app.report(receipt: code)
            let exact = Date(timeIntervalSince1970: 1_750_000_000.123456)
            report.createdAt = exact
            report.publishedAt = exact.addingTimeInterval(3725)
            report.closedAt = nil
            report.publicLatitude = report.latitude + 0.00337
            report.publicLongitude = report.longitude - 0.00211
            try await report.save(on: app.db)
            let sql = try #require(app.db as? any SQLDatabase)
            try await sql.update(Report.schema).set("updated_at", to: SQLBind(exact)).run()

            try await ReviewStoredReportsForPrivacy(locationKey: app.secrets.locationKey).prepare(on: app.db)

            let reviewed = try await app.report(receipt: code)
            #expect(reviewed.createdAt == KazakhstanTime.toTheHour(exact))
            #expect(reviewed.publishedAt == KazakhstanTime.toTheHour(exact.addingTimeInterval(3725)))
            #expect(reviewed.closedAt == reviewed.publishedAt)
            let city = try #require(try await City.find(reviewed.city, on: app.db))
            let expected = PublicLocation.make(
                latitude: reviewed.latitude, longitude: reviewed.longitude, precision: .grid250,
                cityCentre: .init(latitude: city.latitude, longitude: city.longitude), key: app.secrets.locationKey)
            #expect(reviewed.publicLatitude == expected.latitude && reviewed.publicLongitude == expected.longitude)
            let stamped = try await sql.select().column("updated_at").from(Report.schema).first()
            #expect(try stamped?.decodeNil(column: "updated_at") == true)
        }
    }
}
