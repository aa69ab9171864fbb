import Programme

/// `cycle-<N>-instructions.csv`: one row per instruction, in sequence order.
package enum InstructionsCSV {
    package static let header = "sequence,payer,payee,amount_minor,currency,payer_iban,payer_bic,payee_iban,payee_bic\n"
    package static let columnCount = 9

    package static func render(
        _ instructions: [SettlementInstruction], currency: Currency, accounts: [String: ParticipantAccount]
    ) -> String {
        var out = header
        out.reserveCapacity(instructions.count * 96 + header.utf8.count)
        for instruction in instructions {
            out += row(instruction, currency: currency, accounts: accounts)
        }
        return out
    }

    package static func row(
        _ instruction: SettlementInstruction, currency: Currency, accounts: [String: ParticipantAccount]
    ) -> String {
        let payer = accounts[instruction.payer]
        let payee = accounts[instruction.payee]
        return CSV.line([
            String(instruction.sequence), instruction.payer, instruction.payee, String(instruction.amountMinor),
            currency.code, payer?.iban ?? "", payer?.bic ?? "", payee?.iban ?? "", payee?.bic ?? "",
        ])
    }
}
