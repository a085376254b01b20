import Glibc

/// A mount's `options` split the way mount(2) wants them: flags, propagation changes applied
/// afterwards, and the rest as the filesystem's data string.
public struct MountOptions: Equatable, Sendable {
    public var flags: UInt = 0
    public var propagation: [UInt] = []
    public var data: [String] = []

    public var isBind: Bool { flags & UInt(MS_BIND) != 0 }
    public var isRecursive: Bool { flags & UInt(MS_REC) != 0 }
    public var isReadOnly: Bool { flags & UInt(MS_RDONLY) != 0 }

    public init(_ options: [String]) {
        for option in options {
            if let (set, value) = Self.flagTable[option] {
                if set { flags |= value } else { flags &= ~value }
            } else if let value = Self.propagation[option] {
                propagation.append(value)
            } else {
                data.append(option)
            }
        }
    }

    public static let propagation: [String: UInt] = [
        "private": UInt(MS_PRIVATE), "rprivate": UInt(MS_PRIVATE | MS_REC),
        "shared": UInt(MS_SHARED), "rshared": UInt(MS_SHARED | MS_REC),
        "slave": UInt(MS_SLAVE), "rslave": UInt(MS_SLAVE | MS_REC),
        "unbindable": UInt(MS_UNBINDABLE), "runbindable": UInt(MS_UNBINDABLE | MS_REC),
    ]

    /// option → (sets the flag?, flag).
    static let flagTable: [String: (Bool, UInt)] = [
        "async": (false, UInt(MS_SYNCHRONOUS)), "atime": (false, UInt(MS_NOATIME)), "bind": (true, UInt(MS_BIND)),
        "defaults": (true, 0), "dev": (false, UInt(MS_NODEV)), "diratime": (false, UInt(MS_NODIRATIME)),
        "dirsync": (true, UInt(MS_DIRSYNC)), "exec": (false, UInt(MS_NOEXEC)), "mand": (true, UInt(MS_MANDLOCK)),
        "noatime": (true, UInt(MS_NOATIME)), "nodev": (true, UInt(MS_NODEV)), "nodiratime": (true, UInt(MS_NODIRATIME)),
        "noexec": (true, UInt(MS_NOEXEC)), "nomand": (false, UInt(MS_MANDLOCK)), "norelatime": (false, UInt(MS_RELATIME)),
        "nostrictatime": (false, UInt(MS_STRICTATIME)), "nosuid": (true, UInt(MS_NOSUID)),
        "rbind": (true, UInt(MS_BIND | MS_REC)), "relatime": (true, UInt(MS_RELATIME)), "remount": (true, UInt(MS_REMOUNT)),
        "ro": (true, UInt(MS_RDONLY)), "rw": (false, UInt(MS_RDONLY)), "strictatime": (true, UInt(MS_STRICTATIME)),
        "suid": (false, UInt(MS_NOSUID)), "sync": (true, UInt(MS_SYNCHRONOUS)),
    ]
}
