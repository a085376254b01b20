import Glibc
import SkiffSystem

/// Reads a log file forward and hands each complete record (a line) to a pipeline, keeping a
/// trailing record that is still being written until its newline arrives.
struct RecordReader {
    private var carry: [UInt8] = []
    private var chunk = [UInt8](repeating: 0, count: 65536)

    /// Reads from `fd`'s current offset to EOF (or until the pipeline wants no more); returns
    /// the number of bytes read.
    @discardableResult
    mutating func readToEnd(fd: Int32, name: String, into pipeline: inout LogPipeline) throws(SystemError) -> Int {
        var total = 0
        while !pipeline.isSatisfied {
            let count = try sys("read", name.quoted) { chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) } }
            if count == 0 { break }
            total += count
            feed(chunk[0..<count], into: &pipeline)
        }
        return total
    }

    /// The file ended for good (a rotated file, or the container finished): a last record
    /// without a newline still counts.
    mutating func finishFile(into pipeline: inout LogPipeline) {
        if !carry.isEmpty { pipeline.consume(record: carry) }
        carry = []
    }

    private mutating func feed(_ bytes: ArraySlice<UInt8>, into pipeline: inout LogPipeline) {
        var start = bytes.startIndex
        while let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
            if carry.isEmpty {
                pipeline.consume(record: bytes[start..<newline])
            } else {
                carry += bytes[start..<newline]
                pipeline.consume(record: carry)
                carry = []
            }
            start = newline + 1
        }
        carry += bytes[start...]
    }
}

/// Opens a log file for reading; nil if it vanished (rotated away and pruned) meanwhile.
func openLogFile(_ path: String) throws(SystemError) -> Int32? {
    try sys("open", path.quoted, allowing: [ENOENT]) { open(path, O_RDONLY | O_CLOEXEC) }.value
}
