import Foundation
import Hummingbird
import NIOCore

/// Reading what a request carries: its format, its body (bounded), its wait timeout.
extension Gateway {
    func bodyFormat(_ request: Request, json: String, protobuf: String) throws(EdgeError) -> EdgeValidator.Format {
        let type = (request.headers[.contentType] ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        if type == json { return .json }
        if type == protobuf { return .protobuf }
        throw EdgeError(status: .unsupportedMediaType, field: "Content-Type", reason: "must be \(json) or \(protobuf), got \(type.isEmpty ? "none" : type)")
    }

    func collectBody(_ request: Request) async throws(EdgeError) -> [UInt8] {
        let limit = configuration.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw EdgeError(status: .contentTooLarge, field: "body", reason: "larger than \(limit) bytes (\(length))")
        }
        var body: [UInt8] = []
        do {
            for try await chunk in request.body {
                guard body.count + chunk.readableBytes <= limit else {
                    throw EdgeError(status: .contentTooLarge, field: "body", reason: "larger than \(limit) bytes")
                }
                body.append(contentsOf: chunk.readableBytesView)
            }
        } catch let error as EdgeError {
            throw error
        } catch {
            throw .badRequest("body", "could not read the request body: \(error)")
        }
        return body
    }

    func waitTimeout(_ text: String?) throws(EdgeError) -> Int {
        guard let text else { return configuration.defaultWaitMilliseconds }
        guard let value = Int(text), value >= 1, value <= configuration.maxWaitMilliseconds else {
            throw .badRequest("timeout_ms", "must be 1...\(configuration.maxWaitMilliseconds), got \(text.prefix(20))")
        }
        return value
    }
}
