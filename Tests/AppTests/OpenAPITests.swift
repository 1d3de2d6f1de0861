import Foundation
import Testing
import Vapor

@testable import App

/// The OpenAPI document describes exactly the API the server answers.
@Suite struct OpenAPITests {
    @Test func everyAPIRouteIsDocumentedAndEveryDocumentedRouteExists() async throws {
        try await withApp { app in
            let response = try await app.send(.GET, "/api/v1/openapi.json")
            #expect(response.status == .ok)
            let document = try #require(
                try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
            #expect(document["openapi"] as? String == "3.1.0")
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            var documented = Set<String>()
            for (path, operations) in paths {
                for method in operations.keys { documented.insert(method.uppercased() + " " + path) }
            }
            var served = Set<String>()
            for route in app.routes.all {
                let components = route.path.map { "\($0)" }
                guard components.starts(with: ["api", "v1"]) else { continue }
                let path =
                    "/"
                    + components.dropFirst(2).map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : $0 }.joined(
                        separator: "/")
                served.insert(route.method.rawValue + " " + path)
            }
            #expect(
                documented == served,
                "only documented: \(documented.subtracting(served)), only served: \(served.subtracting(documented))")
        }
    }
}
