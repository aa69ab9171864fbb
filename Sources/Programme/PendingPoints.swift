/// Pending points: a partner's return window before its accruals can be spent
/// (docs/programme.md, "Pending points"). Filled in by the expiry work.
extension Programme {
    func checkPending(_ partner: Partner, base: String, _ report: (String, String) -> Void) {}
}
