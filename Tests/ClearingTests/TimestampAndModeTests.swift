import Crypto
import Foundation
import Programme
import SettlementFiles
import Testing

@testable import Clearing

@Suite("Timestamps and central-counterparty files", .timeLimit(.minutes(10)))
struct TimestampAndModeTests {
    @Test func centralCounterpartyCycleVerifiesAndTamperingIsLocated() throws {
        let directory = Fixtures.temporaryDirectory()
        let settlement = try CycleSettlement.settle(Fixtures.input(), mode: .centralCounterparty(operatorId: "OP"))
        try SettlementWriter.write(settlement, to: directory, signingKey: Fixtures.signingKey)
        let report = try SettlementVerifier.verify(directory: directory, cycle: .cycle(1), publicKey: Fixtures.signingKey.publicKey)
        #expect(report.instructionCount == 4)
        let manifest = String(decoding: Fixtures.read(directory, "cycle-1-manifest.json"), as: UTF8.self)
        #expect(manifest.contains("\"instruction_mode\": \"central_counterparty\""))
        #expect(manifest.contains("\"central_counterparty_id\": \"OP\""))

        let csv = String(decoding: Fixtures.read(directory, "cycle-1-instructions.csv"), as: UTF8.self)
            .replacingOccurrences(of: "3,OP,B,570,", with: "3,OP,B,571,")
        Fixtures.write(directory, "cycle-1-instructions.csv", Array(csv.utf8))
        let error = #expect(throws: ClearingError.self) {
            try SettlementVerifier.verify(directory: directory, publicKey: Fixtures.signingKey.publicKey)
        }
        #expect(error?.code == .hashMismatch)
        #expect(error?.location == "line 4")
    }

    @Test func zeroAndThreeDecimalCurrenciesFormatControlSums() throws {
        for (code, exponent, expected) in [("JPY", 0, "900"), ("KWD", 3, "0.900")] {
            var input = Fixtures.input()
            input.currency = Currency(code: code, minorUnitExponent: exponent)
            let files = try SettlementRenderer.render(try CycleSettlement.settle(input), signingKey: Fixtures.signingKey)
            let xml = String(decoding: try #require(files.first { $0.name.hasSuffix("pain001.xml") }).bytes, as: UTF8.self)
            #expect(xml.contains("<CtrlSum>\(expected)</CtrlSum>"), "\(code)")
            #expect(xml.contains("Ccy=\"\(code)\""), "\(code)")
        }
    }

    @Test func invalidInputsAreRejectedWithTheField() {
        var input = Fixtures.input()
        input.accounts[1].iban = "not an iban"
        let error = #expect(throws: ClearingError.self) { try CycleSettlement.settle(input) }
        #expect(error?.code == .invalidInput)
        #expect(error?.location == "participants.iban")

        var chained = Fixtures.input(cycle: 2)
        chained.previousManifestSHA256 = nil
        let chainError = #expect(throws: ClearingError.self) { try CycleSettlement.settle(chained) }
        #expect(chainError?.code == .invalidInput)
    }
}

@Suite("Account validation", .timeLimit(.minutes(10)))
struct AccountValidationTests {
    @Test func controlCharactersInNamesAreRejectedBeforeTheyBreakXML() {
        var input = Fixtures.input()
        input.accounts[2].name = "Bad\u{1}Name"
        let error = #expect(throws: ClearingError.self) { try CycleSettlement.settle(input) }
        #expect(error?.location == "participants.name")
    }

    @Test func idsThatCannotNameAFileAreRejected() {
        var input = Fixtures.input()
        input.accounts[1].id = "../A"
        let error = #expect(throws: ClearingError.self) { try CycleSettlement.settle(input) }
        #expect(error?.location == "participants.id")
    }
}
