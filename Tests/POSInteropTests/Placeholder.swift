import CLoyaltyPOS
import Testing

@Test func placeholder() { #expect(loyalty_pos_partition("a", 1) == 0) }
