import HTTPTypes
import Crypto
import Hummingbird
import Kafka
import LoyaltyWire
import NIOCore
import Synchronization

/// POST /v1/transactions/batch: records are read from the body as it streams, published
/// pipelined (up to `maxBatchInFlight` unanswered), and answered with one status line per
/// record, in input order, streamed as Kafka acknowledges them. A last `summary` line
/// carries the counts and the body-hash verdict (see docs/gateway-api.md for why).
extension Gateway {
    func batch(_ request: Request) async -> Response {
        let format: EdgeValidator.Format
        let partner: String
        let claimedHash: String
        do throws(EdgeError) {
            format = try bodyFormat(request, json: "application/x-ndjson", protobuf: "application/x-protobuf-delimited")
            guard let name = HTTPField.Name(RequestSigner.contentSHA256Header),
                let hash = request.headers[name]?.lowercased(), hash.utf8.count == 64, hash.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) })
            else {
                throw EdgeError.badRequest(RequestSigner.contentSHA256Header, "required on batches: hex SHA-256 of the whole body (it is what the signature covers)")
            }
            claimedHash = hash
            partner = try authenticator.authenticate(
                method: "POST", pathAndQuery: request.uri.string, headers: request.headers, bodySHA256Hex: hash,
                nowMilliseconds: RequestSigner.nowMilliseconds())
        } catch {
            return Self.errorResponse(error)
        }
        let body = request.body
        return Response(
            status: .ok, headers: [.contentType: "application/x-ndjson"],
            body: ResponseBody { writer in
                let counts = BatchCounts()
                let window = InFlightWindow(capacity: self.configuration.maxBatchInFlight)
                let (slots, sink) = AsyncStream<LineSlot>.makeStream()
                let reader = Task {
                    await self.readBatch(body, format: format, partner: partner, claimedHash: claimedHash, counts: counts, window: window, sink: sink)
                }
                defer {
                    reader.cancel()
                    window.close()
                }
                var out = ByteBuffer()
                for await slot in slots {
                    if !slot.isComplete, out.readableBytes > 0 {
                        try await writer.write(out)
                        out.clear()
                    }
                    out.writeString(await slot.value())
                    out.writeInteger(UInt8(10))
                    window.release()
                    if out.readableBytes >= 32 << 10 {
                        try await writer.write(out)
                        out.clear()
                    }
                }
                let verdict = await reader.value
                out.writeString(counts.summary(verdict: verdict))
                out.writeInteger(UInt8(10))
                try await writer.write(out)
                try await writer.finish(nil)
            })
    }

    /// Reads, validates and publishes; yields one slot per record in input order. Returns
    /// the body verdict for the summary line.
    func readBatch(
        _ body: RequestBody, format: EdgeValidator.Format, partner: String, claimedHash: String, counts: BatchCounts,
        window: InFlightWindow, sink: AsyncStream<LineSlot>.Continuation
    ) async -> String {
        defer { sink.finish() }
        var framer = BatchFramer(mode: format == .json ? .lines : .delimited, maxRecordBytes: configuration.maxBatchRecordBytes)
        var hasher = SHA256()
        var total = 0
        var line = 0
        var frames: [BatchFramer.Frame] = []
        do {
            for try await chunk in body {
                total += chunk.readableBytes
                if total > configuration.maxBatchBytes {
                    return "\"body_error\":\(jsonQuoted("body larger than \(configuration.maxBatchBytes) bytes; the rest was not read"))"
                }
                hasher.update(data: chunk.readableBytesView)
                framer.feed(chunk.readableBytesView) { frames.append($0) }
                for frame in frames {
                    line += 1
                    await window.acquire()
                    if Task.isCancelled { return "\"body_error\":\"answer abandoned\"" }
                    sink.yield(await handle(frame, line: line, format: format, partner: partner, counts: counts))
                }
                frames.removeAll(keepingCapacity: true)
            }
        } catch {
            return "\"body_error\":\(jsonQuoted("request body stream failed: \(error)"))"
        }
        framer.finish { frames.append($0) }
        for frame in frames {
            line += 1
            await window.acquire()
            sink.yield(await handle(frame, line: line, format: format, partner: partner, counts: counts))
        }
        let actual = hexString(hasher.finalize())
        if actual == claimedHash { return "\"body_sha256\":\"verified\"" }
        return "\"body_sha256\":\"MISMATCH\",\"body_error\":\(jsonQuoted("body SHA-256 \(actual) differs from \(RequestSigner.contentSHA256Header) \(claimedHash); lines answered accepted were published"))"
    }

    private func handle(_ frame: BatchFramer.Frame, line: Int, format: EdgeValidator.Format, partner: String, counts: BatchCounts) async -> LineSlot {
        let record: [UInt8]
        switch frame {
        case .invalid(let reason, _):
            counts.invalid.add(1, ordering: .relaxed)
            return LineSlot(text: Self.lineError(line, "invalid", field: "record", reason: reason))
        case .record(let bytes): record = bytes
        }
        var envelope: Loyalty_V1_TransactionEnvelope
        do throws(EdgeError) {
            envelope = try validator.decode(record, format: format)
            try validator.validate(envelope, authenticatedPartner: partner)
        } catch {
            counts.invalid.add(1, ordering: .relaxed)
            metrics.rejectedAtEdge(field: error.field)
            return LineSlot(text: Self.lineError(line, error.status == .forbidden ? "forbidden" : "invalid", field: error.field, reason: error.reason))
        }
        EdgeValidator.stamp(&envelope, nowMilliseconds: RequestSigner.nowMilliseconds())
        let value: [UInt8]
        do { value = try envelope.serializedBytes() } catch {
            counts.invalid.add(1, ordering: .relaxed)
            return LineSlot(text: Self.lineError(line, "invalid", field: "record", reason: "cannot serialize: \(error)"))
        }
        let slot = LineSlot()
        let prefix = "{\"line\":\(line),\"status\":\"accepted\",\"partner_txn_id\":\(jsonQuoted(envelope.partnerTxnID)),\"trace_id\":\(jsonQuoted(envelope.traceID))"
        let producerRecord = ProducerRecord(topic: configuration.topics.transactions, key: Array(envelope.memberID.utf8), value: value)
        let metrics = self.metrics
        let started = ContinuousClock.now
        while true {
            do {
                try producer.produce(producerRecord) { result in
                    switch result {
                    case .success(let metadata):
                        counts.accepted.add(1, ordering: .relaxed)
                        metrics.published.increment()
                        slot.complete(prefix + ",\"partition\":\(metadata.partition),\"offset\":\(metadata.offset)}")
                    case .failure(let error):
                        counts.failed.add(1, ordering: .relaxed)
                        slot.complete(Self.lineError(line, "failed", field: "kafka", reason: "not acknowledged: \(error.message)", retry: true))
                    }
                }
                return slot
            } catch where error.code == .queueFull {
                if ContinuousClock.now - started > .milliseconds(configuration.queueFullWaitMilliseconds) {
                    counts.failed.add(1, ordering: .relaxed)
                    return LineSlot(text: Self.lineError(line, "overloaded", field: "kafka", reason: "producer queue full", retry: true))
                }
                try? await Task.sleep(for: .milliseconds(1))
            } catch {
                counts.failed.add(1, ordering: .relaxed)
                return LineSlot(text: Self.lineError(line, "failed", field: "kafka", reason: error.message, retry: true))
            }
        }
    }

    static func lineError(_ line: Int, _ status: String, field: String, reason: String, retry: Bool = false) -> String {
        "{\"line\":\(line),\"status\":\"\(status)\"\(retry ? ",\"retry\":true" : ""),\"error\":{\"field\":\(jsonQuoted(field)),\"reason\":\(jsonQuoted(reason))}}"
    }
}

/// Per-batch counters for the summary line.
final class BatchCounts: Sendable {
    let accepted = Atomic<Int>(0)
    let invalid = Atomic<Int>(0)
    let failed = Atomic<Int>(0)

    func summary(verdict: String) -> String {
        let a = accepted.load(ordering: .relaxed)
        let i = invalid.load(ordering: .relaxed)
        let f = failed.load(ordering: .relaxed)
        return "{\"summary\":{\"lines\":\(a + i + f),\"accepted\":\(a),\"invalid\":\(i),\"failed\":\(f),\(verdict)}}"
    }
}
