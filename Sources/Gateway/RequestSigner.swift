import Basics
import Crypto
import Foundation

/// Signs partner requests the way the gateway checks them. Used by partners' clients,
/// the tests, `loyalty bench gateway` and `loyalty dev`.
///
/// Signed string: `METHOD "\n" PATH_AND_QUERY "\n" TIMESTAMP_MS "\n" hex(SHA-256(body))`,
/// signature: hex(HMAC-SHA256(secret, signed string)).
public struct RequestSigner: Sendable {
    public static let keyIdHeader = "X-Loyalty-Key-Id"
    public static let timestampHeader = "X-Loyalty-Timestamp"
    public static let signatureHeader = "X-Loyalty-Signature"
    /// hex SHA-256 of the body; required on the batch endpoint (see docs/gateway-api.md).
    public static let contentSHA256Header = "X-Loyalty-Content-SHA256"

    public let keyId: String
    private let secret: [UInt8]

    public init(keyId: String, secret: String) {
        self.keyId = keyId
        self.secret = Array(secret.utf8)
    }

    public static func sha256Hex<Bytes: DataProtocol>(_ body: Bytes) -> String {
        hexString(SHA256.hash(data: body))
    }

    public static func canonicalString(method: String, pathAndQuery: String, timestampMilliseconds: Int64, bodySHA256Hex: String) -> String {
        "\(method.uppercased())\n\(pathAndQuery)\n\(timestampMilliseconds)\n\(bodySHA256Hex)"
    }

    public func signature(method: String, pathAndQuery: String, timestampMilliseconds: Int64, bodySHA256Hex: String) -> String {
        let text = Self.canonicalString(
            method: method, pathAndQuery: pathAndQuery, timestampMilliseconds: timestampMilliseconds, bodySHA256Hex: bodySHA256Hex)
        return hexString(HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: SymmetricKey(data: secret)))
    }

    /// The four headers of a signed request for `body` (empty for GET).
    public func headers(
        method: String, pathAndQuery: String, body: [UInt8] = [],
        timestampMilliseconds: Int64 = RequestSigner.nowMilliseconds()
    ) -> [(name: String, value: String)] {
        let bodyHash = Self.sha256Hex(body)
        return [
            (Self.keyIdHeader, keyId),
            (Self.timestampHeader, String(timestampMilliseconds)),
            (Self.contentSHA256Header, bodyHash),
            (
                Self.signatureHeader,
                signature(method: method, pathAndQuery: pathAndQuery, timestampMilliseconds: timestampMilliseconds, bodySHA256Hex: bodyHash)
            ),
        ]
    }

    public static func nowMilliseconds() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
}
