import AsyncHTTPClient
import Foundation
import Gateway
import LoyaltyWire
import NIOCore
import NIOHTTP1
import Programme
import Simulation
import SwiftProtobuf
import Testing

/// Partners sending transactions through a gateway process's batch endpoint, one request
/// at a time, so the log gets the same records in the same order on every run: a run
/// with faults and one without see the same traffic.
final class GatewayTraffic: @unchecked Sendable {  // the ends are behind `lock`
    static let recordsPerRequest = 1_000
    let base: String
    private let signers: [String: RequestSigner]
    private let lock = NSLock()
    private var endsByPartition: [Int32: Int64] = [:]
    private var acknowledgedCount = 0

    /// Signs as each of `partners` with the keys `writeSecretsFile` gave the gateway.
    init(port: Int, partners: [String]) {
        base = "http://127.0.0.1:\(port)"
        signers = Dictionary(uniqueKeysWithValues: partners.map { ($0, RequestSigner(keyId: "\($0)-k1", secret: Self.secret($0))) })
    }

    /// Synthetic coalition traffic a partner may send today: every line valid, none
    /// repeated (so every record is one transaction), all in the past year before mid-2026.
    static func transactions(_ count: Int, members: Int, seed: UInt64) -> [Transaction] {
        var settings = SyntheticCoalition.Settings()
        settings.transactions = count
        settings.members = members
        settings.seed = seed
        settings.startMilliseconds = 1_748_736_000_000  // 2025-06-01T00:00:00Z
        settings.days = 365
        settings.repeatPerMille = 0
        settings.invalidPerMille = 0
        return Array(SyntheticCoalition(programme: .sample, settings: settings))
    }

    static func secret(_ partner: String) -> String { "cluster-test-\(partner)-0123456789abcdef" }

    /// The gateway's `--secrets` file for `partners`.
    static func writeSecretsFile(for partners: [String], to path: String) throws {
        let entries = partners.map { "\"\($0)\": [{\"key_id\": \"\($0)-k1\", \"secret\": \"\(secret($0))\"}]" }
        try Data("{\(entries.joined(separator: ", "))}".utf8).write(to: URL(fileURLWithPath: path))
    }

    /// Records acknowledged so far, and the end offset (last acknowledged + 1) per partition.
    var acknowledged: (count: Int, ends: [Int32: Int64]) { lock.withLock { (acknowledgedCount, endsByPartition) } }

    /// Counts one record written by someone else (a barrier) at the end of every partition.
    func appendedToEveryPartition(_ partitions: Int32) {
        lock.withLock {
            for partition in 0..<partitions { endsByPartition[partition, default: 0] += 1 }
        }
    }

    /// Sends `transactions` grouped by partner (stable order), in requests of at most
    /// `recordsPerRequest`; `between` runs after each request with the number sent so far.
    func send(_ transactions: [Transaction], between: (Int) async throws -> Void = { _ in }) async throws {
        var sent = 0
        for partner in signers.keys.sorted() {
            let mine = transactions.filter { $0.partnerId == partner }
            for start in stride(from: 0, to: mine.count, by: Self.recordsPerRequest) {
                let chunk = Array(mine[start..<min(mine.count, start + Self.recordsPerRequest)])
                try await post(chunk, signer: try #require(signers[partner]))
                sent += chunk.count
                try await between(sent)
            }
        }
    }

    private func post(_ chunk: [Transaction], signer: RequestSigner) async throws {
        // Length-delimited protobuf: a varint length before each envelope.
        let stream = OutputStream.toMemory()
        stream.open()
        for transaction in chunk { try BinaryDelimited.serialize(message: Loyalty_V1_TransactionEnvelope(transaction), to: stream) }
        stream.close()
        let body = [UInt8](try #require(stream.property(forKey: .dataWrittenToMemoryStreamKey) as? Data))
        let path = "/v1/transactions/batch"
        var request = HTTPClientRequest(url: base + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-protobuf-delimited")
        for header in signer.headers(method: "POST", pathAndQuery: path, body: body) { request.headers.add(name: header.name, value: header.value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let answer = String(buffer: try await response.body.collect(upTo: 64 << 20))
        try #require(response.status.code == 200, "batch answered \(response.status.code): \(answer.prefix(500))")
        var accepted = 0
        var ends: [Int32: Int64] = [:]
        for line in answer.split(separator: "\n") {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], object["line"] != nil else { continue }
            // Every record must be in the log exactly once: a refused or unacknowledged line
            // would make the two runs' logs differ.
            try #require(object["status"] as? String == "accepted", "a batch line was not accepted: \(line)")
            let partition = try #require((object["partition"] as? NSNumber)?.int32Value)
            let offset = try #require((object["offset"] as? NSNumber)?.int64Value)
            ends[partition] = max(ends[partition] ?? 0, offset + 1)
            accepted += 1
        }
        try #require(accepted == chunk.count, "\(accepted) of \(chunk.count) lines answered")
        lock.withLock {
            acknowledgedCount += accepted
            endsByPartition.merge(ends) { max($0, $1) }
        }
    }
}
