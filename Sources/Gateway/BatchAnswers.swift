import Synchronization

/// The answer of one batch request: one status line per record, in input order. The
/// reader adds a line per record (refused ones complete, published ones pending until
/// Kafka's delivery report fills them in); the writer takes completed lines from the front.
///
/// Bounded twice: while `capacity` lines wait for Kafka the reader waits (Kafka answers
/// or times them out); and at most `maxUnwritten` lines wait for the client to read them.
/// A client that sends its whole body before reading (Python `requests`) leaves them
/// there: the reader then gets `.unread` from `waitForRoom` and stops, instead of
/// waiting for a client that waits for it. One lock; no task, continuation or
/// object per line, and the writer is woken once per run of completed lines: at tens of
/// thousands of lines a second, per-line hand-offs cost more than the lines themselves.
final class BatchAnswers: Sendable {
    typealias Line = BatchLine

    /// What the writer gets from `take`.
    enum Take {
        /// Lines moved into the caller's array; the first has this line number.
        case lines(first: Int)
        /// The front line is pending: write out what you have, then `waitForFront()`.
        case wait
        /// Every line was taken and the reader added its last.
        case done
    }

    private struct State {
        /// Ring of unwritten lines; its size is a power of two, grown up to the capacity.
        var ring: [Line?] = Array(repeating: nil, count: 256)
        var front = 0
        var count = 0
        /// Lines added as `.pending` and not completed yet.
        var pending = 0
        /// Lines the writer has taken so far (progress, for the reader's stall check).
        var taken = 0
        /// Line number (1-based) of the front line.
        var frontNumber = 1
        var writer: CheckedContinuation<Void, Never>?
        var reader: CheckedContinuation<Void, Never>?
        var finished = false
        var closed = false

        func index(of number: Int) -> Int { (front + number - frontNumber) & (ring.count - 1) }

        mutating func grow() {
            var bigger = [Line?](repeating: nil, count: ring.count * 2)
            for offset in 0..<count { bigger[offset] = ring[(front + offset) & (ring.count - 1)] }
            ring = bigger
            front = 0
        }

        /// The writer, if it waits and the front line is complete (or there will be none).
        mutating func writerToWake() -> CheckedContinuation<Void, Never>? {
            guard writer != nil else { return nil }
            if count > 0, ring[front]?.isComplete != true { return nil }
            if count == 0, !finished { return nil }
            defer { writer = nil }
            return writer
        }
    }

    /// What `waitForRoom` found.
    enum Room { case room, closed, unread }

    let capacity: Int
    let maxUnwritten: Int
    private let state = Mutex(State())

    /// `maxUnwritten` defaults to `capacity` (one window for both).
    init(capacity: Int, maxUnwritten: Int? = nil) {
        self.capacity = max(1, capacity)
        self.maxUnwritten = max(self.capacity, maxUnwritten ?? capacity)
    }

    /// Reader: appends a line; returns its number and whether the window is now full (then
    /// call `waitForRoom()` before the next).
    func add(_ line: Line) -> (number: Int, full: Bool) {
        let (number, full, writer): (Int, Bool, CheckedContinuation<Void, Never>?) = state.withLock { s in
            if s.count == s.ring.count { s.grow() }
            let number = s.frontNumber + s.count
            s.ring[(s.front + s.count) & (s.ring.count - 1)] = line
            s.count += 1
            if !line.isComplete { s.pending += 1 }
            return (number, s.pending >= capacity || s.count >= maxUnwritten, s.count == 1 ? s.writerToWake() : nil)
        }
        writer?.resume()
        return (number, full)
    }

    /// Kafka acknowledged pending line `number` (any thread).
    func accept(_ number: Int, partition: Int32, offset: Int64) {
        complete(number) { line in
            guard case .pending(let partnerTxnId, let traceId) = line else { return line }
            return .accepted(partnerTxnId: partnerTxnId, traceId: traceId, partition: partition, offset: offset)
        }
    }

    /// Pending line `number` was not acknowledged (any thread).
    func fail(_ number: Int, status: String, reason: String) {
        complete(number) { _ in .failed(status: status, reason: reason) }
    }

