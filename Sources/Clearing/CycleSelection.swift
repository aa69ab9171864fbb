/// Which cycles of a settlement directory to verify.
public enum CycleSelection: Sendable, Hashable {
    case cycle(Int64)
    /// Every `cycle-<N>-manifest.json` in the directory, in cycle order.
    case all
}
