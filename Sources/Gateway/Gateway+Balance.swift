import Hummingbird
import LoyaltyWire
import Programme
import Prometheus

/// GET /v1/members/{id}/balance: a BalanceInquiry through the log, answered with the
/// worker's result.
extension Gateway {
    func balance(_ request: Request, memberId: String) async -> Response {
        do throws(EdgeError) {
            let partner = try authenticator.authenticate(
                method: "GET", pathAndQuery: request.uri.string, headers: request.headers,
                bodySHA256Hex: RequestSigner.sha256Hex([UInt8]()), nowMilliseconds: RequestSigner.nowMilliseconds())
            try spend(.requests, partner: partner)
            do { try FieldLimits.checkId(memberId, field: "id") } catch { throw .badRequest("id", "member id \(error.reason)") }
            let timeout = try waitTimeout(request.uri.queryParameters.get("timeout_ms"))
            var envelope = Loyalty_V1_TransactionEnvelope()
            envelope.partnerID = partner
            envelope.partnerTxnID = "inquiry-" + EdgeValidator.newIdentifier()
            envelope.memberID = memberId
            envelope.inquiry = Loyalty_V1_BalanceInquiry()
            EdgeValidator.stamp(&envelope, nowMilliseconds: RequestSigner.nowMilliseconds())
            let key = ResultWaiters.Key(partnerId: partner, partnerTxnId: envelope.partnerTxnID)
            let slot = waiters.register(key)
            do throws(EdgeError) { _ = try await publish(envelope) } catch {
                waiters.remove(key, slot)
                throw error
            }
            let started = ContinuousClock.now
            guard let result = await slot.wait(timeout: .milliseconds(timeout)), result.isInquiry else {
                waiters.remove(key, slot)
                throw EdgeError(
                    status: .gatewayTimeout, field: "timeout_ms", reason: "no answer from the workers within \(timeout) ms",
                    retryAfterSeconds: configuration.retryAfterSeconds)
            }
            metrics.waitLatency.recordNanoseconds((ContinuousClock.now - started).nanoseconds)
            // Status, pending and expiring points when the programme reports them.
            let facts = Self.factsFields(result).map { "," + $0 }.joined()
            return Self.json(
                .ok,
                "{\"member_id\":\(JSONText.quoted(memberId)),\"balance\":\(result.outcome.balanceAfter)\(facts),"
                    + "\"request_id\":\(JSONText.quoted(envelope.partnerTxnID)),"
                    + "\"trace_id\":\(JSONText.quoted(envelope.traceID)),\"partition\":\(result.partition),\"offset\":\(result.offset)}")
        } catch {
            return Self.errorResponse(error)
        }
    }
}
