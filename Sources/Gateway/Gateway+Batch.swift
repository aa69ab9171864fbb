import Basics
import Crypto
import HTTPTypes
import Hummingbird
import Kafka
import LoyaltyWire
import NIOCore
import Programme
import Prometheus
import SwiftProtobuf

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
                let hash = request.headers[name]?.lowercased(), hash.utf8.count == 64,
                hash.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) })
            else {
                throw EdgeError.badRequest(
                    RequestSigner.contentSHA256Header, "required on batches: hex SHA-256 of the whole body (it is what the signature covers)")
            }
            claimedHash = hash
            partner = try authenticator.authenticate(
                method: "POST", pathAndQuery: request.uri.string, headers: request.headers, bodySHA256Hex: hash,
                nowMilliseconds: RequestSigner.nowMilliseconds())
            try spend(.requests, partner: partner)
            try checkContentLength(request, limit: configuration.maxBatchBytes)
        } catch {
            // Refused before the body was read: close rather than drain it.
            return Self.errorResponse(error, closeConnection: true)
        }
        let body = request.body
        return Response(
            status: .ok, headers: [.contentType: "application/x-ndjson"],
            body: ResponseBody { writer in
                let answers = BatchAnswers(capacity: self.configuration.maxBatchInFlight, maxUnwritten: self.configuration.maxBatchUnwrittenLines)
                let reader = Task {
                    await self.readBatch(body, format: format, partner: partner, claimedHash: claimedHash, answers: answers)
                }
                defer {
                    reader.cancel()
                    answers.close()
                }
                var counts = BatchCounts()
                var out = ByteBuffer()
                var lines: [BatchAnswers.Line] = []
                taking: while true {
                    switch answers.take(into: &lines) {
                    case .lines(let first):
                        for (offset, line) in lines.enumerated() { counts.write(line, number: first + offset, into: &out) }
                        lines.removeAll(keepingCapacity: true)
                        if out.readableBytes >= 32 << 10 {
                            try await writer.write(out)
                            out.clear()
                        }
                    case .wait:
                        if out.readableBytes > 0 {
                            try await writer.write(out)
                            out.clear()
                        }
                        await answers.waitForFront()
                    case .done:
                        break taking
                    }
                }
                let verdict = await reader.value
                out.writeString(counts.summary(verdict: verdict))
                out.writeInteger(UInt8(10))
                try await writer.write(out)
                try await writer.finish(nil)
            })
    }

    /// Reads, validates and publishes; adds one line per record to `answers`, in input
    /// order. Returns the body verdict for the summary line.
    func readBatch(
        _ body: RequestBody, format: EdgeValidator.Format, partner: String, claimedHash: String, answers: BatchAnswers
    ) async -> String {
        defer { answers.finish() }
        var framer = BatchFramer(mode: format == .json ? .lines : .delimited, maxRecordBytes: configuration.maxBatchRecordBytes)
        var hasher = SHA256()
        var total = 0
        var frames: [BatchFramer.Frame] = []
        let abandoned = "\"body_error\":\"answer abandoned\""
        var iterator = body.makeAsyncIterator()
        var unread = false
        do {
            reading: while let chunk = try await iterator.next() {
                total += chunk.readableBytes
                if total > configuration.maxBatchBytes {
                    return "\"body_error\":\(JSONText.quoted("body larger than \(configuration.maxBatchBytes) bytes; the rest was not read"))"
                }
                hasher.update(data: chunk.readableBytesView)
                framer.feed(chunk.readableBytesView) { frames.append($0) }
                await pace(partner: partner, records: frames.count)
                for frame in frames {
                    switch await handle(frame, format: format, partner: partner, answers: answers) {
                    case .next: continue
                    case .abandoned: return abandoned
                    case .unread:
                        unread = true
                        break reading
                    }
                }
                frames.removeAll(keepingCapacity: true)
            }
            if unread {
                // The client is not reading its answers: take in the rest of the body unread
                // (so that it gets to read), then answer what was done.
                let answered = answers.added
                while let chunk = try await iterator.next() {
                    total += chunk.readableBytes
                    if total > configuration.maxBatchBytes { break }
                }
                let reason =
                    "the client sent \(answered) records without reading their answers (at most \(configuration.maxBatchUnwrittenLines) are held); "
                    + "records after line \(answered) were not read or published: read the answer while sending, or send smaller batches"
                return "\"body_error\":\(JSONText.quoted(reason))"
            }
        } catch {
            return "\"body_error\":\(JSONText.quoted("request body stream failed: \(error)"))"
        }
        framer.finish { frames.append($0) }
        await pace(partner: partner, records: frames.count)
        for frame in frames {
            guard await handle(frame, format: format, partner: partner, answers: answers) == .next else { return abandoned }
        }
        let actual = hexString(hasher.finalize())
        if actual == claimedHash { return "\"body_sha256\":\"verified\"" }
        return
            "\"body_sha256\":\"MISMATCH\",\"body_error\":\(JSONText.quoted("body SHA-256 \(actual) differs from \(RequestSigner.contentSHA256Header) \(claimedHash); lines answered accepted were published"))"
    }

    /// Waits until `partner`'s transaction quota has room for `records` (a batch is paced,
    /// not refused). Invalid records count too: they cost the gateway as much.
    private func pace(partner: String, records: Int) async {
        guard records > 0 else { return }
        while let wait = quotas.take(.transactions, partner: partner, count: Double(records)) {
            try? await Task.sleep(for: .nanoseconds(Int64(min(wait, 1) * 1e9)))
            if Task.isCancelled { return }
        }
    }

    /// One record: refused, or published with its line pending until Kafka answers. Waits
    /// while the window of unwritten lines is full.
    private func handle(_ frame: BatchFramer.Frame, format: EdgeValidator.Format, partner: String, answers: BatchAnswers) async -> Handled {
        let full: Bool
        switch prepare(frame, format: format, partner: partner) {
        case .refused(let status, let field, let reason):
            full = answers.add(.refused(status: status, field: field, reason: reason)).full
        case .publish(let record, let partnerTxnId, let traceId):
            // Added before it is enqueued: the delivery report may come at once.
            let (number, isFull) = answers.add(.pending(partnerTxnId: partnerTxnId, traceId: traceId))
            full = isFull
            if let (status, reason) = await publishLine(record, number: number, answers: answers) {
                answers.fail(number, status: status, reason: reason)
            }
        }
        if full {
            switch await answers.waitForRoom() {
            case .room: break
            case .closed: return .abandoned
            case .unread: return .unread
            }
        }
        return Task.isCancelled ? .abandoned : .next
    }

    private enum Handled {
        case next
        /// The answer closed (client gone).
        case abandoned
        /// The client does not read its answers (see `BatchAnswers.waitForRoom`).
        case unread
    }

    private enum Prepared {
        case refused(status: String, field: String, reason: String)
        case publish(ProducerRecord, partnerTxnId: String, traceId: String)
    }

    private func prepare(_ frame: BatchFramer.Frame, format: EdgeValidator.Format, partner: String) -> Prepared {
        let record: [UInt8]
        switch frame {
        case .invalid(let reason, _): return .refused(status: "invalid", field: "record", reason: reason)
        case .record(let bytes): record = bytes
        }
        var envelope: Loyalty_V1_TransactionEnvelope
        do throws(EdgeError) {
            envelope = try validator.decode(record, format: format)
            try resolveCard(&envelope)  // a card without a member: its account (Gateway+Cards)
            try validator.validate(envelope, authenticatedPartner: partner)
        } catch {
            metrics.rejectedAtEdge(field: error.field)
            return .refused(status: error.status == .forbidden ? "forbidden" : "invalid", field: error.field, reason: error.reason)
        }
        EdgeValidator.stamp(&envelope, nowMilliseconds: RequestSigner.nowMilliseconds())
        let value: [UInt8]
        do { value = try envelope.serializedBytes() } catch {
            return .refused(status: "invalid", field: "record", reason: "cannot serialize: \(error)")
        }
        let producerRecord = ProducerRecord(
            topic: configuration.topics.transactions, key: Array(envelope.memberID.utf8), value: value, traceId: envelope.traceID)
        return .publish(producerRecord, partnerTxnId: envelope.partnerTxnID, traceId: envelope.traceID)
    }

    /// Enqueues the record; its delivery report completes line `number`. Waits (bounded)
    /// while the producer queue is full. Returns the line's status and reason when it was
    /// not enqueued.
    private func publishLine(_ record: ProducerRecord, number: Int, answers: BatchAnswers) async -> (String, String)? {
        let metrics = self.metrics
        let started = ContinuousClock.now
        while true {
            do {
                try batchProducer.produce(record) { result in
                    switch result {
                    case .success(let metadata):
                        metrics.published.increment()
                        answers.accept(number, partition: metadata.partition, offset: metadata.offset)
                    case .failure(let error):
                        answers.fail(number, status: "failed", reason: "not acknowledged: \(error.message)")
                    }
                }
                return nil
            } catch  where error.code == .queueFull {
                if ContinuousClock.now - started > .milliseconds(configuration.queueFullWaitMilliseconds) {
                    metrics.overloaded.increment()
                    return ("overloaded", "producer queue full")
                }
                try? await Task.sleep(for: .milliseconds(1))
            } catch {
                return ("failed", error.message)
            }
        }
    }
}
