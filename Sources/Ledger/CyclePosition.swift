import Programme

// The domain values (CyclePosition, DebtTotal, PartnerPoints, ShardTotals) live in Programme
// now. This alias stands in for a missing `import Programme` in BatchState.swift (requested
// from its owner in the i10 requests); delete it once that import is there.
typealias PartnerPoints = Programme::PartnerPoints
