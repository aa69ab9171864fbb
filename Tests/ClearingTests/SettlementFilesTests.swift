import Benchmarks
import Clearing
import Foundation
import SettlementFiles
import Testing

#if canImport(FoundationXML)
    import Crypto
    import FoundationXML
#endif

@Suite("Settlement files", .timeLimit(.minutes(10)))
struct SettlementFilesTests {
    @Test func secondRunWritesByteIdenticalFiles() throws {
        let first = Fixtures.temporaryDirectory()
        let second = Fixtures.temporaryDirectory()
        let settlement = try CycleSettlement.settle(Fixtures.input())
        let written = try SettlementWriter.write(settlement, to: first, signingKey: Fixtures.signingKey)
        // Settle again from a shuffled input, into another directory and over the first.
        var shuffledInput = Fixtures.input()
        shuffledInput.debts.reverse()
        shuffledInput.partitions.reverse()
        shuffledInput.accounts.reverse()
        let again = try CycleSettlement.settle(shuffledInput)
        try SettlementWriter.write(again, to: second, signingKey: Fixtures.signingKey)
        try SettlementWriter.write(again, to: first, signingKey: Fixtures.signingKey)
        #expect(written.count == 8)  // 4 statements, CSV, XML, manifest, signature
        for file in written {
            #expect(Fixtures.read(first, file.name) == file.bytes, "\(file.name)")
            #expect(Fixtures.read(second, file.name) == file.bytes, "\(file.name)")
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: first).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty)
    }

    @Test func instructionsCSVIsExact() throws {
        let directory = Fixtures.temporaryDirectory()
        try SettlementWriter.write(try CycleSettlement.settle(Fixtures.input()), to: directory, signingKey: Fixtures.signingKey)
        let text = String(decoding: Fixtures.read(directory, "cycle-1-instructions.csv"), as: UTF8.self)
        #expect(
            text == """
                sequence,payer,payee,amount_minor,currency,payer_iban,payer_bic,payee_iban,payee_bic
                1,D,B,550,EUR,DE12500105170648489890,INGDDEFF,DE02500105170137075030,INGDDEFFXXX
                2,A,C,250,EUR,DE02120300000000202051,BYLADEM1001,DE88100900001234567892,BEVODEBB
                3,A,OP,80,EUR,DE02120300000000202051,BYLADEM1001,DE89370400440532013000,COBADEFFXXX
                4,A,B,20,EUR,DE02120300000000202051,BYLADEM1001,DE02500105170137075030,INGDDEFFXXX

                """)
    }

    @Test func partnerStatementListsCounterpartiesPointsAndFees() throws {
        let directory = Fixtures.temporaryDirectory()
        try SettlementWriter.write(try CycleSettlement.settle(Fixtures.input()), to: directory, signingKey: Fixtures.signingKey)
        let text = String(decoding: Fixtures.read(directory, "cycle-1-statement-A.csv"), as: UTF8.self)
        #expect(
            text == """
                record,counterparty,amount,unit
                receivable,C,200,minor
                receivable,D,400,minor
                payable,B,900,minor
                payable,OP,50,minor
                total_receivable,,600,minor
                total_payable,,950,minor
                net_position,,-350,minor
                settlement_pay,C,250,minor
                settlement_pay,OP,80,minor
                settlement_pay,B,20,minor
                points_issued,,1200,points
                points_redeemed,,300,points
                points_expired,,20,points
                points_clawed_back,,5,points
                fees,,50,minor

                """)
        let statementB = String(decoding: Fixtures.read(directory, "cycle-1-statement-B.csv"), as: UTF8.self)
        #expect(statementB.contains("self_debt,B,500,minor\n"))
        #expect(!FileManager.default.fileExists(atPath: directory + "/cycle-1-statement-OP.csv"))
    }

    @Test func pain001ParsesAndMatchesTheCSV() throws {
        let directory = Fixtures.temporaryDirectory()
        var input = Fixtures.input()
        input.closedAtMilliseconds = 1_767_225_600_123  // 2026-01-01T00:00:00.123Z
        try SettlementWriter.write(try CycleSettlement.settle(input), to: directory, signingKey: Fixtures.signingKey)
        let xml = Fixtures.read(directory, "cycle-1-pain001.xml")
        let reader = ElementReader()
        let parser = XMLParser(data: Data(xml))
        parser.delegate = reader
        #expect(parser.parse(), "\(String(describing: parser.parserError))")

        let csvRows = String(decoding: Fixtures.read(directory, "cycle-1-instructions.csv"), as: UTF8.self)
            .split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let csvTotal = csvRows.reduce(0) { $0 + Int($1[3])! }
        #expect(reader.first("NbOfTxs") == String(csvRows.count))
        #expect(reader.first("CtrlSum") == "\(csvTotal / 100).\(String(format: "%02d", csvTotal % 100))")
        #expect(reader.first("CtrlSum") == "9.00")
        #expect(reader.all("InstdAmt") == ["2.50", "0.80", "0.20", "5.50"])  // debtor A's PmtInf first
        #expect(reader.all("EndToEndId") == ["C1-S2", "C1-S3", "C1-S4", "C1-S1"])
        #expect(reader.first("CreDtTm") == "2026-01-01T00:00:00.123Z")
        #expect(reader.first("Dt") == "2026-01-01")
        #expect(reader.first("MsgId") == "LOYALTY-CYCLE-1")
        #expect(reader.namespace == "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09")
        #expect(reader.currencies == Set(["EUR"]))
        #expect(reader.all("BICFI").contains("BEVODEBB"))
        // Escaped names come back intact.
        #expect(reader.all("Nm").contains("Apotheke Adler & Söhne"))
        #expect(reader.all("Nm").contains("Benzin <Nord>"))
        #expect(reader.all("Nm").contains("Cinema \"Central\""))
        #expect(reader.all("Nm").contains("D'Hotels"))
        #expect(reader.all("PmtInf").count == 2)
    }

    @Test func manifestIsCanonicalSortedJSON() throws {
        let directory = Fixtures.temporaryDirectory()
        let files = try SettlementWriter.write(
            try CycleSettlement.settle(Fixtures.input()), to: directory, signingKey: Fixtures.signingKey)
        let bytes = Fixtures.read(directory, "cycle-1-manifest.json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(
            object.keys.sorted() == [
                "accounts", "currency", "cycle", "economics_totals", "files", "format", "gross", "instruction_mode", "net", "net_positions",
                "netting_efficiency", "operator_id", "partition_totals", "partitions", "partner_economics", "previous_manifest_sha256",
                "programme_versions", "window",
            ])
        let hashes = try #require(object["files"] as? [String: String])
        for file in files where !file.name.hasSuffix("manifest.json") && !file.name.hasSuffix(".sig") {
            #expect(hashes[file.name] == Fixtures.sha256(file.bytes), "\(file.name)")
        }
        #expect(hashes.count == 6)
        #expect(object["previous_manifest_sha256"] as? String == String(repeating: "0", count: 64))
        let positions = try #require(object["net_positions"] as? [String: Int])
        #expect(positions == ["A": -350, "B": 570, "C": 250, "D": -550, "OP": 80])
        let text = String(decoding: bytes, as: UTF8.self)
        // Keys appear in byte order at the top level and partitions by number.
        let topKeys = text.split(separator: "\n").filter { $0.hasPrefix("  \"") }.map { $0.split(separator: "\"")[1] }
        #expect(topKeys == topKeys.sorted())
        #expect(text.hasSuffix("}\n"))
        let partitions = try #require(object["partitions"] as? [[String: Any]])
        #expect(partitions.map { $0["partition"] as? Int } == [0, 1])
        #expect(text.contains("\"window\": {\n    \"from_closed_at\": \"2025-12-31T00:00:00.000Z\""))
    }

    @Test func keysRoundTripThroughFilesInHexAndBase64() throws {
        let directory = Fixtures.temporaryDirectory()
        let key = SigningKeyFile.generate()
        try SigningKeyFile.writePrivateKey(key, to: directory + "/operator.key")
        try SigningKeyFile.writePublicKey(key.publicKey, to: directory + "/operator.pub")
        let loaded = try SigningKeyFile.loadPrivateKey(from: directory + "/operator.key")
        #expect(loaded.rawRepresentation == key.rawRepresentation)
        let publicText = String(decoding: Fixtures.read(directory, "operator.pub"), as: UTF8.self)
        #expect(publicText.count == 65 && publicText.hasSuffix("\n"))
        let base64 = key.publicKey.rawRepresentation.base64EncodedString()
        #expect(try SigningKeyFile.publicKey(fromText: base64).rawRepresentation == key.publicKey.rawRepresentation)
        let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/operator.key")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let error = #expect(throws: ClearingError.self) { try SigningKeyFile.publicKey(fromText: "abc") }
        #expect(error?.code == .keyFormat)
    }

    @Test func benchmarkWorkloadRunsQuietlyAndVerifies() throws {
        let directory = Fixtures.temporaryDirectory()
        let input = ClearingBenchmark.makeInput(participantCount: 50, entryCount: 5_000, seed: 3)
        let result = try ClearingBenchmark.run(input, directory: directory, signingKey: Fixtures.signingKey)
        #expect(result.participantCount == 50)
        #expect(result.instructionCount <= 49)
        let report = try SettlementVerifier.verify(directory: directory, publicKey: Fixtures.signingKey.publicKey)
        #expect(report.cycles == [1])
        #expect(report.instructionCount == result.instructionCount)
    }
}

/// Collects element text, the document namespace and InstdAmt currencies.
private final class ElementReader: NSObject, XMLParserDelegate {
    private var texts: [String: [String]] = [:]
    private var current = ""
    var namespace: String?
    var currencies = Set<String>()

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
        attributes attributeDict: [String: String] = [:]
    ) {
        if elementName == "Document" { namespace = attributeDict["xmlns"] }
        if elementName == "InstdAmt", let currency = attributeDict["Ccy"] { currencies.insert(currency) }
        current = ""
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { current += string }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        texts[elementName, default: []].append(current.trimmingCharacters(in: .whitespacesAndNewlines))
        current = ""
    }

    func first(_ name: String) -> String? { texts[name]?.first }
    func all(_ name: String) -> [String] { texts[name] ?? [] }
}
