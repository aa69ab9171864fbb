import Foundation
import Gateway
import LoyaltyWire
import Programme
import SwiftProtobuf
import Synchronization

/// Partners whose systems send through the HTTP gateway, as `loyalty dev` plays them:
/// signed NDJSON batches on POST /v1/transactions/batch (a shop's back office), and every
/// `singleEvery`-th transaction alone on POST /v1/transactions (a till).
///
/// A member always uses the same lane, and a lane has at most one request in flight while
/// it collects the next batch, so each member's transactions reach Kafka in order (a
/// refund never overtakes its accrual).
final class HTTPPartners {
    struct Tally: Sendable {
        var accepted = 0
        /// Refused at the edge (400/403 or an `invalid` line): nothing was published.
        var refused = 0
        var failed = 0
        var batches = 0
        var singles = 0
        var firstProblem: String?
        var firstRefusal: String?
    }

    /// Counts shared with the requests in flight.
    private final class Counts: Sendable {
        let mutex = Mutex<[String: Tally]>([:])
        func update(_ partner: String, _ body: (inout Tally) -> Void) { mutex.withLock { body(&$0[partner, default: Tally()]) } }
    }

    private struct Lane {
        var body: [UInt8] = []
        var lines = 0
        var inFlight: Task<Void, Never>?
    }

    let partners: [String]
    private let client: GatewayClient
    private let signers: [String: RequestSigner]
    private let batchLines: Int
    private let singleEvery: Int
    /// Every partner's lanes, one after another: `first[partner]` ..< + `lanesPerPartner`.
    private var lanes: [Lane]
    private let first: [String: Int]
    private let lanesPerPartner: Int
    private var sequence = 0
    private let counts = Counts()

    init(client: GatewayClient, keys: [String: PartnerCredentials.Key], lanesPerPartner: Int, batchLines: Int, singleEvery: Int) {
        self.client = client
        partners = keys.keys.sorted()
        signers = keys.mapValues { RequestSigner(keyId: $0.keyId, secret: $0.secret) }
        self.lanesPerPartner = max(1, lanesPerPartner)
        lanes = Array(repeating: Lane(), count: partners.count * self.lanesPerPartner)
        first = Dictionary(uniqueKeysWithValues: partners.enumerated().map { ($0.element, $0.offset * max(1, lanesPerPartner)) })
        self.batchLines = max(1, batchLines)
        self.singleEvery = singleEvery
    }

    func handles(_ partnerId: String) -> Bool { signers[partnerId] != nil }

    /// Fresh key ids and random secrets for `partners`, as a partner would be issued them.
    static func issueKeys(for partners: [String]) -> [String: PartnerCredentials.Key] {
        var keys: [String: PartnerCredentials.Key] = [:]
        for partner in partners {
            var generator = SystemRandomNumberGenerator()
            let secret = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
            keys[partner] = .init(keyId: "\(partner)-dev", secret: secret)
        }
        return keys
    }

    var totals: [String: Tally] { counts.mutex.withLock { $0 } }

    /// Reads the number of accepted transactions from any thread (for progress lines).
    var acceptedCount: @Sendable () -> Int {
        let counts = counts
        return { counts.mutex.withLock { $0.values.reduce(0) { $0 + $1.accepted } } }
    }

    func send(_ transaction: Transaction) async throws {
        let partner = transaction.partnerId
        guard let signer = signers[partner], let start = first[partner] else { return }
        sequence += 1
        let index = start + Int(UInt(bitPattern: transaction.memberId.hashValue) % UInt(lanesPerPartner))
        let line: [UInt8] = try Loyalty_V1_TransactionEnvelope(transaction).jsonUTF8Bytes()
        if singleEvery > 0, sequence % singleEvery == 0 {
            // Alone, after whatever this lane already holds for the same members.
            await settle(index, partner: partner, signer: signer)
            await postSingle(line, partner: partner, signer: signer)
        } else {
            lanes[index].body += line
            lanes[index].body.append(10)
            lanes[index].lines += 1
            if lanes[index].lines >= batchLines {
                await lanes[index].inFlight?.value
                flush(index, partner: partner, signer: signer)
            }
        }
    }

