import Basics
import HTTPTypes
import Hummingbird

/// Checks the signature headers of a request (see `RequestSigner`), in two steps: the
/// cheap ones (`identify`: key id known, timestamp well formed and within the window)
/// before the body is read, and the signature itself (`authenticate`) once its hash is known.
struct RequestAuthenticator: Sendable {
    /// Longest key id accepted; longer ones are refused before any lookup.
    static let maxKeyIdBytes = 128
    /// Longest timestamp header: an Int64 in decimal with a sign.
    static let maxTimestampBytes = 20

    /// What the headers claim, checked except for the signature.
    struct Claim: Sendable {
        let keyId: String
        let partnerId: String
        let secret: String
        let timestampMilliseconds: Int64
        let signature: String
    }

    let credentials: PartnerCredentials
    let windowMilliseconds: Int64
    let replayCache: ReplayCache

    /// The cheap checks, before any body byte is read: 401 naming the header for a missing
    /// header, an unknown key id, a malformed or stale timestamp, a malformed signature.
    func identify(headers: HTTPFields, nowMilliseconds: Int64) throws(EdgeError) -> Claim {
        let keyId = try header(headers, RequestSigner.keyIdHeader)
        let timestampText = try header(headers, RequestSigner.timestampHeader)
        let signature = try header(headers, RequestSigner.signatureHeader).lowercased()
        guard keyId.utf8.count <= Self.maxKeyIdBytes, let key = credentials.lookup(keyId: keyId) else {
            throw .unauthorized(RequestSigner.keyIdHeader, "unknown key id")
        }
        guard timestampText.utf8.count <= Self.maxTimestampBytes, let timestamp = Int64(timestampText) else {
            throw .unauthorized(
                RequestSigner.timestampHeader, "must be unix time in milliseconds (decimal digits), got \(timestampText.prefix(40))")
        }
        guard Self.withinWindow(timestamp, now: nowMilliseconds, window: windowMilliseconds) else {
            throw .unauthorized(
                RequestSigner.timestampHeader,
                "outside the accepted window of ±\(windowMilliseconds / 1000) s (server time \(nowMilliseconds))")
        }
        guard signature.utf8.count == 64, signature.utf8.allSatisfy(Hex.isLowercaseDigit) else {
            throw .unauthorized(RequestSigner.signatureHeader, "must be 64 hex digits (HMAC-SHA256)")
        }
        return Claim(keyId: keyId, partnerId: key.partnerId, secret: key.secret, timestampMilliseconds: timestamp, signature: signature)
    }

    /// |now - timestamp| <= window, without overflow for any Int64 the header may carry.
    static func withinWindow(_ timestamp: Int64, now: Int64, window: Int64) -> Bool {
        let (difference, overflow) = now.subtractingReportingOverflow(timestamp)
        return !overflow && difference != .min && abs(difference) <= window
    }

    /// Checks the signature of an identified request and records it against replays.
    /// Returns the partner the key belongs to.
    func verify(_ claim: Claim, method: String, pathAndQuery: String, bodySHA256Hex: String, nowMilliseconds: Int64) throws(EdgeError) -> String {
        let expected = RequestSigner(keyId: claim.keyId, secret: claim.secret).signature(
            method: method, pathAndQuery: pathAndQuery, timestampMilliseconds: claim.timestampMilliseconds, bodySHA256Hex: bodySHA256Hex)
        guard constantTimeEqual(expected, claim.signature) else {
            throw .unauthorized(RequestSigner.signatureHeader, "does not match the request (method, path and query, timestamp, body SHA-256)")
        }
        switch replayCache.insert(claim.signature, partner: claim.partnerId, nowMilliseconds: nowMilliseconds) {
        case .fresh: return claim.partnerId
        case .replay: throw .unauthorized(RequestSigner.signatureHeader, "already used (replay); sign every request afresh")
        case .full:
            throw EdgeError(
                status: .tooManyRequests, field: RequestSigner.signatureHeader,
                reason: "too many requests from partner \(claim.partnerId) in the signature window; retry later", retryAfterSeconds: 1)
        }
    }

    /// Both steps at once (requests whose body is known or empty).
    func authenticate(
        method: String, pathAndQuery: String, headers: HTTPFields, bodySHA256Hex: String, nowMilliseconds: Int64
    ) throws(EdgeError) -> String {
        let claim = try identify(headers: headers, nowMilliseconds: nowMilliseconds)
        return try verify(claim, method: method, pathAndQuery: pathAndQuery, bodySHA256Hex: bodySHA256Hex, nowMilliseconds: nowMilliseconds)
    }

    private func header(_ headers: HTTPFields, _ name: String) throws(EdgeError) -> String {
        guard let fieldName = HTTPField.Name(name), let value = headers[fieldName], !value.isEmpty else {
            throw .unauthorized(name, "header is required (requests must be signed)")
        }
        return value
    }
}
