import Foundation
import Programme

/// Partner keys from the secrets file: `{"pharmacy": [{"key_id": "...", "secret": "..."}], ...}`.
/// Kept apart from the programme file so secrets can be mounted separately. Never logged:
/// `description` names key ids only.
public struct PartnerCredentials: Sendable, CustomStringConvertible {
    public struct Key: Sendable, Codable {
        public var keyId: String
        public var secret: String
        public init(keyId: String, secret: String) {
            self.keyId = keyId
            self.secret = secret
        }
        enum CodingKeys: String, CodingKey {
            case keyId = "key_id"
            case secret
        }
    }

    /// key id → (partner, secret)
    let keys: [String: (partnerId: String, secret: String)]

    public init(_ byPartner: [String: [Key]]) throws(GatewaySetupError) {
        var keys: [String: (String, String)] = [:]
        for (partner, list) in byPartner.sorted(by: { $0.key < $1.key }) {
            for key in list {
                guard !key.keyId.isEmpty else { throw GatewaySetupError("secrets: partner \(partner) has a key with an empty key_id") }
                guard key.secret.utf8.count >= 16 else {
                    throw GatewaySetupError("secrets: key \(key.keyId) of partner \(partner) has a secret shorter than 16 bytes")
                }
                if let other = keys[key.keyId] {
                    throw GatewaySetupError("secrets: key_id \(key.keyId) appears twice (partners \(other.0) and \(partner))")
                }
                keys[key.keyId] = (partner, key.secret)
            }
        }
        self.keys = keys
    }

    /// The most bytes of a secrets file: about 100 bytes a key, so room for 100,000 keys.
    public static let maxFileBytes: Int64 = 16 << 20

    public static func load(path: String) throws -> PartnerCredentials {
        // A regular file of at most 16 MiB, read without blocking (a FIFO or device given
        // by mistake fails at once).
        let data: Data
        do throws(RegularFile.Refusal) {
            guard let bytes = try RegularFile.read(path, maxBytes: maxFileBytes, followingLinks: true) else {
                throw RegularFile.Refusal.system(operation: "open", errno: ENOENT)
            }
            data = Data(bytes)
        } catch {
            throw GatewaySetupError("cannot read the secrets file \(path): \(error)")
        }
        let decoded: [String: [Key]]
        do { decoded = try JSONDecoder().decode([String: [Key]].self, from: data) } catch {
            throw GatewaySetupError("\(path) is not a secrets file ({\"partner\": [{\"key_id\", \"secret\"}]}): \(error)")
        }
        return try PartnerCredentials(decoded)
    }

    func lookup(keyId: String) -> (partnerId: String, secret: String)? { keys[keyId] }

    public var partnerIds: Set<String> { Set(keys.values.map(\.partnerId)) }

    public var description: String { "PartnerCredentials(\(keys.keys.sorted().joined(separator: ", ")))" }
}

/// A gateway that cannot start: what is wrong and where.
public struct GatewaySetupError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
