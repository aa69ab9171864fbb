/// Splits a streamed batch body into records without holding more than one record (plus
/// the chunk in hand): NDJSON lines, or varint-length-prefixed protobuf messages.
struct BatchFramer {
    enum Frame {
        case record([UInt8])
        /// A record that cannot be taken (too long, bad length prefix); `fatal` = the rest of
        /// the stream cannot be framed.
        case invalid(reason: String, fatal: Bool)
    }

    enum Mode { case lines, delimited }

    let mode: Mode
    let maxRecordBytes: Int
    private var buffer: [UInt8] = []
    /// Lines mode: dropping an over-long line up to its newline.
    private var skippingLine = false
    private(set) var broken = false

    init(mode: Mode, maxRecordBytes: Int) {
        self.mode = mode
        self.maxRecordBytes = maxRecordBytes
    }

    mutating func feed<Bytes: Collection>(_ chunk: Bytes, _ emit: (Frame) -> Void) where Bytes.Element == UInt8 {
        guard !broken else { return }
        switch mode {
        case .lines: feedLines(chunk, emit)
        case .delimited:
            buffer.append(contentsOf: chunk)
            drainDelimited(emit)
        }
    }

    /// End of body: a last line without newline is a record; a partial delimited message is an error.
    mutating func finish(_ emit: (Frame) -> Void) {
        guard !broken else { return }
        switch mode {
        case .lines:
            if skippingLine {
                emit(.invalid(reason: "line longer than \(maxRecordBytes) bytes", fatal: false))
            } else if !isBlank(buffer[...]) {
                emit(.record(buffer))
            }
        case .delimited:
            if !buffer.isEmpty { emit(.invalid(reason: "body ends inside a message (\(buffer.count) bytes left)", fatal: true)) }
        }
        buffer = []
    }

    private mutating func feedLines<Bytes: Collection>(_ chunk: Bytes, _ emit: (Frame) -> Void) where Bytes.Element == UInt8 {
        var start = chunk.startIndex
        while let newline = chunk[start...].firstIndex(of: 10) {
            let piece = chunk[start..<newline]
            if skippingLine {
                skippingLine = false
                emit(.invalid(reason: "line longer than \(maxRecordBytes) bytes", fatal: false))
            } else if buffer.count + piece.count > maxRecordBytes {
                buffer = []
                emit(.invalid(reason: "line longer than \(maxRecordBytes) bytes", fatal: false))
            } else {
                buffer.append(contentsOf: piece)
                if buffer.last == 13 { buffer.removeLast() }
                if !isBlank(buffer[...]) { emit(.record(buffer)) }
                buffer.removeAll(keepingCapacity: true)
            }
            start = chunk.index(after: newline)
        }
        let rest = chunk[start...]
        if skippingLine { return }
        if buffer.count + rest.count > maxRecordBytes {
            buffer = []
            skippingLine = true
        } else {
            buffer.append(contentsOf: rest)
        }
    }

    private func isBlank(_ bytes: ArraySlice<UInt8>) -> Bool { bytes.allSatisfy { $0 == 32 || $0 == 9 || $0 == 13 } }

    private mutating func drainDelimited(_ emit: (Frame) -> Void) {
        var position = 0
        while true {
            var length: UInt64 = 0
            var shift: UInt64 = 0
            var cursor = position
            var complete = false
            while cursor < buffer.count, shift < 64 {
                let byte = buffer[cursor]
                length |= UInt64(byte & 0x7f) << shift
                cursor += 1
                if byte & 0x80 == 0 {
                    complete = true
                    break
                }
                shift += 7
            }
            if !complete {
                if cursor - position >= 10 {
                    broken = true
                    emit(.invalid(reason: "malformed varint length prefix", fatal: true))
                }
                break
            }
            guard length <= UInt64(maxRecordBytes) else {
                broken = true
                emit(.invalid(reason: "message of \(length) bytes exceeds \(maxRecordBytes)", fatal: true))
                return
            }
            let end = cursor + Int(length)
            guard end <= buffer.count else { break }
            emit(.record(Array(buffer[cursor..<end])))
            position = end
        }
        if position > 0 { buffer.removeFirst(position) }
    }
}
