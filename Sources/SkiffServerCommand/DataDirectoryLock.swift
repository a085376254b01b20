import ArgumentParser
import Glibc
import SkiffSystem

/// An exclusive lock on DATA-DIR/server.lock, held by a running server for its whole life and
/// taken by `snapshot restore`: a second server on one data dir, or a restore under a running
/// server, is refused instead of corrupting the store. The kernel drops it when the process dies.
final class DataDirectoryLock {
    private var descriptor: Int32

    init(directory: String) throws {
        let path = directory + "/server.lock"
        descriptor = try sys("open", path.debugDescription) { open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600) }
        let taken = try sys("flock", path.debugDescription, allowing: [EWOULDBLOCK]) { flock(descriptor, LOCK_EX | LOCK_NB) }
        guard taken.value != nil else {
            // deinit runs for an init that throws once every property is set: release() closes it.
            release()
            throw ValidationError("a skiff server is running on --data-dir \(directory) (\(path) is locked); stop it first")
        }
    }

    func release() {
        guard descriptor >= 0 else { return }
        closeFD(descriptor)
        descriptor = -1
    }

    deinit { release() }
}
