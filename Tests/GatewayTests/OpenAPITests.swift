import Foundation
import LoyaltyWire
import Programme
import Testing

@testable import Gateway

@Suite("OpenAPI document", .timeLimit(.minutes(10)))
struct OpenAPITests {
    /// Paths and methods of docs/openapi.yaml, read with a small line parser (the file keeps
    /// the usual layout: `paths:` at column 0, paths at 2 spaces, methods at 4).
    static func documentedRoutes() throws -> Set<GatewayRoutes.Route> {
        let text = try document()
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

    static func document() throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)
    }

    /// The `enum: [...]` of `property` in the schema `schema` (components at 4 spaces, its
    /// properties at 8), written inline (`{ type: string, enum: [A, B] }`) or on a line of
    /// its own below the property; "" for an empty quoted string.
    static func documentedEnum(schema: String, property: String) throws -> [String] {
        let lines = try document().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let start = try #require(lines.firstIndex(of: "    \(schema):"), "no schema \(schema)")
        let propertyLine = try #require(
            lines[(start + 1)...].firstIndex { $0.hasPrefix("        \(property):") }, "no property \(schema).\(property)")
        for line in lines[propertyLine...].prefix(while: { $0 == lines[propertyLine] || $0.hasPrefix("          ") }) {
            guard let open = line.range(of: "enum: ["), let close = line[open.upperBound...].firstIndex(of: "]") else { continue }
            return line[open.upperBound..<close].split(separator: ",").map {
                $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        Issue.record("\(schema).\(property) has no enum")
        return []
    }

    /// A status or reason the code can answer but the document does not list (or the
    /// other way round) fails here: the names come from `Outcome.Status` and `RejectReason`.
    @Test("the Outcome's status and reason enums are exactly the names the gateway answers")
    func outcomeNamesMatch() throws {
        let statuses = try Self.documentedEnum(schema: "Outcome", property: "status")
        #expect(statuses == Outcome.Status.allCases.map(\.name))
        let answered = Loyalty_V1_ResultStatus.allCases.filter { $0 != .unspecified }.map(Gateway.statusName)
        #expect(Set(statuses) == Set(answered) && statuses.count == answered.count)

        let reasons = try Self.documentedEnum(schema: "Outcome", property: "reason")
        #expect(reasons == [""] + RejectReason.allCases.map(\.rawValue))
        #expect(Set(reasons) == Set(Loyalty_V1_ReasonCode.allCases.map(Gateway.reasonName)) && reasons.count == Loyalty_V1_ReasonCode.allCases.count)
    }
}
