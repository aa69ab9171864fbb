import Foundation
import Hummingbird

/// Every route the gateway serves. The router is built from this list and the OpenAPI
/// test compares docs/openapi.yaml with it.
public enum GatewayRoutes {
    public struct Route: Hashable, Sendable {
        public let method: String
        /// OpenAPI form: `{id}` for parameters.
        public let path: String
    }

    public static let submit = Route(method: "POST", path: "/v1/transactions")
    public static let batch = Route(method: "POST", path: "/v1/transactions/batch")
    public static let balance = Route(method: "GET", path: "/v1/members/{id}/balance")
    public static let health = Route(method: "GET", path: "/health")
    public static let ready = Route(method: "GET", path: "/ready")
    public static let metrics = Route(method: "GET", path: "/metrics")

    public static let all: [Route] = [submit, batch, balance, health, ready, metrics]

    /// Hummingbird's form of the path (`:id`).
    static func routerPath(_ route: Route) -> RouterPath {
        RouterPath(route.path.replacingOccurrences(of: "{id}", with: ":id"))
    }
}
