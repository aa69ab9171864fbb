import CLoyaltyPOS
import Foundation
import Kafka
import LoyaltyTesting
import LoyaltyWire
import Programme
import SwiftProtobuf
import Testing

/// End to end on librdkafka's mock cluster: what the C SDK publishes is what the gateway
/// would have published, on the partition the clearing house expects.
@Suite(.timeLimit(.minutes(10)))
struct MockClusterTests {
    static let partitions: Int32 = 8

    /// Owns a C handle for the duration of a test.
    final class CProducer {
        let pointer: OpaquePointer

        init(bootstrap: String, partnerId: String, timeoutMilliseconds: Int32 = 20_000, extra: [String] = []) throws(CFailure) {
            var handle: OpaquePointer?
            let extraC: [UnsafeMutablePointer<CChar>?] = extra.map { strdup($0) } + [nil]
            defer { extraC.forEach { free($0) } }
            let (code, message) = CSDK.call { errbuf, errlen in
                let pairs: [UnsafePointer<CChar>?] = extraC.map { $0.map { UnsafePointer($0) } }
                return pairs.withUnsafeBufferPointer { pairsBuffer in
                    bootstrap.withCString { servers in
                        partnerId.withCString { partner in
                            var config = loyalty_pos_config_t(
                                bootstrap_servers: servers, partner_id: partner, topic: nil,
                                extra_config: extra.isEmpty ? nil : pairsBuffer.baseAddress,
                                delivery_timeout_ms: timeoutMilliseconds)
                            return Int(loyalty_pos_open(&config, &handle, errbuf, errlen))
                        }
                    }
                }
            }
            guard code == LOYALTY_POS_OK, let handle else { throw CFailure(code: code, message: message) }
            pointer = handle
        }

        deinit { loyalty_pos_close(pointer) }

        func send(_ t: Transaction) -> CFailure? {
            let (code, message) = CSDK.call { errbuf, errlen in
                switch t.body {
                case .accrual(let amountMinor, let currency, let category):
                    return Int(
                        loyalty_pos_accrue(
                            pointer, t.partnerTxnId, t.memberId, t.eventTimeMilliseconds, amountMinor, currency, category, errbuf, errlen))
                case .redemption(let points):
                    return Int(loyalty_pos_redeem(pointer, t.partnerTxnId, t.memberId, t.eventTimeMilliseconds, points, errbuf, errlen))
                case .refund(let original, let amountMinor, let currency):
                    return Int(
                        loyalty_pos_refund(
                            pointer, t.partnerTxnId, t.memberId, t.eventTimeMilliseconds, original, amountMinor, currency, errbuf, errlen))
                case .cancel(let original):
                    return Int(loyalty_pos_cancel(pointer, t.partnerTxnId, t.memberId, t.eventTimeMilliseconds, original, errbuf, errlen))
                case .card:
                    // The C SDK sends purchases and reversals; card operations go through the gateway.
                    return Int(LOYALTY_POS_EINVAL)
                }
            }
            return code == LOYALTY_POS_OK ? nil : CFailure(code: code, message: message)
        }
    }

    static func readAll(_ test: TestCluster, atLeast count: Int) throws -> [ConsumerRecord] {
        let records = try test.read(test.topics.transactions, atLeast: count)
        // Nothing else is on the topic: the sum of the high watermarks is what was published.
        let total = try test.recordCount(test.topics.transactions)
        #expect(total == Int64(records.count), "high watermarks add up to \(total), read \(records.count)")
        return records
    }

