/// Maps participant ids to dense Int32 indices so hot loops hash integers, not strings.
struct ParticipantInterner {
    private(set) var ids: [String] = []
    private var indexById: [String: Int32] = [:]

    /// Bound on participants in one cycle: keeps indices in Int32 and pair keys in UInt64.
    static let maximumParticipants = 1 << 24

    mutating func intern(_ id: String) throws(ClearingError) -> Int32 {
        if let index = indexById[id] { return index }
        guard !id.isEmpty else {
            throw ClearingError(.invalidInput, "a participant id is empty; every debt needs a payer and a payee")
        }
        guard ids.count < Self.maximumParticipants else {
            throw ClearingError(
                .invalidInput, "more than \(Self.maximumParticipants) participants in one cycle")
        }
        let index = Int32(ids.count)
        ids.append(id)
        indexById[id] = index
        return index
    }
}
