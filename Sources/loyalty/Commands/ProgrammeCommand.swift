import ArgumentParser
import Foundation
import Programme

struct ProgrammeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "programme",
        abstract: "Check a programme file, or print the sample one.",
        subcommands: [Check.self, Sample.self]
    )

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a programme file; list every problem with its field path.",
            discussion: "Run it before rolling a new programme version out to the nodes: every node refuses to start on an invalid file."
        )

        @Argument(help: "Programme file (JSON).") var file: String

        func run() async throws {
            do {
                let programme = try Programme.load(path: file)
                print(
                    "\(file): valid; version \(programme.version), \(programme.partners.count) partners, currency \(programme.currency), point value \(programme.pointValueMinor) minor unit(s), expiry \(programme.expiryMonths) months"
                )
            } catch {
                FileHandle.standardError.write(Data("\(file): \(error)\n".utf8))
                throw ExitCode(1)
            }
        }
    }

    struct Sample: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the built-in sample programme (8 partners) as JSON.")

        func run() async throws {
            print(Programme.sampleJSON)
        }
    }
}
