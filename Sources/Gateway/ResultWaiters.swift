import LoyaltyWire
import Synchronization

/// One request waiting for its TransactionResult. Registered BEFORE the record is
/// published, so a result that comes back quickly is not missed.
final class ResultSlot: Sendable {
    private struct State {
        var done = false
        var value: Loyalty_V1_TransactionResult?
        var continuation: CheckedContinuation<Loyalty_V1_TransactionResult?, Never>?
    }
    private let state = Mutex(State())

    /// First call wins; later ones are ignored. nil = timed out or cancelled.
    func fulfil(_ value: Loyalty_V1_TransactionResult?) {
        let continuation: CheckedContinuation<Loyalty_V1_TransactionResult?, Never>? = state.withLock { s in
            if s.done { return nil }
            s.done = true
            s.value = value
            defer { s.continuation = nil }
            return s.continuation
        }
        continuation?.resume(returning: value)
    }

    /// The result, or nil after `timeout` (or when the task is cancelled).
    func wait(timeout: Duration) async -> Loyalty_V1_TransactionResult? {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                try? await Task.sleep(for: timeout)
                self.fulfil(nil)
            }
            let value: Loyalty_V1_TransactionResult? = await withCheckedContinuation { continuation in
                let ready: Loyalty_V1_TransactionResult?? = state.withLock { s in
                    if s.done { return .some(s.value) }
                    s.continuation = continuation
                    return .none
                }
                if let ready { continuation.resume(returning: ready) }
            }
            group.cancelAll()
            return value
        }
    }
}

/// Waiters by (partner_id, partner_txn_id). Several waiters on one key are served in
/// registration order (a retried request and its original).
final class ResultWaiters: Sendable {
    struct Key: Hashable, Sendable {
        let partnerId: String
        let partnerTxnId: String
    }

    private let waiters = Mutex<[Key: [ResultSlot]]>([:])

    var count: Int { waiters.withLock { $0.values.reduce(0) { $0 + $1.count } } }

    func register(_ key: Key) -> ResultSlot {
        let slot = ResultSlot()
        waiters.withLock { $0[key, default: []].append(slot) }
        return slot
    }

    /// Removes a slot that will not be waited on (publish failed, timed out).
    func remove(_ key: Key, _ slot: ResultSlot) {
        waiters.withLock { w in
            guard var list = w[key] else { return }
            list.removeAll { $0 === slot }
            w[key] = list.isEmpty ? nil : list
        }
        slot.fulfil(nil)
    }

    /// Called by the results listener for every result; a result nobody waits for is dropped.
    func deliver(_ result: Loyalty_V1_TransactionResult) {
        let key = Key(partnerId: result.partnerID, partnerTxnId: result.partnerTxnID)
        let slot: ResultSlot? = waiters.withLock { w in
            guard var list = w[key], !list.isEmpty else { return nil }
            let first = list.removeFirst()
            w[key] = list.isEmpty ? nil : list
            return first
        }
        slot?.fulfil(result)
    }
}