    private func complete(_ number: Int, _ update: (Line) -> Line) {
        let (writer, reader): (CheckedContinuation<Void, Never>?, CheckedContinuation<Void, Never>?) = state.withLock { s in
            let offset = number - s.frontNumber
            guard offset >= 0, offset < s.count, let line = s.ring[s.index(of: number)] else { return (nil, nil) }
            let updated = update(line)
            s.ring[s.index(of: number)] = updated
            var reader: CheckedContinuation<Void, Never>?
            if !line.isComplete, updated.isComplete {
                s.pending -= 1
                if s.pending < capacity, s.count < maxUnwritten {
                    reader = s.reader
                    s.reader = nil
                }
            }
            return (offset == 0 ? s.writerToWake() : nil, reader)
        }
        writer?.resume()
        reader?.resume()
    }

    /// Reader: no more lines.
    func finish() {
        let writer: CheckedContinuation<Void, Never>? = state.withLock { s in
            s.finished = true
            return s.writerToWake()
        }
        writer?.resume()
    }

    /// Writer: the answer stopped (client gone); a reader waiting for room runs on and
    /// should then stop (see `isClosed`).
    func close() {
        let reader: CheckedContinuation<Void, Never>? = state.withLock { s in
            s.closed = true
            defer { s.reader = nil }
            return s.reader
        }
        reader?.resume()
    }

    var isClosed: Bool { state.withLock { $0.closed } }

    /// Lines added so far.
    var added: Int { state.withLock { $0.frontNumber - 1 + $0.count } }

    /// Lines added and not yet taken by the writer.
    var unwritten: Int { state.withLock { $0.count } }

    /// Reader: returns `.room` once fewer than `capacity` lines wait for Kafka and fewer than
    /// `maxUnwritten` for the client; `.closed` when the answer closed; `.unread` when
    /// `maxUnwritten` lines wait for a client that took none of them for `stall` while the
    /// writer could have (the front line complete: the writer is stuck on the socket).
    @discardableResult
    func waitForRoom(stall: Duration = .seconds(2)) async -> Room {
        var lastTaken = -1
        var since = ContinuousClock.now
        while true {
            let (closed, kafkaFull, taken): (Bool, Bool, Int) = state.withLock { s in
                (s.closed, s.pending >= capacity, s.taken)
            }
            if closed { return .closed }
            if kafkaFull {
                await waitForKafka()
                continue
            }
            let (unwrittenFull, frontComplete) = state.withLock { s in (s.count >= maxUnwritten, s.ring[s.front]?.isComplete == true) }
            if !unwrittenFull { return .room }
            if taken != lastTaken || !frontComplete {
                lastTaken = taken
                since = .now
            } else if ContinuousClock.now - since >= stall {
                return .unread
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Reader: returns once fewer than `capacity` lines wait for Kafka (or the answer closed).
    private func waitForKafka() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let go: Bool = state.withLock { s in
                if s.closed || s.pending < capacity { return true }
                s.reader = continuation
                return false
            }
            if go { continuation.resume() }
        }
    }

    /// Writer: moves the complete lines at the front (at most `limit`) into `lines`.
    func take(into lines: inout [Line], limit: Int = 4096) -> Take {
        let (take, reader): (Take, CheckedContinuation<Void, Never>?) = state.withLock { s in
            let first = s.frontNumber
            while s.count > 0, lines.count < limit, let line = s.ring[s.front], line.isComplete {
                lines.append(line)
                s.ring[s.front] = nil
                s.front = (s.front + 1) & (s.ring.count - 1)
                s.count -= 1
                s.frontNumber += 1
                s.taken += 1
            }
            var reader: CheckedContinuation<Void, Never>?
            if s.pending < capacity {
                reader = s.reader
                s.reader = nil
            }
            if !lines.isEmpty { return (.lines(first: first), reader) }
            return (s.count == 0 && s.finished ? .done : .wait, reader)
        }
        reader?.resume()
        return take
    }

    /// Writer: returns once the front line is complete or the reader finished with none left.
    func waitForFront() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let go: Bool = state.withLock { s in
                let ready = s.count > 0 ? s.ring[s.front]?.isComplete == true : s.finished
                if ready { return true }
                s.writer = continuation
                return false
            }
            if go { continuation.resume() }
        }
    }
}
