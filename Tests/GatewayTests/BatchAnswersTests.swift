import LoyaltyTesting
import NIOCore
import Programme
import Synchronization
import Testing

@testable import Gateway

/// The batch endpoint's answer window without HTTP or Kafka: a reader adding lines, a
/// stand-in for Kafka completing them in random order, a writer taking them.
@Suite("Batch answer window", .timeLimit(.minutes(10)))
struct BatchAnswersTests {
    /// Numbers of pending lines, completed by `complete` in shuffled runs.
    final class FakeKafka: Sendable {
        let pending = Mutex<[Int]>([])
        let finished = Atomic<Bool>(false)
        let generator = Mutex<UInt64>(0x1234_5678)

        func drain() -> [Int] {
            pending.withLock { list in
                defer { list.removeAll() }
                return list
            }
        }

        func shuffled(_ numbers: [Int]) -> [Int] {
            generator.withLock { state in
                var numbers = numbers
                for index in numbers.indices.reversed() where index > 0 {
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    numbers.swapAt(index, Int((state >> 33) % UInt64(index + 1)))
                }
                return numbers
            }
        }
    }

    @Test("lines come out in input order whatever order Kafka answers in; the reader never runs ahead of the window")
    func orderAndWindow() async throws {
        let capacity = 16
        let count = 2_000
        let answers = BatchAnswers(capacity: capacity)
        let kafka = FakeKafka()
        let overruns = Atomic<Int>(0)

        let reader = Task {
            for number in 1...count {
                let line: BatchLine =
                    number % 7 == 0
                    ? .refused(status: "invalid", field: "record", reason: "line \(number)")
                    : .pending(partnerTxnId: "t-\(number)", traceId: "trace")
                let (added, full) = answers.add(line)
                #expect(added == number)
                if answers.unwritten > capacity { overruns.add(1, ordering: .relaxed) }
                if case .pending = line { kafka.pending.withLock { $0.append(number) } }
                // The stall check (a client that stopped reading) is not under test here: a
                // writer starved by a loaded machine must not be taken for one.
                if full { await answers.waitForRoom(stall: .seconds(3600)) }
            }
            answers.finish()
        }
        let completer = Task {
            while !kafka.finished.load(ordering: .relaxed) {
                let numbers = kafka.shuffled(kafka.drain())
                // Nothing pending: rest instead of spinning one of the pool's few threads,
                // which other suites running in parallel need.
                if numbers.isEmpty { try? await Task.sleep(for: .microseconds(200)) } else { await Task.yield() }
                for number in numbers {
                    if number % 11 == 0 {
                        answers.fail(number, status: "failed", reason: "not acknowledged: \(number)")
                    } else {
                        answers.accept(number, partition: Int32(number % 4), offset: Int64(number))
                    }
                }
            }
        }

        var taken: [(Int, BatchLine)] = []
        var lines: [BatchLine] = []
        taking: while true {
            switch answers.take(into: &lines, limit: 5) {
            case .lines(let first):
                for (offset, line) in lines.enumerated() { taken.append((first + offset, line)) }
                lines.removeAll()
            case .wait: await answers.waitForFront()
            case .done: break taking
            }
        }
        kafka.finished.store(true, ordering: .relaxed)
        await reader.value
        await completer.value

        #expect(overruns.load(ordering: .relaxed) == 0)
        #expect(taken.map(\.0) == Array(1...count))
        for (number, line) in taken {
            switch line {
            case .refused(_, _, let reason): #expect(number % 7 == 0 && reason == "line \(number)")
            case .failed(_, let reason): #expect(number % 7 != 0 && number % 11 == 0 && reason == "not acknowledged: \(number)")
            case .accepted(let txn, _, let partition, let offset):
                #expect(number % 7 != 0 && number % 11 != 0)
                #expect(txn == "t-\(number)" && partition == Int32(number % 4) && offset == Int64(number))
            case .pending: Issue.record("line \(number) taken while pending")
            }
        }
    }

    @Test("a writer that goes away releases a reader waiting for room")
    func closeReleasesReader() async throws {
        let answers = BatchAnswers(capacity: 2)
        _ = answers.add(.pending(partnerTxnId: "a", traceId: "t"))
        let (_, full) = answers.add(.pending(partnerTxnId: "b", traceId: "t"))
        #expect(full)
        let reader = Task {
            await answers.waitForRoom()
            return answers.isClosed
        }
        answers.close()
        #expect(await reader.value)
    }

    @Test("status lines are written as JSON the reference escaper would give", .seeded(4))
    func quoting() throws {
        let samples = [
            "", "plain", "with \"quotes\"", "back\\slash", "tab\tand\nnewline\r", "\u{01}\u{1f}", "Ünïcode ✓", "emoji 🎟️", "a\u{7f}b",
        ]
        var generator = TestSeed.generator()
        let alphabet: [Character] = ["a", "\"", "\\", "\n", "\u{0}", "\u{1b}", "é", "€", "😀", " ", "/"]
        let random = (0..<500).map { _ in
            String((0..<Int.random(in: 0...12, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
        }
        for text in samples + random {
            var buffer = ByteBuffer()
            buffer.writeJSONQuoted(text)
            #expect(String(buffer: buffer) == JSONText.quoted(text), "\(text.debugDescription)")
        }
        var line = ByteBuffer()
        BatchLine.accepted(partnerTxnId: "t\"1", traceId: "x", partition: 3, offset: 1207).write(number: 1, into: &line)
        #expect(
            String(buffer: line)
                == "{\"line\":1,\"status\":\"accepted\",\"partner_txn_id\":\"t\\\"1\",\"trace_id\":\"x\",\"partition\":3,\"offset\":1207}\n")
    }
}
