import ArgumentParser
import ClearingNode

extension ClearingCommand {
    struct TopUp: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "top-up",
            abstract: "Record money a partner paid into its deposit; the next cycle to close includes it.",
            discussion: """
                A top-up is a payment the partner made outside the cycles (a bank transfer); \
                give its payment reference. Recording the same reference again changes nothing; \
                the same reference with another partner or amount is refused. The next cycle \
                to close takes every waiting top-up: its statement lists each one \
                (deposit_top_up,REFERENCE,AMOUNT,minor) and the deposit's closing balance grows \
                by them. A top-up that restores a drawable balance lifts a suspension \
                (when_exhausted: refuse) at that cycle's barrier. See docs/finance.md, "Deposits".
                """
        )

        @Option(help: "The partner whose deposit is topped up (it needs a deposit in the programme).") var partner: String
        @Option(help: "The amount paid, in minor units.") var amountMinor: Int64
        @Option(help: "The payment's reference (1-64 letters, digits, . _ - / :), used once.") var reference: String
        @OptionGroup var programme: ProgrammeOption
        @Option(help: "The clearing node's state file (SQLite).") var state = "var/clearing/state.sqlite"

        func run() async throws {
            let result: ClearingAdmin.TopUpResult
            do {
                result = try ClearingAdmin.recordTopUp(
                    statePath: state, programme: try programme.load(), partner: partner, amountMinor: amountMinor,
                    reference: reference)
            } catch let error as ClearingNodeError {
                throw CLIError(error.description)
            }
            if result.recorded {
                print("top-up \(reference): \(amountMinor) minor units for \(partner) recorded; the next cycle to close includes it")
            } else {
                let state = result.cycle.map { "cycle \($0) took it" } ?? "it waits for the next cycle to close"
                print("top-up \(reference) was already recorded (\(state)); nothing changed")
            }
        }
    }
}
