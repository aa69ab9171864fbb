import Foundation
import Gateway
import Testing

@Suite("OpenAPI document", .timeLimit(.minutes(10)))
struct OpenAPITests {
    /// Paths and methods of docs/openapi.yaml, read with a small line parser (the file keeps
    /// the usual layout: `paths:` at column 0, paths at 2 spaces, methods at 4).
    static func documentedRoutes() throws -> Set<GatewayRoutes.Route> {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)
        var routes: Set<GatewayRoutes.Route> = []
        var inPaths = false
        var path: String?
        let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            if line.trimmingCharacters(in: .whitespaces).hasPrefix("#") || line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            let indent = line.prefix { $0 == " " }.count
            if indent == 0 {
                inPaths = line.hasPrefix("paths:")
                continue
            }
            guard inPaths else { continue }
            let key = line.trimmingCharacters(in: .whitespaces)
            if indent == 2, key.hasSuffix(":") {
                path = String(key.dropLast()).trimmingCharacters(in: CharacterSet(charactersIn: "'\""))
            } else if indent == 4, key.hasSuffix(":"), let path, methods.contains(String(key.dropLast())) {
                routes.insert(GatewayRoutes.Route(method: String(key.dropLast()).uppercased(), path: path))
            }
        }
        return routes
    }

    @Test("paths and methods equal the router's routes")
    func matchesRoutes() throws {
        let documented = try Self.documentedRoutes()
        #expect(documented == Set(GatewayRoutes.all))
        #expect(documented.count == GatewayRoutes.all.count)
    }
}
