import Logging
import NIOCore
import NIOPosix
import Vapor

@main
enum Entrypoint {
    static func main() async {
        var env: Environment
        do {
            env = try Environment.detect()
        } catch {
            print("dauys: \(error)")
            exit(2)
        }
        let config: AppConfig
        do {
            config = try AppConfig.fromEnvironment()
        } catch {
            FileHandle.standardError.write(Data("dauys: \(error)\n".utf8))
            exit(1)
        }
        LoggingSystem.bootstrap { label in
            var handler = PrivacyLogHandler(wrapped: StreamLogHandler.standardError(label: label))
            handler.logLevel = config.logLevel
            return handler
        }

        let app: Application
        do {
            app = try await Application.make(env)
        } catch {
            FileHandle.standardError.write(Data("dauys: \(error)\n".utf8))
            exit(1)
        }
        do {
            try await configure(app, config: config)
            try await app.execute()
        } catch {
            FileHandle.standardError.write(Data("dauys: \(error)\n".utf8))
            try? await app.asyncShutdown()
            exit(1)
        }
        try? await app.asyncShutdown()
    }
}
