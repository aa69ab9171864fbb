import HTTPTypes

@testable import Gateway

/// Input: byte 0 picks the mode, the rest splits at newlines into key id, timestamp,
/// signature, method, and path-and-query. Even mode sends the three signature headers as
/// given; odd mode signs the request correctly with the one known key for the given
/// timestamp, so that the window and replay checks are reached.
///
/// Properties: nothing traps; a refusal is 401 naming one of the signature headers (or
/// 429/503 when the replay cache is full); a correctly signed request is accepted exactly when
/// its timestamp is within the window (or refused on the timestamp header when it is not
/// written as the canonical decimal), and then its replay is refused.
enum SignatureHeadersHarness {
    static let keyId = "fuzz-key"
    static let partnerId = "pharmacy"
    static let secret = "fuzz-secret-0123456789"
    static let nowMilliseconds: Int64 = 1_790_000_000_000
    static let windowMilliseconds: Int64 = 300_000
    private static let headerNames: Set<String> = [
        RequestSigner.keyIdHeader, RequestSigner.timestampHeader, RequestSigner.signatureHeader, RequestSigner.contentSHA256Header,
    ]

    static func check(_ bytes: [UInt8]) -> String? {
        guard let mode = bytes.first else { return nil }
        var fields = bytes.dropFirst().split(separator: 10, maxSplits: 4, omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        while fields.count < 5 { fields.append("") }
        let (method, pathAndQuery) = (fields[3].isEmpty ? "POST" : fields[3], fields[4].isEmpty ? "/v1/transactions" : fields[4])
        let bodyHash = RequestSigner.sha256Hex([UInt8]())
        let credentials: PartnerCredentials
        do { credentials = try PartnerCredentials([partnerId: [.init(keyId: keyId, secret: secret)]]) } catch {
            return "the harness's credentials are refused: \(error)"
        }
        let authenticator = RequestAuthenticator(
            credentials: credentials, windowMilliseconds: windowMilliseconds,
            replayCache: ReplayCache(windowMilliseconds: windowMilliseconds, capacityPerPartner: 16))
        var headers = HTTPFields()
        let signed = mode & 1 == 1
        var signature = fields[2]
        var timestamp: Int64?
        if signed {
            timestamp = Int64(fields[1])
            guard let timestamp else { return nil }
            signature = RequestSigner(keyId: keyId, secret: secret).signature(
                method: method, pathAndQuery: pathAndQuery, timestampMilliseconds: timestamp, bodySHA256Hex: bodyHash)
        }
        for (name, value) in [
            (RequestSigner.keyIdHeader, signed ? keyId : fields[0]),
            (RequestSigner.timestampHeader, fields[1]),
            (RequestSigner.signatureHeader, signature),
        ] {
            guard let fieldName = HTTPField.Name(name) else { return "\(name) is not a header name" }
            headers[fieldName] = value
        }
        let attempt = {
            () throws(EdgeError) -> String in
            try authenticator.authenticate(
                method: method, pathAndQuery: pathAndQuery, headers: headers, bodySHA256Hex: bodyHash,
                nowMilliseconds: nowMilliseconds)
        }
        let first = outcome(attempt)
        if let refusal = first.refusal, let problem = malformed(refusal) { return problem }
        guard signed, let timestamp else { return nil }
        // Overflow-free |now - timestamp| <= window.
        let inWindow = timestamp >= nowMilliseconds - windowMilliseconds && timestamp <= nowMilliseconds + windowMilliseconds
        // The header went through HTTPFields unchanged (no characters it would rewrite).
        guard headers[HTTPField.Name(RequestSigner.timestampHeader)!] == fields[1] else { return nil }
        switch (inWindow, first) {
        case (true, .accepted(let partner)):
            guard partner == partnerId else { return "accepted for partner \(partner), the key is \(partnerId)'s" }
            switch outcome(attempt) {
            case .accepted: return "a replayed signature was accepted"
            case .refused(let status, let field, _):
                return status == 401 && field == RequestSigner.signatureHeader ? nil : "a replay was refused with \(status) on \(field)"
            }
        case (true, .refused(401, RequestSigner.timestampHeader, _)) where String(timestamp) != fields[1]:
            // Not the canonical decimal ("+5", leading zeros, over 20 bytes): the gateway may
            // refuse the header text itself; the signature covers only the value.
            return nil
        case (true, .refused(let status, let field, let reason)):
            return "a correctly signed request in the window was refused: \(status) \(field): \(reason)"
        case (false, .accepted):
            return "a timestamp \(timestamp) outside the window was accepted"
        case (false, .refused(let status, let field, _)):
            return status == 401 && field == RequestSigner.timestampHeader ? nil : "a stale timestamp was refused with \(status) on \(field)"
        }
    }

    private enum Outcome {
        case accepted(String)
        case refused(status: Int, field: String, reason: String)

        var refusal: (status: Int, field: String)? {
            if case .refused(let status, let field, _) = self { return (status, field) }
            return nil
        }
    }

    private static func outcome(_ attempt: () throws(EdgeError) -> String) -> Outcome {
        do throws(EdgeError) { return .accepted(try attempt()) } catch {
            return .refused(status: error.status.code, field: error.field, reason: error.reason)
        }
    }

    private static func malformed(_ refusal: (status: Int, field: String)) -> String? {
        guard [401, 429, 503].contains(refusal.status) else { return "refused with status \(refusal.status)" }
        guard headerNames.contains(refusal.field) else { return "refusal names \(refusal.field), not a signature header" }
        return nil
    }
}
