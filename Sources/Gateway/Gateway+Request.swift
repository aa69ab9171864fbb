import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Reading what a request carries: its format, its body (bounded), its query parameters,
/// and the partner's quotas.
extension Gateway {
    func bodyFormat(_ request: Request, json: String, protobuf: String) throws(EdgeError) -> EdgeValidator.Format {
        let type =
            (request.headers[.contentType] ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        if type == json { return .json }
        if type == protobuf { return .protobuf }
        throw EdgeError(
            status: .unsupportedMediaType, field: "Content-Type",
            reason: "must be \(json) or \(protobuf), got \(type.isEmpty ? "none" : String(type.prefix(80)))")
    }

    /// 413 when Content-Length announces more than `limit`, before any body byte is read;
    /// 400 when it is not a number.
    func checkContentLength(_ request: Request, limit: Int) throws(EdgeError) {
        guard let text = request.headers[.contentLength] else { return }
        guard text.utf8.count <= 20, let length = Int(text), length >= 0 else {
            throw .badRequest("Content-Length", "must be a byte count, got \(text.prefix(40))")
        }
        guard length <= limit else { throw EdgeError(status: .contentTooLarge, field: "body", reason: "larger than \(limit) bytes (\(length))") }
    }

    func collectBody(_ request: Request) async throws(EdgeError) -> [UInt8] {
        let limit = configuration.maxBodyBytes
        try checkContentLength(request, limit: limit)
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
        guard text.utf8.count <= 10, let value = Int(text), value >= 1, value <= configuration.maxWaitMilliseconds else {
            throw .badRequest("timeout_ms", "must be 1...\(configuration.maxWaitMilliseconds), got \(text.prefix(20))")
        }
        return value
    }

    /// `wait`: true/1 or false/0 (absent: false).
    func waitFlag(_ text: String?) throws(EdgeError) -> Bool {
        switch text {
        case nil, "false", "0": return false
        case "true", "1": return true
        case let other?: throw .badRequest("wait", "must be true or false, got \(other.prefix(20))")
        }
    }

    /// 429 with Retry-After when `partner` is over its quota of `kind`.
    func spend(_ kind: PartnerQuotas.Kind, partner: String, count: Int = 1) throws(EdgeError) {
        guard let wait = quotas.take(kind, partner: partner, count: Double(count)) else { return }
        let (field, rate) = kind == .requests ? ("requests", quotas.requests) : ("transactions", quotas.transactions)
        throw EdgeError(
            status: .tooManyRequests, field: field,
            reason: "partner \(partner) is over its quota of \(Int(rate.perSecond)) \(field) per second (burst \(Int(rate.burst)))",
            retryAfterSeconds: PartnerQuotas.retryAfterSeconds(wait))
    }
}
