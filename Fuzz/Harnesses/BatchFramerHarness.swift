@testable import Gateway

/// Input: byte 0 picks the mode (bit 0: lines or delimited), byte 1 the record limit
/// (1...64 bytes, small so that the limit is hit), byte 2 seeds the chunk sizes; the rest
/// is the body. The frames must not depend on how the body is cut into chunks, and must be
/// those of a plain model of the format read from the whole body at once (records, and
/// where a refusal falls and whether it is fatal; the model does not restate the reasons).
enum BatchFramerHarness {
    enum Frame: Equatable, CustomStringConvertible {
        case record([UInt8])
        case invalid(reason: String, fatal: Bool)

        var withoutReason: Frame {
            if case .invalid(_, let fatal) = self { return .invalid(reason: "", fatal: fatal) }
            return self
        }

        var description: String {
            switch self {
            case .record(let bytes): "record(\(bytes))"
            case .invalid(let reason, let fatal): "invalid(\(reason), fatal: \(fatal))"
            }
        }
    }

    static func check(_ bytes: [UInt8]) -> String? {
        guard bytes.count >= 3 else { return nil }
        let lines = bytes[0] & 1 == 0
        let maxRecordBytes = 1 + Int(bytes[1] % 64)
        let body = Array(bytes[3...])
        let expected = lines ? linesModel(body, maxRecordBytes) : delimitedModel(body, maxRecordBytes)
        let whole = frames(body, lines: lines, maxRecordBytes: maxRecordBytes, chunkSeed: nil)
        if whole.map(\.withoutReason) != expected { return "one chunk: \(whole), the model: \(expected)" }
        let chunked = frames(body, lines: lines, maxRecordBytes: maxRecordBytes, chunkSeed: bytes[2])
        if chunked != whole { return "chunks from seed \(bytes[2]): \(chunked), one chunk: \(whole)" }
        return nil
    }

    /// What `BatchFramer` emits for `body`, fed whole or in chunks of 1...16 bytes.
    static func frames(_ body: [UInt8], lines: Bool, maxRecordBytes: Int, chunkSeed: UInt8?) -> [Frame] {
        var framer = BatchFramer(mode: lines ? .lines : .delimited, maxRecordBytes: maxRecordBytes)
        var out: [Frame] = []
        let emit: (BatchFramer.Frame) -> Void = { frame in
            switch frame {
            case .record(let bytes): out.append(.record(bytes))
            case .invalid(let reason, let fatal): out.append(.invalid(reason: reason, fatal: fatal))
            }
        }
        if let chunkSeed {
            var state = UInt32(chunkSeed) &* 2_654_435_761 &+ 1
            var start = 0
            while start < body.count {
                state = state &* 1_103_515_245 &+ 12_345
                let end = min(body.count, start + 1 + Int((state >> 16) % 16))
                framer.feed(body[start..<end], emit)
                start = end
            }
        } else {
            framer.feed(body, emit)
        }
        framer.finish(emit)
        return out
    }

    /// NDJSON: a line (without its newline, with its CR) longer than the limit is refused
    /// and the stream goes on; a terminated line loses one trailing CR; blank lines are skipped.
    static func linesModel(_ body: [UInt8], _ maxRecordBytes: Int) -> [Frame] {
        let pieces = body.split(separator: 10, omittingEmptySubsequences: false)
        var out: [Frame] = []
        for (index, piece) in pieces.enumerated() {
            if piece.count > maxRecordBytes {
                out.append(.invalid(reason: "", fatal: false))
                continue
            }
            var line = Array(piece)
            if index < pieces.count - 1, line.last == 13 { line.removeLast() }
            if !line.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { out.append(.record(line)) }
        }
        return out
    }

    /// Varint-length-prefixed messages: a prefix of more than 10 bytes or over the limit,
    /// or a body ending inside a message, ends the stream.
    static func delimitedModel(_ body: [UInt8], _ maxRecordBytes: Int) -> [Frame] {
        var out: [Frame] = []
        var position = 0
        while position < body.count {
            var length: UInt64 = 0
            var cursor = position
            var complete = false
            while cursor < body.count, cursor - position < 10 {
                let byte = body[cursor]
                length |= UInt64(byte & 0x7f) &<< UInt64(7 * (cursor - position))
                cursor += 1
                if byte & 0x80 == 0 {
                    complete = true
                    break
                }
            }
            if !complete, cursor - position >= 10 {
                out.append(.invalid(reason: "", fatal: true))
                return out
            }
            if !complete { break }
            if length > UInt64(maxRecordBytes) {
                out.append(.invalid(reason: "", fatal: true))
                return out
            }
            guard cursor + Int(length) <= body.count else { break }
            out.append(.record(Array(body[cursor..<(cursor + Int(length))])))
            position = cursor + Int(length)
        }
        if position < body.count {
            out.append(.invalid(reason: "", fatal: true))
        }
        return out
    }
}
