import Clearing
import Crypto
import Foundation
import Ledger
import LoyaltyTesting
import Programme
import SettlementFiles
import Testing
import Worker

@testable import ClearingNode

/// `loyalty settlement trace` on real shard files: two partitions of a coalition on both
/// funding models (config/programme.coalition.json: deposits, fees per redemption and per
/// cycle), sealed, checked and settled as the clearing node does; the traced lines of every
/// pair sum to what the statements and the netting settled, and the command says so.
@Suite(.timeLimit(.minutes(10))) struct SettlementTraceCommandTests {
    static let programmePath = sampleProgrammePath.replacingOccurrences(of: "programme.sample.json", with: "programme.coalition.json")

    /// Accruals at the merchants and redemptions of what members earned, a barrier every
    /// 40 offsets (cycles 1, 2, …).
    static func entries(partition: Int, programme: Programme) -> [LedgerEntry] {
        let merchants = programme.partners.filter { $0.kind == .merchant }.map(\.id)
        var entries: [LedgerEntry] = []
        var cycle: Int64 = 1
        for offset in Int64(0)..<200 {
            let time = Int64(1_767_225_600_000) + offset * 60_000
            if offset % 40 == 39 {
                entries.append(LedgerEntry(offset: offset, kind: .barrier(cycle: cycle, closedAtMilliseconds: time)))
                cycle += 1
                continue
            }
            let member = "p\(partition)-m\(offset % 5)"
            let partner = merchants[Int(offset * 7 + Int64(partition)) % merchants.count]
            let body: Transaction.Body =
                offset % 4 == 3
                ? .redemption(points: 20 + offset % 9) : .accrual(amountMinor: 40_000 + offset * 100, currency: "EUR", category: "any")
            entries.append(
                LedgerEntry(
                    offset: offset,
                    kind: .transaction(
                        Transaction(
                            partnerId: partner, partnerTxnId: "t\(partition)-\(offset)", memberId: member, eventTimeMilliseconds: time, body: body))))
        }
        return entries
    }

    /// Settles cycles 1 and 2 of the shards in `data` into `out`; returns cycle 1's settlement.
    static func settle(data: String, out: String, programme: Programme) throws -> [CycleSettlement] {
        var positions: [Int64: [Int32: CyclePosition]] = [:]
        for partition in Int32(0)..<2 {
            let shard = try Shard(
                path: WorkerConfiguration.shardPath(dataDirectory: data, partition: partition), partition: partition, programme: programme)
            defer { shard.close() }
            for position in try shard.positions() { positions[position.cycle, default: [:]][partition] = position }
        }
        var settlements: [CycleSettlement] = []
        var previousHash: String? = nil
        var closings: [String: Int64] = [:]
        for cycle in Int64(1)...2 {
            let check = CycleCheck(
                cycle: cycle, closedAtMilliseconds: positions[cycle]![0]!.closedAtMilliseconds, partitions: 2, positions: positions[cycle]!,
                previousPositions: positions[cycle - 1] ?? [:],
                previousClosedAtMilliseconds: cycle == 1 ? 0 : positions[cycle - 1]![0]!.closedAtMilliseconds,
                previousManifestSHA256: previousHash)
            #expect(check.problem(programme: programme) == nil, "cycle \(cycle): \(check.problem(programme: programme) ?? "")")
            var input = check.settlementInput(programme: programme)
            input.terms = programme.partners.map { PartnerTerms(partner: $0, programme: programme) }
            input.deposits = programme.partners.compactMap { partner in
                partner.deposit.map { DepositOpening(partnerId: partner.id, openingMinor: closings[partner.id] ?? $0.amountMinor) }
            }
            let settlement = try CycleSettlement.settle(input)
            let files = try SettlementWriter.write(settlement, to: out, signingKey: signingKey)
            let manifest: [UInt8] = files.first { $0.name == SettlementFileName.manifest(cycle: cycle) }!.bytes
            previousHash = sha256Hex(manifest)
            for item in settlement.economics { if let deposit = item.deposit { closings[item.partnerId] = deposit.closingMinor } }
            settlements.append(settlement)
        }
        return settlements
    }

    static var signingKey: Curve25519.Signing.PrivateKey { try! .init(rawRepresentation: [UInt8](repeating: 3, count: 32)) }

    static func prepared() throws -> (data: String, out: String, settlements: [CycleSettlement], programme: Programme) {
        let programme = try Programme.load(path: programmePath)
        let root = NSTemporaryDirectory() + "settlement-trace-\(UUID().uuidString)"
        let data = root + "/worker"
        let out = root + "/settlement"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        for partition in 0..<2 {
            let shard = try Shard(
                path: WorkerConfiguration.shardPath(dataDirectory: data, partition: Int32(partition)), partition: Int32(partition),
                programme: programme)
            let entries = entries(partition: partition, programme: programme)
            _ = try shard.apply(LedgerBatch(entries: entries, nextOffset: Int64(entries.count))) { _ in }
            shard.close()
        }
        return (data, out, try settle(data: data, out: out, programme: programme), programme)
    }

    @Test func everyPairsTracedLinesSumToWhatWasSettled() async throws {
        let (data, out, settlements, programme) = try Self.prepared()
        defer { try? FileManager.default.removeItem(atPath: (data as NSString).deletingLastPathComponent) }
        // The coalition's deposits and cycle fees take part, so the clearing lines are traced too.
        #expect(settlements[0].economics.contains { ($0.deposit?.drawnMinor ?? 0) > 0 })
        #expect(settlements[0].economics.contains { $0.cycleFeeMinor > 0 })
        let ids = [programme.operatorId] + programme.partners.map(\.id)
        for (index, settlement) in settlements.enumerated() {
            let cycle = Int64(index + 1)
            var entries: [TraceEntry] = []
            for partition in Int32(0)..<2 {
                let shard = try Shard(
                    path: WorkerConfiguration.shardPath(dataDirectory: data, partition: partition), partition: partition, programme: programme)
                defer { shard.close() }
                let debts = try #require(try shard.tracedDebts(cycle: cycle))
                entries += debts.map { TraceEntry(payer: $0.payer, payee: $0.payee, amountMinor: $0.amountMinor, what: "offset \($0.offset)") }
            }
            entries += PartnerEconomics.traceEntries(settlement.economics, operatorId: programme.operatorId)
            await Task.yield()
            for payer in ids {
                #expect(try PartnerEconomics.trace(entries, participant: payer).totalMinor == settlement.netting.position(of: payer))
                for payee in ids where payee != payer {
                    let traced = try PartnerEconomics.trace(entries, payer: payer, payee: payee).totalMinor
                    #expect(traced == PartnerEconomics.bilateralMinor(settlement.netting, payer: payer, payee: payee), "\(payer) -> \(payee)")
                    let holder = payer == programme.operatorId ? payee : payer
                    let statement = String(
                        decoding: FileManager.default.contents(atPath: "\(out)/\(SettlementFileName.statement(cycle: cycle, partner: holder))")!,
                        as: UTF8.self)
                    let stated = PartnerEconomics.bilateralMinor(
                        statement: statement, counterparty: holder == payer ? payee : payer, fromPayeeSide: holder != payer)
                    #expect(traced == stated, "cycle \(cycle) \(payer) -> \(payee)")
                }
            }
        }
    }

    @Test func theCommandListsTheLinesAndChecksTheTotal() async throws {
        let (data, out, settlements, programme) = try Self.prepared()
        defer { try? FileManager.default.removeItem(atPath: (data as NSString).deletingLastPathComponent) }
        let fuel = try #require(settlements[0].economics.first { $0.partnerId == "fuel" })
        let pair = try await LedgerVerifyTests.run([
            "settlement", "trace", "1", "--payer", "fuel", "--payee", programme.operatorId, "--data", data, "--settlement", out, "--programme",
            Self.programmePath,
        ])
        #expect(pair.status == 0, "\(pair.output)")
        #expect(pair.output.contains("deposit drawn"), "\(pair.output)")
        #expect(pair.output.contains("-\(fuel.deposit!.drawnMinor)\tfuel -> operator"), "\(pair.output)")
        let expected = PartnerEconomics.bilateralMinor(settlements[0].netting, payer: "fuel", payee: programme.operatorId)
        #expect(pair.output.contains("total fuel -> operator: \(expected) minor units"), "\(pair.output)")
        #expect(pair.output.contains("equals the bilateral amount fuel -> operator in cycle-1-statement-fuel.csv"), "\(pair.output)")

        let own = try await LedgerVerifyTests.run([
            "settlement", "trace", "2", "--payer", "pharmacy", "--data", data, "--settlement", out, "--programme", Self.programmePath,
        ])
        #expect(own.status == 0, "\(own.output)")
        #expect(own.output.contains("total net position of pharmacy: \(settlements[1].netting.position(of: "pharmacy")!) minor units"))
        #expect(own.output.contains("instructions (greedy) settle net positions"), "\(own.output)")

        // A statement that no longer matches the shards: the command fails and names both figures.
        let name = "\(out)/\(SettlementFileName.statement(cycle: 1, partner: "fuel"))"
        let text = String(decoding: FileManager.default.contents(atPath: name)!, as: UTF8.self)
        let bent = text.replacingOccurrences(of: "payable,operator,", with: "payable,operator,1")
        try bent.write(toFile: name, atomically: true, encoding: .utf8)
        let broken = try await LedgerVerifyTests.run([
            "settlement", "trace", "1", "--payer", "fuel", "--payee", programme.operatorId, "--data", data, "--settlement", out, "--programme",
            Self.programmePath,
        ])
        #expect(broken.status != 0)
        #expect(broken.output.contains("the traced lines sum to \(expected), but the bilateral amount"), "\(broken.output)")
    }
}
