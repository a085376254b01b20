import Synchronization

/// The scheme ("https" or "http") each registry answered on, shared by a puller's pulls, so an
/// insecure registry's HTTPS probe is paid once per process rather than once per pull.
final class SchemeCache: Sendable {
    private let schemes = Mutex<[String: String]>([:])

    subscript(domain: String) -> String? {
        get { schemes.withLock { $0[domain] } }
        set { schemes.withLock { $0[domain] = newValue } }
    }
}
