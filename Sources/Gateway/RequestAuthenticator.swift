import HTTPTypes
import Hummingbird

/// Checks the signature headers of a request (see `RequestSigner`).
struct RequestAuthenticator: Sendable {
    let credentials: PartnerCredentials
    let windowMilliseconds: Int64
    let replayCache: ReplayCache

    /// Returns the partner the key belongs to. 401 for a missing, unknown, stale, wrong or
    /// replayed signature; each names the header at fault.
    func authenticate(
        method: String, pathAndQuery: String, headers: HTTPFields, bodySHA256Hex: String, nowMilliseconds: Int64
    ) throws(EdgeError) -> String {
        let keyId = try header(headers, RequestSigner.keyIdHeader)
        let timestampText = try header(headers, RequestSigner.timestampHeader)
        let signature = try header(headers, RequestSigner.signatureHeader).lowercased()
        guard let key = credentials.lookup(keyId: keyId) else {
            throw .unauthorized(RequestSigner.keyIdHeader, "unknown key id")
        }
        guard let timestamp = Int64(timestampText) else {
            throw .unauthorized(RequestSigner.timestampHeader, "must be unix time in milliseconds, got \(timestampText.prefix(40))")
        }
        guard abs(nowMilliseconds - timestamp) <= windowMilliseconds else {
            throw .unauthorized(
                RequestSigner.timestampHeader,
                "outside the accepted window of ±\(windowMilliseconds / 1000) s (server time \(nowMilliseconds))")
        }
        let expected = RequestSigner(keyId: keyId, secret: key.secret).signature(
            method: method, pathAndQuery: pathAndQuery, timestampMilliseconds: timestamp, bodySHA256Hex: bodySHA256Hex)
        guard constantTimeEqual(expected, signature) else {
            throw .unauthorized(RequestSigner.signatureHeader, "does not match the request (method, path and query, timestamp, body SHA-256)")
        }
        switch replayCache.insert(signature, nowMilliseconds: nowMilliseconds) {
        case .fresh: return key.partnerId
        case .replay: throw .unauthorized(RequestSigner.signatureHeader, "already used (replay); sign every request afresh")
        case .full:
            throw EdgeError(
                status: .serviceUnavailable, field: RequestSigner.signatureHeader, reason: "replay cache is full; retry later",
                retryAfterSeconds: 1)
        }
    }

    private func header(_ headers: HTTPFields, _ name: String) throws(EdgeError) -> String {
        guard let fieldName = HTTPField.Name(name), let value = headers[fieldName], !value.isEmpty else {
            throw .unauthorized(name, "header is required (requests must be signed)")
        }
        return value
    }
}
