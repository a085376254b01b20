import Foundation

extension Process {
    /// `run()`, then closes this process's copies of the file handles given as the child's stdio.
    ///
    /// The child holds its own descriptors; ours would stay open as long as Foundation keeps the
    /// Process object, which on Linux outlives the child. A full test run leaked ~800 of them,
    /// and past FD_SETSIZE Foundation's select()-based process monitor writes outside its fd_set:
    /// the test process then stalled with no child left and nothing scheduled.
    public func runReleasingStdio() throws {
        try run()
        // Not the shared /dev/null handle, nor our own stdio (Process's defaults).
        for case let handle as FileHandle in [standardInput, standardOutput, standardError]
        where handle !== FileHandle.nullDevice && handle.fileDescriptor > 2 {
            try? handle.close()
        }
    }
}
