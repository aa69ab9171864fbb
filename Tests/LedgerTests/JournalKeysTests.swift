import Testing

@testable import Ledger

/// The journal's keys in memory: a candidate offset per key, right even when two keys
/// share a hash, and forgetting only the key and offset it is told.
@Suite struct JournalKeysTests {
    let a = JournalKeys.Key(partnerId: "fuel", partnerTxnId: "a")
    let b = JournalKeys.Key(partnerId: "fuel", partnerTxnId: "b")
    let c = JournalKeys.Key(partnerId: "cinema", partnerTxnId: "a")

    @Test func keysThatShareAHashKeepTheirOwnOffsets() {
        var keys = JournalKeys()
        keys.insert(7, a, offset: 10)
        keys.insert(7, b, offset: 11)
        keys.insert(7, c, offset: 12)
        #expect(keys.count == 3)
        #expect(keys.candidate(7, a) == 10)
        #expect(keys.candidate(7, b) == 11)
        #expect(keys.candidate(7, c) == 12)
        keys.remove(7, a, offset: 10)
        #expect(keys.candidate(7, b) == 11)
        #expect(keys.candidate(7, c) == 12)
        // a's hash slot is free again: a key never seen only gets nil or a candidate to check.
        #expect(keys.candidate(7, JournalKeys.Key(partnerId: "x", partnerTxnId: "y")) == nil)
        keys.remove(7, b, offset: 11)
        keys.remove(7, c, offset: 12)
        #expect(keys.count == 0)
    }

    @Test func aKeyJournaledAgainAtTheSameOffsetAfterARollbackIsHeldOnce() {
        var keys = JournalKeys()
        keys.insert(3, a, offset: 5)
        keys.insert(3, a, offset: 5)
        #expect(keys.count == 1)
        // Removing with another offset (a stale entry's) leaves the key.
        keys.remove(3, a, offset: 6)
        #expect(keys.candidate(3, a) == 5)
    }

    @Test func theHashSeparatesPartnerFromTransactionId() {
        #expect(JournalKeys.hash(partnerId: "ab", partnerTxnId: "c") != JournalKeys.hash(partnerId: "a", partnerTxnId: "bc"))
        #expect(JournalKeys.hash(partnerId: "fuel", partnerTxnId: "1") == JournalKeys.hash(partnerId: "fuel", partnerTxnId: "1"))
    }
}
