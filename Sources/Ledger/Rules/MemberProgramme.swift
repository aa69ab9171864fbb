import Foundation
import Programme

/// What the programme's rules remember of a member besides balance and lots: the status
/// and what qualifies for it, the last activity (inactivity expiry), promotion counters.
/// Stored as one JSON text in `members.programme_state` (NULL while empty, so a programme
/// without these rules pays nothing), written with the member and folded into the
/// cycle's digest with it. Each part belongs to the rule that reads it; a part decodes
/// missing keys as their defaults, so a file written before a field existed still opens.
struct MemberProgramme: Equatable, Codable {
    /// Statuses (tiers): the current status and the activity that qualifies for one.
    var status = StatusState()
    /// Expiry by inactivity: the member's last transaction.
    var activity = ActivityState()
    /// Promotions: stamp cards, the welcome bonus, referrals.
    var promotions = PromotionState()

    init() {}

    var isEmpty: Bool { self == MemberProgramme() }

    enum CodingKeys: String, CodingKey { case status, activity, promotions }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        status = try c.decodeIfPresent(StatusState.self, forKey: .status) ?? StatusState()
        activity = try c.decodeIfPresent(ActivityState.self, forKey: .activity) ?? ActivityState()
        promotions = try c.decodeIfPresent(PromotionState.self, forKey: .promotions) ?? PromotionState()
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if status != StatusState() { try c.encode(status, forKey: .status) }
        if activity != ActivityState() { try c.encode(activity, forKey: .activity) }
        if promotions != PromotionState() { try c.encode(promotions, forKey: .promotions) }
    }

    /// The stored text: canonical (sorted keys), so equal states store and digest alike;
    /// nil while empty.
    var storedText: String? {
        guard !isEmpty else { return nil }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self), let text = String(data: data, encoding: .utf8) else {
            preconditionFailure("a member's programme state always encodes")
        }
        return text
    }

    /// The state a stored text holds (nil or empty text: the empty state).
    static func stored(_ text: String?, memberId: String) throws(LedgerError) -> MemberProgramme {
        guard let text, !text.isEmpty else { return MemberProgramme() }
        do {
            return try JSONDecoder().decode(MemberProgramme.self, from: Data(text.utf8))
        } catch {
            throw LedgerError(.corrupt, "member \(memberId): programme_state is not readable (\(error)); rebuild the shard from the log")
        }
    }
}
