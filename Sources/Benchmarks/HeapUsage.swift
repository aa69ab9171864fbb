import CMalloc

/// glibc's view of the heap (`mallinfo2`): bytes in use, and bytes freed but kept by
/// malloc. nil where it does not exist.
func heapUsage() -> (inUse: Int64, free: Int64)? {
    var (inUse, kept): (UInt64, UInt64) = (0, 0)
    guard loyalty_heap_usage(&inUse, &kept) != 0 else { return nil }
    return (Int64(inUse), Int64(kept))
}
