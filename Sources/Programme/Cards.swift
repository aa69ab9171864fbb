/// Shared accounts and cards (docs/programme.md, "Shared accounts and cards"). Filled in
/// by the cards work; `max_cards_per_account` is checked in Programme+Validation.
extension Programme {
    func checkCards(_ report: (String, String) -> Void) {}
}
