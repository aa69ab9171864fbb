import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Guards one HTTP/1 connection against clients that hold it without using it (see
/// `GatewayConfiguration` for each limit and docs/gateway-api.md, "Limits"):
/// - connections over the global or per-address bound are answered 503 and closed;
/// - a request head must be complete within `headTimeout` of the connection opening or of
///   the end of the previous answer: begun and not complete (slow headers) is 408, not
///   begun (idle keep-alive, half-open sockets) is closed without an answer;
/// - while the gateway waits for body bytes, none for `bodyReadTimeout` closes it, and so
///   does a body slower than `minBodyBytesPerSecond` over the time the gateway waited for it
///   (time the gateway itself does not ask for bytes, e.g. a paced batch, is not counted);
/// - an answer the client does not take (socket not writable) for `writeStallTimeout`
///   while it sends nothing either closes it (a client still sending its body is not stalled).
/// A timeout before any answer started is answered 408 first. Sits after the HTTP codec.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    struct Limits: Sendable {
        var headTimeout: TimeAmount
        var bodyReadTimeout: TimeAmount
        var minBodyBytesPerSecond: Int
        var writeStallTimeout: TimeAmount
        var retryAfterSeconds: Int
    }

    /// What happened to the connections the guard closed (metrics and tests).
    enum Verdict: String, Sendable, CaseIterable {
        case tooManyConnections = "too_many_connections"
        case idleTimeout = "idle_timeout"
        case headTimeout = "head_timeout"
        case bodyTimeout = "body_timeout"
        case bodyTooSlow = "body_too_slow"
        case writeStall = "write_stall"
    }

    private let limits: Limits
    private let registry: ConnectionRegistry
    private let onVerdict: @Sendable (Verdict) -> Void
    private var activated = false
    private var closing = false
    private var timer: RepeatedTask?
    /// While a request head is awaited: when it must be complete.
    private var headDeadline: NIODeadline?
    private var requestInProgress = false
    private var headsRead = 0
    private var answersEnded = 0
    private var answerStarted = false
    private var readPendingSince: NIODeadline?
    private var bodyWaitNanoseconds: Int64 = 0
    private var bodyBytes = 0
    private var unwritableSince: NIODeadline?
    private var lastRead = NIODeadline.now()
    /// Bytes came in since the connection opened or the last answer ended (a head begun).
    private var bytesSinceAnswer = false
    /// The answer being written says `Connection: close`: close once it is out.
    private var closeAfterAnswer = false
    /// After such an answer: when the connection is closed for good.
    private var lingerDeadline: NIODeadline?
    static let linger = TimeAmount.seconds(2)

    init(limits: Limits, registry: ConnectionRegistry, onVerdict: @escaping @Sendable (Verdict) -> Void) {
        self.limits = limits
        self.registry = registry
        self.onVerdict = onVerdict
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { activate(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        activate(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    private func activate(_ context: ChannelHandlerContext) {
        guard !activated else { return }
        activated = true
        let client = context.channel.remoteAddress?.ipAddress ?? "unknown"
        guard registry.open(client) else {
            onVerdict(.tooManyConnections)
            refuse(
                context, status: .serviceUnavailable, field: "connection",
                reason: "too many open connections (at most \(registry.maxPerClient) per client address, \(registry.maxConnections) in all)",
                retryAfter: true)
            return
        }
        let registry = self.registry
        context.channel.closeFuture.whenComplete { _ in registry.close(client) }
        headDeadline = .now() + limits.headTimeout
        let smallest = min(limits.headTimeout, limits.bodyReadTimeout, limits.writeStallTimeout)
        let interval = TimeAmount.nanoseconds(max(20_000_000, min(1_000_000_000, smallest.nanoseconds / 4)))
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            bound.value.handler.check(bound.value.context)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastRead = .now()
        switch unwrapInboundIn(data) {
        case .head:
            headDeadline = nil
            headsRead += 1
            requestInProgress = true
            answerStarted = false
            bodyWaitNanoseconds = 0
            bodyBytes = 0
            readPendingSince = nil
        case .body(let chunk):
            bodyBytes += chunk.readableBytes
            settleWait()
        case .end:
            requestInProgress = false
            readPendingSince = nil
        }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // Comes for every read from the socket, also for head bytes the HTTP decoder holds.
        bytesSinceAnswer = true
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        // Reaches here only when the application wants bytes (NIOAsyncChannel holds it back otherwise).
        if requestInProgress, readPendingSince == nil { readPendingSince = .now() }
        context.read()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            answerStarted = true
            closeAfterAnswer = head.headerFields[.connection]?.lowercased() == "close"
        case .body: break
        case .end:
            answerStarted = false
            answersEnded += 1
            bytesSinceAnswer = false
            // A pipelined head may have come in already: then no deadline for the next one.
            if answersEnded >= headsRead { headDeadline = .now() + limits.headTimeout }
            if closeAfterAnswer {
                // A refusal whose body was not read: end the output (the client reads the
                // answer, then EOF) and close fully after a short linger rather than drain
                // a body of any size. Closing at once would reset a client still sending
                // before it could read the answer.
                closing = true
                lingerDeadline = .now() + Self.linger
                context.writeAndFlush(data, promise: promise)
                context.close(mode: .output, promise: nil)
                return
            }
        }
        context.write(data, promise: promise)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        unwritableSince = context.channel.isWritable ? nil : .now()
        context.fireChannelWritabilityChanged()
    }

    private func settleWait() {
        guard let since = readPendingSince else { return }
        bodyWaitNanoseconds += (NIODeadline.now() - since).nanoseconds
        readPendingSince = nil
    }

    private func check(_ context: ChannelHandlerContext) {
        if let lingerDeadline, NIODeadline.now() >= lingerDeadline {
            self.lingerDeadline = nil
            context.close(promise: nil)
        }
        guard !closing else { return }
        let now = NIODeadline.now()
        if let headDeadline, now >= headDeadline, !bytesSinceAnswer {
            // Idle (keep-alive, or nothing ever sent): close without an answer, which a
            // client could take for the answer to a request it is just sending.
            onVerdict(.idleTimeout)
            closing = true
            context.close(promise: nil)
        } else if let headDeadline, now >= headDeadline {
            timeout(context, .headTimeout, "no complete request head within \(limits.headTimeout.nanoseconds / 1_000_000) ms")
        } else if let since = unwritableSince, now - max(since, lastRead) >= limits.writeStallTimeout {
            timeout(context, .writeStall, "answer not read for \(limits.writeStallTimeout.nanoseconds / 1_000_000) ms")
        } else if requestInProgress, let since = readPendingSince, now - since >= limits.bodyReadTimeout {
            timeout(context, .bodyTimeout, "no body bytes for \(limits.bodyReadTimeout.nanoseconds / 1_000_000) ms")
        } else if requestInProgress, limits.minBodyBytesPerSecond > 0 {
            let waited = bodyWaitNanoseconds + (readPendingSince.map { (now - $0).nanoseconds } ?? 0)
            if waited >= limits.bodyReadTimeout.nanoseconds,
                Double(bodyBytes) * 1e9 / Double(waited) < Double(limits.minBodyBytesPerSecond)
            {
                timeout(context, .bodyTooSlow, "body slower than \(limits.minBodyBytesPerSecond) bytes/s")
            }
        }
    }

    private func timeout(_ context: ChannelHandlerContext, _ verdict: Verdict, _ reason: String) {
        onVerdict(verdict)
        if answerStarted || verdict == .writeStall {
            closing = true
            context.close(promise: nil)
        } else {
            refuse(context, status: .requestTimeout, field: "connection", reason: reason + "; connection closed", retryAfter: false)
        }
    }

    /// Answers `status` with the usual error body and closes the connection.
    private func refuse(_ context: ChannelHandlerContext, status: HTTPResponse.Status, field: String, reason: String, retryAfter: Bool) {
        closing = true
        timer?.cancel()
        timer = nil
        let body = ByteBuffer(string: EdgeError(status: status, field: field, reason: reason).json)
        var fields: HTTPFields = [.contentType: "application/json", .connection: "close", .contentLength: String(body.readableBytes)]
        if retryAfter { fields[.retryAfter] = String(limits.retryAfterSeconds) }
        context.write(wrapOutboundOut(.head(HTTPResponse(status: status, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.close(promise: nil)
    }
}
