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

    static func statusName(_ status: Loyalty_V1_ResultStatus) -> String {
        switch status {
        case .accepted: "ACCEPTED"
        case .rejected: "REJECTED"
        case .duplicate: "DUPLICATE"
        case .unspecified, .UNRECOGNIZED: "RESULT_STATUS_UNSPECIFIED"
        }
    }

    static func reasonName(_ reason: Loyalty_V1_ReasonCode) -> String {
        switch reason {
        case .unspecified, .UNRECOGNIZED: ""
        case .unknownPartner: "UNKNOWN_PARTNER"
        case .invalidAmount: "INVALID_AMOUNT"
        case .currencyMismatch: "CURRENCY_MISMATCH"
        case .insufficientPoints: "INSUFFICIENT_POINTS"
        case .originalNotFound: "ORIGINAL_NOT_FOUND"
        case .alreadyReversed: "ALREADY_REVERSED"
        case .refundExceedsOriginal: "REFUND_EXCEEDS_ORIGINAL"
        case .invalidField: "INVALID_FIELD"
        case .wrongOriginalKind: "WRONG_ORIGINAL_KIND"
        }
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
