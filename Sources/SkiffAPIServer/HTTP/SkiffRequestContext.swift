import Hummingbird
import NIOCore

/// The request context: Hummingbird's core storage plus the connection's channel, so a streamed
/// response (a watch) can end as soon as the client disconnects.
struct SkiffRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
