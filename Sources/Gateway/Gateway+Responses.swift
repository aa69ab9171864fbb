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
