import ArgumentParser

@main
struct Loyalty: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loyalty",
        abstract: "Clearing house of a coalition loyalty programme.",
        discussion: """
            One card, many partners: members earn points at any partner and spend them at \
            any other; the clearing house keeps the ledgers and settles what partners owe \
            each other.

            Start with `loyalty dev`: it runs the whole pipeline on an embedded Kafka \
            (librdkafka's mock cluster) with a synthetic coalition and prints the result.
            """,
        subcommands: [
            Dev.self, Broker.self, TopicsCommand.self, WorkerCommand.self, Produce.self, LedgerCommand.self, ClearingCommand.self,
            SettlementCommand.self, ProgrammeCommand.self, GatewayCommand.self,
            Bench.self,
        ]
    )
}
