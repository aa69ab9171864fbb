import HTTPTypes
import Hummingbird
import LoyaltyWire
import NIOCore
import Programme

/// JSON answers: outcomes, errors.
extension Gateway {
    static func outcomeFields(_ outcome: Loyalty_V1_Outcome) -> [String] {
        [
            "\"status\":\(JSONText.quoted(statusName(outcome.status)))", "\"reason\":\(JSONText.quoted(reasonName(outcome.reason)))",
            "\"reason_detail\":\(JSONText.quoted(outcome.reasonDetail))", "\"points_delta\":\(outcome.pointsDelta)",
            "\"balance_after\":\(outcome.balanceAfter)",
        ]
    }

    /// What the result says of the member besides the balance (`MemberFacts`, result
    /// fields 10–13), each only when the programme reports it: `member_status` (statuses),
    /// `pending_points` (points in a partner's return window, not in `balance_after`),
    /// and in balance answers `expiring_points` expiring at or before `expiring_before_ms`.
    static func factsFields(_ result: Loyalty_V1_TransactionResult) -> [String] {
        var fields: [String] = []
        if !result.memberStatus.isEmpty { fields.append("\"member_status\":\(JSONText.quoted(result.memberStatus))") }
        if result.pendingPoints != 0 { fields.append("\"pending_points\":\(result.pendingPoints)") }
        if result.expiringBeforeMs != 0 {
            fields.append("\"expiring_points\":\(result.expiringPoints)")
            fields.append("\"expiring_before_ms\":\(result.expiringBeforeMs)")
        }
        return fields
    }

    /// The names come from the domain enums (`Outcome.Status.name`, `RejectReason`'s raw
    /// values), the one list docs/openapi.yaml is checked against.
    static func statusName(_ status: Loyalty_V1_ResultStatus) -> String {
        Outcome.Status(status)?.name ?? "RESULT_STATUS_UNSPECIFIED"
    }

    static func reasonName(_ reason: Loyalty_V1_ReasonCode) -> String {
        RejectReason(reason)?.rawValue ?? ""
    }

    static func json(_ status: HTTPResponse.Status, _ body: String, retryAfterSeconds: Int? = nil) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfterSeconds { headers[.retryAfter] = String(retryAfterSeconds) }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    /// `closeConnection`: answer with `Connection: close` (the request's body was not read;
    /// `ConnectionGuard` closes after the answer instead of the server draining the body).
    static func errorResponse(_ error: EdgeError, closeConnection: Bool = false) -> Response {
        var response = json(error.status, error.json, retryAfterSeconds: error.retryAfterSeconds)
        if closeConnection { response.headers[.connection] = "close" }
        return response
    }
}
