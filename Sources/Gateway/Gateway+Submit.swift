import HTTPTypes
import Hummingbird
import Kafka
import Logging
import LoyaltyWire
import Programme
import Prometheus

/// POST /v1/transactions: one envelope, answered after Kafka's ack (202) or, with
/// `?wait=true`, after the worker's result (200).
extension Gateway {
    func submit(_ request: Request) async -> Response {
        // Refused before its body was read in full: close the connection rather than let the
        // server drain a body of any size the client may still send.
        var bodyRead = false
        do throws(EdgeError) {
            let format = try bodyFormat(request, json: "application/json", protobuf: "application/x-protobuf")
            // Cheap checks first: no body byte is read for an unknown key or a stale timestamp.
            let claim = try authenticator.identify(headers: request.headers, nowMilliseconds: RequestSigner.nowMilliseconds())
            let query = request.uri.queryParameters
            let wait = try waitFlag(query.get("wait"))
            let timeout = try waitTimeout(query.get("timeout_ms"))
            let body = try await collectBody(request)
            bodyRead = true
            let partner = try authenticator.verify(
                claim, method: "POST", pathAndQuery: request.uri.string, bodySHA256Hex: RequestSigner.sha256Hex(body),
                nowMilliseconds: RequestSigner.nowMilliseconds())
            try spend(.requests, partner: partner)
            var envelope = try validator.decode(body, format: format)
            do throws(EdgeError) {
                try resolveCard(&envelope)  // a card without a member: its account (Gateway+Cards)
                try checkCompany(envelope)  // a company accrual's two halves (Gateway+Companies)
                try validator.validate(envelope, authenticatedPartner: partner)
            } catch {
                metrics.rejectedAtEdge(field: error.field)
                throw error
            }
            try spend(.transactions, partner: partner)
            EdgeValidator.stamp(&envelope, nowMilliseconds: RequestSigner.nowMilliseconds(), traceParent: request.headers[TraceParent.header])
            let key = ResultWaiters.Key(partnerId: envelope.partnerID, partnerTxnId: envelope.partnerTxnID)
            // A MOVE always waits: its LINK on the target follows its result (Gateway+Cards).
            let slot = wait || Self.isMove(envelope) ? waiters.register(key) : nil
            let metadata: RecordMetadata
            do throws(EdgeError) {
                metadata = try await publish(envelope)
                try await publishCompanyHalf(envelope)  // the company account's half (Gateway+Companies)
            } catch {
                if let slot { waiters.remove(key, slot) }
                throw error
            }
            logger.debug(
                "transaction published",
                metadata: [
                    "trace_id": "\(envelope.traceID)", "partner": "\(envelope.partnerID)", "partition": "\(metadata.partition)",
                    "offset": "\(metadata.offset)",
                ])
            var fields = [
                "\"partner_txn_id\":\(JSONText.quoted(envelope.partnerTxnID))", "\"trace_id\":\(JSONText.quoted(envelope.traceID))",
                "\"partition\":\(metadata.partition)", "\"offset\":\(metadata.offset)",
            ]
            guard let slot else { return Self.traced(Self.json(.accepted, "{" + fields.joined(separator: ",") + "}"), envelope.traceID) }
            let started = ContinuousClock.now
            guard let result = await slot.wait(timeout: .milliseconds(timeout)) else {
                waiters.remove(key, slot)
                fields.append("\"result\":null")
                fields.append("\"reason\":\(JSONText.quoted("accepted by Kafka; no result from the workers within \(timeout) ms"))")
                return Self.traced(Self.json(.accepted, "{" + fields.joined(separator: ",") + "}"), envelope.traceID)
            }
            metrics.waitLatency.recordNanoseconds((ContinuousClock.now - started).nanoseconds)
            fields += Self.outcomeFields(result.outcome)
            fields += Self.factsFields(result)
            if result.outcome.status == .duplicate {
                fields.append("\"original\":{" + Self.outcomeFields(result.original).joined(separator: ",") + "}")
            }
            if Self.isMove(envelope) { fields.append(await linkAfterMove(envelope, result, timeoutMilliseconds: timeout)) }
            return Self.traced(Self.json(.ok, "{" + fields.joined(separator: ",") + "}"), envelope.traceID)
        } catch {
            return Self.errorResponse(error, closeConnection: !bodyRead)
        }
    }
}

extension Gateway {
    /// `response` with the transaction's trace id in the answer header `trace-id`.
    static func traced(_ response: Response, _ traceId: String) -> Response {
        var response = response
        response.headers[TraceParent.answerHeader] = traceId
        return response
    }
}
