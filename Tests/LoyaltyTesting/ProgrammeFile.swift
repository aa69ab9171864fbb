import Foundation
import Programme

/// The committed sample programme (config/programme.sample.json, equal to
/// `Programme.sample`): nodes refuse to start without `--programme FILE`, so tests that
/// start them pass this file.
public let sampleProgrammePath = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("config/programme.sample.json").path

/// The sample programme (`Programme.sampleJSON`) with `edit` applied to its JSON object,
/// decoded as a file would be: the programme, or every problem found. The programme
/// file tests break one field at a time through this.
public func decodeEditedSample(_ edit: (inout [String: Any]) -> Void) throws -> Result<Programme, ProgrammeError> {
    guard var object = try JSONSerialization.jsonObject(with: Data(Programme.sampleJSON.utf8)) as? [String: Any] else {
        throw CocoaError(.coderReadCorrupt)
    }
    edit(&object)
    let data = try JSONSerialization.data(withJSONObject: object)
    do {
        return .success(try Programme.decode(jsonData: data))
    } catch {
        return .failure(error)
    }
}
