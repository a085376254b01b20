import Synchronization

/// Turns a received message into the bytes to send back: the cluster zone answers at once,
/// other names need the forwarder (an `await`), garbage gets FORMERR or nothing.
final class DNSResponder: Sendable {
    /// What to do with one received message.
    enum Decision: Sendable {
        case reply([UInt8])
        /// Not a query we answer (a response, or shorter than a header): send nothing, so the
        /// server can never be made to bounce packets at a spoofed source.
        case drop
        /// Needs the upstream resolvers.
        case forward(PendingQuery)
    }

    struct PendingQuery: Sendable {
        let query: DNSMessage
        let question: DNSQuestion
        /// An ExternalName's CNAME whose target is resolved upstream and appended.
        let partial: ClusterDNSAnswer?
    }

    /// Our advertised EDNS0 payload size; also the largest UDP answer we send.
    static let payloadSize: UInt16 = 1232

    let snapshot: Mutex<ClusterDNSRecords>
    let forwarder: DNSForwarder?

    init(records: ClusterDNSRecords, forwarder: DNSForwarder?) {
        self.snapshot = Mutex(records)
        self.forwarder = forwarder
    }

    /// Cluster names and cached upstream answers are replied at once; `overUDP` fits the
    /// reply to the client's UDP size.
    func decide(_ bytes: [UInt8], overUDP: Bool) -> Decision {
        let query: DNSMessage
        do {
            query = try DNSMessage(parsing: bytes)
        } catch {
            guard var header = DNSMessage.header(of: bytes), !header.isResponse else { return .drop }
            header = DNSMessage(
                id: header.id, isResponse: true, opcode: header.opcode, recursionDesired: header.recursionDesired,
                recursionAvailable: true, responseCode: .formatError)
            return .reply(header.serialized())
        }
        guard !query.isResponse else { return .drop }
        guard query.opcode == 0 else { return .reply(finish(query.response(code: .notImplemented), for: query, overUDP: overUDP)) }
        guard query.questions.count == 1, let question = query.questions.first else {
            return .reply(finish(query.response(code: .formatError), for: query, overUDP: overUDP))
        }
        let records = snapshot.withLock { $0 }
        guard let answer = records.answer(question) else {
            // A cached upstream answer needs no await: answer it here like a cluster name.
            if let cached = forwarder?.cache.lookup(question, checkingDisabled: query.checkingDisabled) {
                return .reply(finish(forwardedResponse(to: query, from: cached), for: query, overUDP: overUDP))
            }
            return .forward(PendingQuery(query: query, question: question, partial: nil))
        }
        if answer.externalTarget != nil, forwarder != nil {
            return .forward(PendingQuery(query: query, question: question, partial: answer))
        }
        return .reply(finish(response(to: query, from: answer), for: query, overUDP: overUDP))
    }

    /// Answers a query the zone could not (alone) answer.
    func forward(_ pending: PendingQuery, overUDP: Bool) async -> [UInt8] {
        let query = pending.query
        guard let forwarder else {
            if let partial = pending.partial { return finish(response(to: query, from: partial), for: query, overUDP: overUDP) }
            return finish(query.response(code: .serverFailure), for: query, overUDP: overUDP)
        }
        if var partial = pending.partial, let target = partial.externalTarget {
            let upstream = await forwarder.resolve(DNSQuestion(name: target, type: pending.question.type), checkingDisabled: query.checkingDisabled)
            partial.answers += upstream.answers
            if upstream.responseCode != .noError || upstream.answers.isEmpty { partial.code = upstream.responseCode }
            var response = response(to: query, from: partial)
            // The chased records are not ours to vouch for.
            response.isAuthoritative = false
            return finish(response, for: query, overUDP: overUDP)
        }
        let upstream = await forwarder.resolve(pending.question, checkingDisabled: query.checkingDisabled)
        return finish(forwardedResponse(to: query, from: upstream), for: query, overUDP: overUDP)
    }

    private func forwardedResponse(to query: DNSMessage, from upstream: DNSMessage) -> DNSMessage {
        var response = query.response(code: upstream.responseCode)
        response.authenticData = upstream.authenticData
        response.answers = upstream.answers
        response.authority = upstream.authority
        response.additional = upstream.additional.filter { $0.type != .opt }
        return response
    }

    private func response(to query: DNSMessage, from answer: ClusterDNSAnswer) -> DNSMessage {
        var response = query.response(code: answer.code)
        response.isAuthoritative = answer.code != .refused
        response.answers = answer.answers
        response.authority = answer.authority
        response.additional = answer.additional
        return response
    }

    /// Adds our OPT when the client used EDNS0 and fits the answer to the transport.
    private func finish(_ response: DNSMessage, for query: DNSMessage, overUDP: Bool) -> [UInt8] {
        var response = response
        if query.ednsRecord != nil { response.additional.append(.opt(payloadSize: Self.payloadSize)) }
        let limit = overUDP ? min(query.maxUDPResponseSize, Int(Self.payloadSize)) : 65_535
        return response.serialized(maxSize: limit)
    }
}