    /// Sends what every lane holds and waits until all of it was answered.
    func drain() async {
        for partner in partners {
            guard let signer = signers[partner], let start = first[partner] else { continue }
            for index in start..<start + lanesPerPartner { await settle(index, partner: partner, signer: signer) }
        }
    }

    /// Sends what the lane holds and waits for every answer.
    private func settle(_ index: Int, partner: String, signer: RequestSigner) async {
        await lanes[index].inFlight?.value
        flush(index, partner: partner, signer: signer)
        await lanes[index].inFlight?.value
        lanes[index].inFlight = nil
    }

    /// Starts the lane's collected batch; the caller has awaited the previous one.
    private func flush(_ index: Int, partner: String, signer: RequestSigner) {
        guard lanes[index].lines > 0 else { return }
        let body = lanes[index].body
        let lines = lanes[index].lines
        let client = client
        let counts = counts
        lanes[index].body = []
        lanes[index].lines = 0
        lanes[index].inFlight = Task {
            do {
                let reply = try await client.post("/v1/transactions/batch", body: body, contentType: "application/x-ndjson", signer: signer)
                counts.update(partner) { tally in
                    tally.batches += 1
                    HTTPPartners.count(batchReply: reply, lines: lines, into: &tally)
                }
            } catch {
                counts.update(partner) { tally in
                    tally.failed += lines
                    tally.firstProblem = tally.firstProblem ?? "batch request failed: \(error)"
                }
            }
        }
    }

    private func postSingle(_ body: [UInt8], partner: String, signer: RequestSigner) async {
        do {
            let reply = try await client.post("/v1/transactions", body: body, contentType: "application/json", signer: signer)
            counts.update(partner) { tally in
                tally.singles += 1
                switch reply.status {
                case 202: tally.accepted += 1
                case 400, 403:
                    tally.refused += 1
                    tally.firstRefusal = tally.firstRefusal ?? reply.body
                default:
                    tally.failed += 1
                    tally.firstProblem = tally.firstProblem ?? "HTTP \(reply.status): \(reply.body)"
                }
            }
        } catch {
            counts.update(partner) { tally in
                tally.failed += 1
                tally.firstProblem = tally.firstProblem ?? "request failed: \(error)"
            }
        }
    }

    /// One answer line per record, then the summary line (docs/gateway-api.md).
    private static func count(batchReply reply: GatewayClient.Reply, lines: Int, into tally: inout Tally) {
        guard reply.status == 200 else {
            tally.failed += lines
            tally.firstProblem = tally.firstProblem ?? "batch answered HTTP \(reply.status): \(reply.body)"
            return
        }
        var answered = 0
        var verified = false
        for line in reply.body.split(separator: "\n") {
            if line.hasPrefix("{\"summary\"") {
                verified = line.contains("\"body_sha256\":\"verified\"")
                if !verified { tally.firstProblem = tally.firstProblem ?? "batch summary: \(line)" }
                continue
            }
            answered += 1
            if line.contains("\"status\":\"accepted\"") {
                tally.accepted += 1
            } else if line.contains("\"status\":\"invalid\"") || line.contains("\"status\":\"forbidden\"") {
                tally.refused += 1
                tally.firstRefusal = tally.firstRefusal ?? String(line)
            } else {
                tally.failed += 1
                tally.firstProblem = tally.firstProblem ?? String(line)
            }
        }
        if answered != lines || !verified {
            tally.failed += max(0, lines - answered)
            tally.firstProblem = tally.firstProblem ?? "batch of \(lines) lines answered \(answered) (body verified: \(verified))"
        }
    }
}
