import Glibc
import Synchronization
import SkiffSystem

/// Tells the agent the moment a container's monitor writes exit.json, through inotify on each
/// container's state directory: the kubelet's PLEG without its one-second relist.
final class ExitWatcher: Sendable {
    private let fd: Int32
    private let watches = Mutex<[Int32: String]>([:])
    private let handler: @Sendable (String) -> Void

    /// `handler` gets the container id; it runs on the watcher's own thread, so it should only
    /// hand the event over (e.g. start a Task).
    init(handler: @escaping @Sendable (String) -> Void) throws {
        fd = try sys("inotify_init1", "IN_CLOEXEC") { inotify_init1(Int32(IN_CLOEXEC)) }
        self.handler = handler
        let thread = ReaderThread(watcher: self)
        thread.start()
    }

    /// Watches `directory` (a container's state dir) for exit.json; reports at once if the file
    /// is already there (the container ended while nobody watched).
    func watch(containerID: String, directory: String) throws {
        let wd = try sys("inotify_add_watch", directory.quoted) {
            inotify_add_watch(fd, directory, UInt32(IN_MOVED_TO | IN_CLOSE_WRITE))
        }
        watches.withLock { $0[wd] = containerID }
        if FileSystem.exists(directory + "/exit.json") { handler(containerID) }
    }

    func unwatch(containerID: String) {
        let descriptors = watches.withLock { map in map.filter { $0.value == containerID }.map(\.key) }
        for wd in descriptors {
            inotify_rm_watch(fd, wd)
            _ = watches.withLock { $0.removeValue(forKey: wd) }
        }
    }

    fileprivate func readLoop() {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return
            }
            var offset = 0
            while offset + MemoryLayout<inotify_event>.size <= count {
                let (wd, mask, length) = buffer.withUnsafeBytes { raw -> (Int32, UInt32, Int) in
                    let event = raw.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                    return (event.wd, event.mask, Int(event.len))
                }
                let nameStart = offset + MemoryLayout<inotify_event>.size
                let name = String(decoding: buffer[nameStart..<(nameStart + length)].prefix { $0 != 0 }, as: UTF8.self)
                offset = nameStart + length
                guard mask & UInt32(IN_IGNORED) == 0, name == "exit.json" else { continue }
                if let id = watches.withLock({ $0[wd] }) { handler(id) }
            }
        }
    }
}

/// A plain pthread for the blocking inotify read, outside both the cooperative pool and Dispatch.
private final class ReaderThread: Sendable {
    let watcher: ExitWatcher
    init(watcher: ExitWatcher) { self.watcher = watcher }

    func start() {
        let box = Unmanaged.passRetained(self)
        var thread = pthread_t()
        pthread_create(&thread, nil, { argument in
            let reader = Unmanaged<ReaderThread>.fromOpaque(argument!).takeRetainedValue()
            reader.watcher.readLoop()
            return nil
        }, box.toOpaque())
        pthread_detach(thread)
    }
}
