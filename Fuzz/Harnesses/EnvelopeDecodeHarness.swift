import LoyaltyWire
import SwiftProtobuf

@testable import Worker

/// A transactions-topic record: `InboundMessage.decode` (SwiftProtobuf and the structural
/// checks) never traps, and whenever the worker's `EnvelopeFastPath` answers, its answer
/// is the one `InboundMessage.decode` gives.
enum EnvelopeDecodeHarness {
    static func check(_ bytes: [UInt8]) -> String? {
        let reference = InboundMessage.decode(bytes)
        guard let fast = EnvelopeFastPath.decode(bytes) else { return nil }
        switch reference {
        case .success(let message) where message == fast: return nil
        case .success(let message): return "fast path decoded \(fast), the reference \(message)"
        case .failure(let error): return "fast path decoded \(fast) what the reference refuses (\(error))"
        }
    }
}
