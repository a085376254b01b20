import Glibc
import SkiffSystem

/// An flock(2) lock on a file. Each call opens its own descriptor, and flock locks belong to the
/// open file description, so the lock excludes other threads of this process exactly as it
/// excludes other processes (`skiff image import` running beside the agent).
///
/// It blocks the calling thread while it waits; async callers should call the store off the
/// cooperative pool. The store never holds it across a suspension point.
struct FileLock {
    let path: String

    func withLock<T>(exclusive: Bool, _ body: () throws(ImageError) -> T) throws(ImageError) -> T {
        let fd = try ImageError.wrap { () throws(SystemError) in
            try sys("open", path.quoted) { open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600) }
        }
        defer { closeFD(fd) }
        try ImageError.wrap { () throws(SystemError) in
            try sys("flock", path.quoted) { flock(fd, exclusive ? LOCK_EX : LOCK_SH) }
        }
        return try body()
    }
}
