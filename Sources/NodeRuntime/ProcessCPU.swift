import Glibc

/// User + system CPU time this process has used so far, in seconds (every thread); nil
/// where `getrusage` fails. Benchmarks print it: on a shared machine it varies less than
/// a rate does.
public func processCPUSeconds() -> Double? {
    cpuSeconds(RUSAGE_SELF)
}

/// User + system CPU time of this process's children that have exited and been waited
/// for; the difference around one child's run is that child's CPU time.
public func exitedChildrenCPUSeconds() -> Double? {
    cpuSeconds(RUSAGE_CHILDREN)
}

private func cpuSeconds(_ who: __rusage_who) -> Double? {
    var usage = rusage()
    guard getrusage(who.rawValue, &usage) == 0 else { return nil }
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}
