import Glibc
import ServiceLifecycle
import SkiffSystem
import Synchronization

/// Tells the agent the moment a container's monitor writes exit.json, through inotify on each
/// container's state directory: the kubelet's PLEG without its one-second relist.
///
/// A Service: `run` reads inotify on a thread of its own (a blocking read has no place on the
/// cooperative pool) and hands each exit to `onExit`, until graceful shutdown.
final class ExitWatcher: ContainerExitEvents, Service {
    private let fd: Int32
    private let watches = Mutex<[Int32: String]>([:])
    private let onExit: @Sendable (String) async -> Void
    private let exits: AsyncStream<String>
    private let exitsContinuation: AsyncStream<String>.Continuation
    /// Set when `run` ends, so the reading thread stops at its next poll.
    private let stopping = Atomic<Bool>(false)

    init(onExit: @escaping @Sendable (String) async -> Void) throws {
        fd = try sys("inotify_init1", "IN_CLOEXEC|IN_NONBLOCK") { inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK)) }
        self.onExit = onExit
        (exits, exitsContinuation) = AsyncStream.makeStream()
    }

    deinit { closeFD(fd) }

    /// Watches `directory` (a container's state dir) for exit.json; reports at once if the file
    /// is already there (the container ended while nobody watched).
    func watch(containerID: String, directory: String) throws {
        let wd = try sys("inotify_add_watch", directory.quoted) {
            inotify_add_watch(fd, directory, UInt32(IN_MOVED_TO | IN_CLOSE_WRITE))
        }
        watches.withLock { $0[wd] = containerID }
        if FileSystem.exists(directory + "/exit.json") { exitsContinuation.yield(containerID) }
    }

    func unwatch(containerID: String) {
        let descriptors = watches.withLock { map in map.filter { $0.value == containerID }.map(\.key) }
        for wd in descriptors {
            inotify_rm_watch(fd, wd)
            _ = watches.withLock { $0.removeValue(forKey: wd) }
        }
    }

    func run() async {
        ReaderThread(watcher: self).start()
        defer {
            stopping.store(true, ordering: .relaxed)
            exitsContinuation.finish()
        }
        // Each exit is handled in a child task: one container's cleanup never holds up another's.
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for await id in self.exits {
                    group.addTask { await self.onExit(id) }
                }
            }
        }
    }

    /// Polls with a timeout so the thread notices `stopping` within a quarter second.
    fileprivate func readLoop() {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while !stopping.load(ordering: .relaxed) {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard (try? sys("poll", "inotify") { poll(&poller, 1, 250) }) != nil else { return }
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { continue }
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
                if let id = watches.withLock({ $0[wd] }) { exitsContinuation.yield(id) }
            }
        }
    }
}

/// A plain pthread for the inotify reads, outside both the cooperative pool and Dispatch.
private final class ReaderThread: Sendable {
    let watcher: ExitWatcher
    init(watcher: ExitWatcher) { self.watcher = watcher }

    func start() {
        let box = Unmanaged.passRetained(self)
        var thread = pthread_t()
        pthread_create(
            &thread, nil,
            { argument in
                let reader = Unmanaged<ReaderThread>.fromOpaque(argument!).takeRetainedValue()
                reader.watcher.readLoop()
                return nil
            }, box.toOpaque())
        pthread_detach(thread)
    }
}
