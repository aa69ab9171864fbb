import Foundation

/// The committed sample programme (config/programme.sample.json, equal to
/// `Programme.sample`): nodes refuse to start without `--programme FILE`, so tests that
/// start them pass this file.
public let sampleProgrammePath = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("config/programme.sample.json").path
