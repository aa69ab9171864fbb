import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A bare TCP client for the attacks an HTTP client will not make: half-open connections,
/// headers a byte at a time, bodies that never come, chosen source addresses (anything in
/// 127/8 is loopback on Linux, so "other clients" are 127.0.0.2, .3, ...). Blocking: use it
/// from `offPool`, never on the cooperative pool the gateway's handlers need.
public final class RawClient {
    public let fd: Int32
    public private(set) var closed = false

    /// nil when the connection could not be made.
    public init?(port: Int, source: String = "127.0.0.1", receiveTimeoutMilliseconds: Int = 5_000) {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, source, &local.sin_addr)
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr)
        var timeout = timeval(tv_sec: receiveTimeoutMilliseconds / 1000, tv_usec: (receiveTimeoutMilliseconds % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, connected == 0 else {
            Glibc.close(fd)
            return nil
        }
    }

    deinit { if !closed { Glibc.close(fd) } }

    /// False once the peer closed (or the send timed out).
    @discardableResult
    public func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { return false }
            offset += sent
        }
        return true
    }

    @discardableResult
    public func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Reads until the peer closes or the receive timeout passes; `closed` says which.
    public func receive(limit: Int = 1 << 20) -> (bytes: [UInt8], closed: Bool) {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while out.count < limit {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 { return (out, true) }
            if count < 0 { return (out, errno == ECONNRESET) }
            out += buffer[0..<count]
        }
        return (out, false)
    }

    /// Reads one HTTP answer's head (and whatever came with it); its status, 0 if none.
    public func status() -> (status: Int, text: String, closed: Bool) {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        var closedByPeer = false
        while !out.contains(13) || String(decoding: out, as: UTF8.self).range(of: "\r\n\r\n") == nil {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 {
                closedByPeer = count == 0 || errno == ECONNRESET
                break
            }
            out += buffer[0..<count]
        }
        let text = String(decoding: out, as: UTF8.self)
        let status = text.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return (status, text, closedByPeer)
    }

    public func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(fd)
    }
}

/// A request head, signed or not, as raw text.
public func rawHead(_ method: String, _ path: String, headers: [(String, String)]) -> String {
    "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers.map { "\($0.0): \($0.1)\r\n" }.joined() + "\r\n"
}
