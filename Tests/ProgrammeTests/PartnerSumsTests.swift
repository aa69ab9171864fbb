import Programme
import Testing

@Suite("Per-partner sums over shards")
struct PartnerSumsTests {
    @Test func pointsAddUpPerPartnerInIdOrder() {
        let sums = [
            PartnerPoints(partnerId: "fuel", issued: 10, redeemed: 1, expired: 2, clawedBack: 3, feesMinor: 4),
            PartnerPoints(partnerId: "cinema", redeemed: 7),
            PartnerPoints(partnerId: "fuel", issued: 5, redeemed: 1, expired: 1, clawedBack: 1, feesMinor: -1),
        ].summedByPartner()
        #expect(
            sums == [
                PartnerPoints(partnerId: "cinema", redeemed: 7),
                PartnerPoints(partnerId: "fuel", issued: 15, redeemed: 2, expired: 3, clawedBack: 4, feesMinor: 3),
            ])
    }

    @Test func totalsAddOutstandingToo() {
        let one = PartnerTotals(partnerId: "a", issued: 1, redeemed: 2, expired: 3, clawedBack: 4, outstanding: 5, feesMinor: 6)
        let sums = [one, one].summedByPartner()
        #expect(sums == [PartnerTotals(partnerId: "a", issued: 2, redeemed: 4, expired: 6, clawedBack: 8, outstanding: 10, feesMinor: 12)])
        #expect([PartnerTotals]().summedByPartner().isEmpty)
    }
}
