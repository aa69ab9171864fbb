import CProcessInfo

/// glibc's view of the heap (`mallinfo2`): bytes in use, and bytes freed but kept by
/// malloc. nil where it does not exist.
func heapUsage() -> (inUse: Int64, free: Int64)? {
    var (inUse, kept): (UInt64, UInt64) = (0, 0)
    guard loyalty_heap_usage(&inUse, &kept) != 0 else { return nil }
    return (Int64(inUse), Int64(kept))
}

/// CPU time of the calling thread, seconds: the apply thread's own, whatever else runs.
func threadCPUSeconds() -> Double { loyalty_thread_cpu_seconds() }
