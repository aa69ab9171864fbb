import Foundation

/// libFuzzer's entry point (scripts/fuzz.sh builds this target with LOYALTY_FUZZ=1 and
/// `--sanitize=fuzzer`, which supplies `main`). LOYALTY_FUZZ_HARNESS names the harness.
@_cdecl("LLVMFuzzerTestOneInput")
public func loyaltyFuzzTestOneInput(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = count == 0 ? [] : Array(UnsafeRawBufferPointer(start: start, count: count))
    if let failure = selectedHarness.check(bytes) { fatalError("\(selectedHarness.rawValue): \(failure)") }
    return 0
}

private let selectedHarness: Harness = {
    let name = ProcessInfo.processInfo.environment["LOYALTY_FUZZ_HARNESS"] ?? ""
    guard let harness = Harness(rawValue: name) else {
        fatalError("set LOYALTY_FUZZ_HARNESS to one of \(Harness.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(name)\"")
    }
    return harness
}()
