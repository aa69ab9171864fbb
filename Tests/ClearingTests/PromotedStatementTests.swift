import Clearing
import Foundation
import Programme
import SettlementFiles
import Testing

/// A partner funding promotions sees their bonus points in its statement
/// (`points_promoted`, part of `points_issued`); a statement without them is unchanged.
@Suite(.timeLimit(.minutes(10))) struct PromotedStatementTests {
    @Test func aFundersStatementCarriesItsPromotedPoints() throws {
        var input = Fixtures.input()
        let index = try #require(input.points.firstIndex { $0.partnerId == "A" })
        input.points[index].promoted = 400
        let directory = Fixtures.temporaryDirectory()
        try SettlementWriter.write(try CycleSettlement.settle(input), to: directory, signingKey: Fixtures.signingKey)
        let text = String(decoding: Fixtures.read(directory, "cycle-1-statement-A.csv"), as: UTF8.self)
        #expect(text.contains("points_issued,,1200,points\n"))
        #expect(text.contains("points_clawed_back,,5,points\npoints_promoted,,400,points\nfees,,50,minor\n"))
        let other = String(decoding: Fixtures.read(directory, "cycle-1-statement-B.csv"), as: UTF8.self)
        #expect(!other.contains("points_promoted"))
    }
}