    @Test func cPublishesWhatSwiftWouldOnThePredictedPartitionAndNothingForInvalidInput() throws {
        let test = try TestCluster(partitions: Self.partitions, label: "pos-interop-test")

        let member = "member-J%C3%BCrgen-42"
        let accrual = Transaction(
            partnerId: "pharmacy", partnerTxnId: "pos-7-sale", memberId: member, eventTimeMilliseconds: 1_767_225_600_000,
            body: .accrual(amountMinor: 12_990, currency: "EUR", category: "pharmacy"))
        do {
            let producer = try CProducer(bootstrap: test.bootstrap, partnerId: "pharmacy")
            for invalid in InvalidInputTests.required {
                var t = invalid.transaction
                t.memberId = t.memberId.isEmpty ? "" : member
                let failure = producer.send(t)
                #expect(failure?.code == Int(LOYALTY_POS_EINVAL))
                #expect(failure?.field == invalid.field)
            }
            #expect(producer.send(accrual) == nil)
        }

        let records = try Self.readAll(test, atLeast: 1)
        let record = try #require(records.count == 1 ? records.first : nil, "expected exactly the one valid record, got \(records.count)")
        #expect(record.key == Array(member.utf8))
        #expect(record.partition == Murmur2.partition(key: Array(member.utf8), partitionCount: Self.partitions))
        #expect(record.partition == loyalty_pos_partition(member, Self.partitions))
        let swiftBytes: [UInt8] = try Loyalty_V1_TransactionEnvelope(accrual).serializedBytes()
        #expect(record.value == swiftBytes)
        #expect(InboundMessage.decode(record.value) == .success(.transaction(accrual, traceId: "")))
    }

    @Test func everyKindLandsOnTheMembersPartition() throws {
        let test = try TestCluster(partitions: Self.partitions, label: "pos-interop-test")
        var sent: [Transaction] = []
        do {
            let producer = try CProducer(bootstrap: test.bootstrap, partnerId: "pharmacy")
            for t in EnvelopeInteropTests.examples.filter({ $0.partnerId == "pharmacy" }) + [
                Transaction(partnerId: "pharmacy", partnerTxnId: "r", memberId: "other", eventTimeMilliseconds: 5, body: .redemption(points: 3)),
                Transaction(
                    partnerId: "pharmacy", partnerTxnId: "c", memberId: "other", eventTimeMilliseconds: 6, body: .cancel(originalPartnerTxnId: "r")),
            ] {
                #expect(producer.send(t) == nil)
                sent.append(t)
            }
        }
        let records = try Self.readAll(test, atLeast: sent.count)
        #expect(records.count == sent.count)
        for record in records {
            let decoded = try #require(try? InboundMessage.decode(record.value).get())
            guard case .transaction(let t, _) = decoded else { Issue.record("not a transaction: \(decoded)"); continue }
            #expect(sent.contains(t))
            #expect(record.key == Array(t.memberId.utf8))
            #expect(record.partition == Murmur2.partition(key: Array(t.memberId.utf8), partitionCount: Self.partitions))
        }
    }

    @Test func noBrokerMeansAnErrorAfterTheDeliveryTimeoutNotAHang() throws {
        // Port 1 on loopback: nothing listens. log_level=0 keeps librdkafka quiet here.
        let producer = try CProducer(bootstrap: "127.0.0.1:1", partnerId: "pharmacy", timeoutMilliseconds: 1_000, extra: ["log_level", "0"])
        let started = Date()
        let failure = producer.send(EnvelopeInteropTests.examples[0])
        #expect(failure?.code == Int(LOYALTY_POS_EKAFKA))
        #expect(failure?.message.contains("Local: Message timed out") == true, "\(failure?.message ?? "")")
        #expect(Date().timeIntervalSince(started) < 8)
    }

    @Test func contractSettingsCannotBeOverridden() {
        for (key, value) in [
            ("acks", "1"), ("enable.idempotence", "false"), ("partitioner", "consistent_random"), ("allow.auto.create.topics", "true"),
        ] {
            do {
                _ = try CProducer(bootstrap: "127.0.0.1:1", partnerId: "p", extra: [key, value])
                Issue.record("\(key)=\(value) accepted")
            } catch {
                #expect(error.code == Int(LOYALTY_POS_ECONFIG))
                #expect(error.message.hasPrefix("extra_config: \(key)=\(value) refused"))
            }
        }
        // Anything else passes through to librdkafka, which names what it does not know.
        do {
            _ = try CProducer(bootstrap: "127.0.0.1:1", partnerId: "p", extra: ["no.such.key", "1"])
            Issue.record("unknown key accepted")
        } catch {
            #expect(error.code == Int(LOYALTY_POS_ECONFIG))
            #expect(error.message.contains("no.such.key"))
        }
    }
}
