import CLoyaltyPOS
import Foundation
import Programme
import Synchronization

/// Simulated POS terminals of one partner, sending through the C partner SDK
/// (`CLoyaltyPOS`) exactly as a partner's C software would: one SDK handle per terminal
/// thread, each call waiting for Kafka's ack. A member always uses the same terminal,
/// so its transactions stay in order.
final class POSTerminals: Sendable {
    struct Tally: Sendable {
        var acknowledged = 0
        /// Refused by the SDK's own validation (nothing published), e.g. a zero amount.
        var refused = 0
        var failed = 0
        var firstProblem: String?
    }

    let partnerId: String
    private let lanes: [Lane]

    init(partnerId: String, terminals: Int, bootstrapServers: String) throws {
        self.partnerId = partnerId
        lanes = try (0..<max(1, terminals)).map { index in
            try Lane(name: "pos-\(partnerId)-\(index)", partnerId: partnerId, bootstrapServers: bootstrapServers)
        }
    }

    func send(_ transaction: Transaction) {
        lanes[Int(UInt(bitPattern: transaction.memberId.hashValue) % UInt(lanes.count))].enqueue(transaction)
    }

    /// Waits until every queued transaction was sent, then closes the SDK handles.
    func finish() -> Tally {
        lanes.forEach { $0.finish() }
        return lanes.reduce(into: Tally()) { total, lane in
            let tally = lane.tally
            total.acknowledged += tally.acknowledged
            total.refused += tally.refused
            total.failed += tally.failed
            total.firstProblem = total.firstProblem ?? tally.firstProblem
        }
    }

    var acknowledged: Int { lanes.reduce(0) { $0 + $1.tally.acknowledged } }

    /// Waits until every transaction handed over so far has been answered by the SDK.
    func waitUntilIdle() {
        while lanes.contains(where: { $0.pending > 0 }) { usleep(2_000) }
    }

    /// One terminal: a thread draining a bounded queue into the C SDK.
    private final class Lane: @unchecked Sendable {  // the handle is used by the lane's thread only; the rest is locked
        private struct Queue {
            var items: [Transaction] = []
            var pending = 0
            var finished = false
        }

        private let handle: OpaquePointer
        private let queue = Mutex(Queue())
        private let available = DispatchSemaphore(value: 0)
        private let space = DispatchSemaphore(value: Lane.capacity)
        private let done = DispatchSemaphore(value: 0)
        private let counts = Mutex(Tally())
        static let capacity = 1_000

        init(name: String, partnerId: String, bootstrapServers: String) throws {
            var pointer: OpaquePointer?
            var error = [CChar](repeating: 0, count: 512)
            let status = bootstrapServers.withCString { servers in
                partnerId.withCString { partner in
                    var configuration = loyalty_pos_config_t()
                    configuration.bootstrap_servers = servers
                    configuration.partner_id = partner
                    configuration.delivery_timeout_ms = 30_000
                    return loyalty_pos_open(&configuration, &pointer, &error, error.count)
                }
            }
            guard status == 0, let pointer else {
                throw CLIError("the C partner SDK could not start: \(Self.text(error))")
            }
            handle = pointer
            let thread = Thread { [self] in drain() }
            thread.name = name
            thread.start()
        }

        var tally: Tally { counts.withLock { $0 } }

        /// Handed over and not yet answered by the SDK.
        var pending: Int { queue.withLock { $0.pending } }

        func enqueue(_ transaction: Transaction) {
            space.wait()
            queue.withLock {
                $0.items.append(transaction)
                $0.pending += 1
            }
            available.signal()
        }

        func finish() {
            queue.withLock { $0.finished = true }
            available.signal()
            done.wait()
        }

        private func drain() {
            while true {
                available.wait()
                let next: Transaction? = queue.withLock { queue in
                    queue.items.isEmpty ? nil : queue.items.removeFirst()
                }
                guard let transaction = next else {
                    if queue.withLock({ $0.finished && $0.items.isEmpty }) { break }
                    continue
                }
                space.signal()
                record(send(transaction))
                queue.withLock { $0.pending -= 1 }
            }
            loyalty_pos_close(handle)
            done.signal()
        }

        private func send(_ transaction: Transaction) -> (status: Int32, message: String) {
            var error = [CChar](repeating: 0, count: 512)
            let id = transaction.partnerTxnId
            let member = transaction.memberId
            let time = transaction.eventTimeMilliseconds
            let status: Int32
            switch transaction.body {
            case .accrual(let amount, let currency, let category):
                status = loyalty_pos_accrue(handle, id, member, time, amount, currency, category, &error, error.count)
            case .redemption(let points):
                status = loyalty_pos_redeem(handle, id, member, time, points, &error, error.count)
            case .refund(let original, let amount, let currency):
                status = loyalty_pos_refund(handle, id, member, time, original, amount, currency, &error, error.count)
            case .cancel(let original):
                status = loyalty_pos_cancel(handle, id, member, time, original, &error, error.count)
            case .card:
                // The C SDK sends purchases and reversals; card operations go through the gateway.
                status = LOYALTY_POS_EINVAL
            }
            return (status, Self.text(error))
        }

        /// A NUL-terminated C buffer as text.
        static func text(_ buffer: [CChar]) -> String {
            String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }

        private func record(_ result: (status: Int32, message: String)) {
            counts.withLock { tally in
                switch result.status {
                case 0: tally.acknowledged += 1
                case LOYALTY_POS_EINVAL: tally.refused += 1
                default:
                    tally.failed += 1
                    tally.firstProblem = tally.firstProblem ?? result.message
                }
            }
        }
    }
}
