import Foundation
import Kafka
import Synchronization

/// Publishes records as fast as Kafka takes them and keeps count of what was
/// acknowledged. A full producer queue is back-pressure: wait briefly and retry; a
/// delivery failure is counted and reported, never ignored.
final class Feeder: Sendable {
    struct Tally: Sendable {
        var sent = 0
        var acknowledged = 0
        var failed = 0
        var firstFailure: String?
        /// Highest acknowledged offset + 1 per partition: how far a worker must get.
        var endOffsets: [Int32: Int64] = [:]
    }

    private let producer: KafkaProducer
    private let tally = TallyBox()

    /// A reference to the lock, so delivery callbacks can hold it.
    private final class TallyBox: Sendable {
        let mutex = Mutex(Tally())
        func withLock<R>(_ body: (inout Tally) -> R) -> R { mutex.withLock { body(&$0) } }
    }

    init(producer: KafkaProducer) {
        self.producer = producer
    }

    var snapshot: Tally { tally.withLock { $0 } }

    func send(_ record: ProducerRecord) {
        tally.withLock { $0.sent += 1 }
        var backoffMicroseconds: UInt32 = 200
        while true {
            do {
                try producer.produce(record) { [tally] result in
                    tally.withLock { tally in
                        switch result {
                        case .success(let metadata):
                            tally.acknowledged += 1
                            tally.endOffsets[metadata.partition] = max(
                                tally.endOffsets[metadata.partition] ?? 0, metadata.offset + 1
                            )
                        case .failure(let error):
                            tally.failed += 1
                            if tally.firstFailure == nil { tally.firstFailure = "\(error)" }
                        }
                    }
                }
                return
            } catch  where error.code == .queueFull {
                usleep(backoffMicroseconds)
                backoffMicroseconds = min(backoffMicroseconds * 2, 50_000)
            } catch {
                tally.withLock {
                    $0.failed += 1
                    if $0.firstFailure == nil { $0.firstFailure = "\(error)" }
                }
                return
            }
        }
    }

    /// Blocks until every record sent so far is acknowledged or failed.
    func drain(timeoutMilliseconds: Int = 60_000) throws {
        try producer.flush(timeoutMilliseconds: timeoutMilliseconds)
    }
}
