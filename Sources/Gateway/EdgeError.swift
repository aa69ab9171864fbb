import HTTPTypes
import Hummingbird
import Programme

/// A request refused at the edge: an HTTP status and the field and reason for the body
/// `{"error": {"field": ..., "reason": ...}}`.
struct EdgeError: Error, Sendable {
    let status: HTTPResponse.Status
    let field: String
    let reason: String
    var retryAfterSeconds: Int? = nil

    static func badRequest(_ field: String, _ reason: String) -> EdgeError { EdgeError(status: .badRequest, field: field, reason: reason) }
    static func unauthorized(_ field: String, _ reason: String) -> EdgeError { EdgeError(status: .unauthorized, field: field, reason: reason) }

    var json: String { "{\"error\":{\"field\":\(JSONText.quoted(field)),\"reason\":\(JSONText.quoted(reason))}}" }
}
