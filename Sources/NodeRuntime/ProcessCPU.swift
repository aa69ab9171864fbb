import Glibc

/// User + system CPU time this process has used so far, in seconds (every thread); nil
/// where `getrusage` fails. Benchmarks print it: on a shared machine it varies less than
/// a rate does.
public func processCPUSeconds() -> Double? {
    var usage = rusage()
    guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return nil }
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}
