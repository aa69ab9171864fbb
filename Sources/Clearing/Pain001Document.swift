import Basics
import Programme

/// `cycle-<N>-pain001.xml`: ISO 20022 pain.001.001.09 CustomerCreditTransferInitiationV09.
///
/// One `PmtInf` per debtor (debtor id order), one `CdtTrfTxInf` per instruction (sequence
/// order). `CreDtTm` is the cycle's close time and `ReqdExctnDt` its UTC date, so the
/// file is a function of the cycle. Identifiers: MsgId `LOYALTY-CYCLE-<N>`, PmtInfId
/// `C<N>-D<k>` (k-th debtor), EndToEndId `C<N>-S<sequence>`, all ≤ 35 characters.
enum Pain001Document {
    static let namespace = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"

    static func messageId(cycle: Int64) -> String { "LOYALTY-CYCLE-\(cycle)" }

    static func render(_ settlement: CycleSettlement, accounts: [String: ParticipantAccount]) -> String {
        let input = settlement.input
        let currency = input.currency
        let exponent = currency.minorUnitExponent
        let ccy = XMLText.escape(currency.code)
        var byDebtor: [String: [SettlementInstruction]] = [:]
        var controlSumMinor: Int64 = 0
        for instruction in settlement.instructions {
            byDebtor[instruction.payer, default: []].append(instruction)
            controlSumMinor &+= instruction.amountMinor  // bounded by moved money, already checked
        }
        let debtors = byDebtor.keys.sorted(by: idPrecedes)
        let operatorName = accounts[input.operatorId]?.name ?? input.operatorId

        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out.reserveCapacity(settlement.instructions.count * 700 + 1024)
        out += "<Document xmlns=\"\(namespace)\">\n"
        out += "  <CstmrCdtTrfInitn>\n"
        out += "    <GrpHdr>\n"
        out += "      <MsgId>\(messageId(cycle: input.cycle))</MsgId>\n"
        out += "      <CreDtTm>\(CivilTime.iso8601(milliseconds: input.closedAtMilliseconds))</CreDtTm>\n"
        out += "      <NbOfTxs>\(settlement.instructions.count)</NbOfTxs>\n"
        out += "      <CtrlSum>\(MinorUnits.format(controlSumMinor, exponent: exponent))</CtrlSum>\n"
        out += "      <InitgPty>\n"
        out += "        <Nm>\(XMLText.escape(operatorName))</Nm>\n"
        out += "      </InitgPty>\n"
        out += "    </GrpHdr>\n"
        let executionDate = CivilTime.date(milliseconds: input.closedAtMilliseconds)
        for (debtorNumber, debtorId) in debtors.enumerated() {
            let transfers = byDebtor[debtorId]!
            let debtor = accounts[debtorId]
            let debtorSumMinor = transfers.reduce(Int64(0)) { $0 &+ $1.amountMinor }
            out += "    <PmtInf>\n"
            out += "      <PmtInfId>C\(input.cycle)-D\(debtorNumber + 1)</PmtInfId>\n"
            out += "      <PmtMtd>TRF</PmtMtd>\n"
            out += "      <NbOfTxs>\(transfers.count)</NbOfTxs>\n"
            out += "      <CtrlSum>\(MinorUnits.format(debtorSumMinor, exponent: exponent))</CtrlSum>\n"
            out += "      <ReqdExctnDt>\n"
            out += "        <Dt>\(executionDate)</Dt>\n"
            out += "      </ReqdExctnDt>\n"
            out += party("Dbtr", name: debtor?.name ?? debtorId, indent: "      ")
            out += account("DbtrAcct", iban: debtor?.iban ?? "", indent: "      ")
            out += agent("DbtrAgt", bic: debtor?.bic ?? "", indent: "      ")
            out += "      <ChrgBr>SLEV</ChrgBr>\n"
            for transfer in transfers {
                let creditor = accounts[transfer.payee]
                out += "      <CdtTrfTxInf>\n"
                out += "        <PmtId>\n"
                out += "          <EndToEndId>C\(input.cycle)-S\(transfer.sequence)</EndToEndId>\n"
                out += "        </PmtId>\n"
                out += "        <Amt>\n"
                out += "          <InstdAmt Ccy=\"\(ccy)\">\(MinorUnits.format(transfer.amountMinor, exponent: exponent))</InstdAmt>\n"
                out += "        </Amt>\n"
                out += agent("CdtrAgt", bic: creditor?.bic ?? "", indent: "        ")
                out += party("Cdtr", name: creditor?.name ?? transfer.payee, indent: "        ")
                out += account("CdtrAcct", iban: creditor?.iban ?? "", indent: "        ")
                out += "        <RmtInf>\n"
                out += "          <Ustrd>\(XMLText.escape("Loyalty clearing cycle \(input.cycle) instruction \(transfer.sequence)"))</Ustrd>\n"
                out += "        </RmtInf>\n"
                out += "      </CdtTrfTxInf>\n"
            }
            out += "    </PmtInf>\n"
        }
        out += "  </CstmrCdtTrfInitn>\n"
        out += "</Document>\n"
        return out
    }

    private static func party(_ tag: String, name: String, indent: String) -> String {
        "\(indent)<\(tag)>\n\(indent)  <Nm>\(XMLText.escape(name))</Nm>\n\(indent)</\(tag)>\n"
    }

    private static func account(_ tag: String, iban: String, indent: String) -> String {
        "\(indent)<\(tag)>\n\(indent)  <Id>\n\(indent)    <IBAN>\(XMLText.escape(iban))</IBAN>\n\(indent)  </Id>\n\(indent)</\(tag)>\n"
    }

    private static func agent(_ tag: String, bic: String, indent: String) -> String {
        "\(indent)<\(tag)>\n\(indent)  <FinInstnId>\n\(indent)    <BICFI>\(XMLText.escape(bic))</BICFI>\n\(indent)  </FinInstnId>\n\(indent)</\(tag)>\n"
    }
}
