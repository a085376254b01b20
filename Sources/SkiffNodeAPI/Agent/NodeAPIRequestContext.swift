import Hummingbird
import NIOCore

/// Request context of the node API: Hummingbird's core storage plus the connection's channel, so
/// a followed log ends as soon as the API server hangs up.
struct NodeAPIRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
