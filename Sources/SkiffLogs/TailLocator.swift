import Glibc
import SkiffSystem

/// Where reading must start so the last N lines are all read, found by scanning the files
/// backwards: `tail -n 10` of a 50 MB log reads a few blocks, not 50 MB.
enum TailLocator {
    struct Position: Equatable {
        var file: Int
        var offset: Int64
    }

    /// Counts final (`F`) records of the wanted streams from the end; the record that ends line
    /// N + 1 marks the start. One caveat: a long line of one stream whose partial records began
    /// before that point, interleaved with the other stream, may come out cut at its start.
    static func start(of files: [String], lines: Int, streams: LogStreamFilter) throws(SystemError) -> Position {
        var seen = 0
        for index in files.indices.reversed() {
            guard let fd = try openLogFile(files[index]) else { continue }
            defer { closeFD(fd) }
            var st = stat()
            try sys("fstat", files[index].quoted) { fstat(fd, &st) }
            var found: Int64?
            try scanBackwards(fd: fd, size: Int64(st.st_size), name: files[index]) { record, offset in
                guard isFinalRecord(record, of: streams) else { return true }
                seen += 1
                if seen > lines {
                    found = offset + Int64(record.count) + 1
                    return false
                }
                return true
            }
            if let found { return Position(file: index, offset: found) }
        }
        return Position(file: 0, offset: 0)
    }

    /// Calls `body` with each complete record from last to first and its offset; `body` returns
    /// false to stop. Bytes after the last newline (a record still being written) are skipped.
    private static func scanBackwards(
        fd: Int32, size: Int64, name: String, _ body: (ArraySlice<UInt8>, Int64) -> Bool
    ) throws(SystemError) {
        let blockSize: Int64 = 65536
        var position = size
        var pending: [UInt8] = []  // the start of the data already seen, up to its first newline
        var trimmedEnd = false
        while position > 0 {
            let blockStart = max(0, position - blockSize)
            var block = [UInt8](repeating: 0, count: Int(position - blockStart))
            var got = 0
            while got < block.count {
                let n = try sys("pread", name.quoted) {
                    block.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + got, $0.count - got, off_t(blockStart) + off_t(got)) }
                }
                if n == 0 { break }
                got += n
            }
            block.removeLast(block.count - got)
            var data = block + pending
            if !trimmedEnd {
                guard let last = data.lastIndex(of: UInt8(ascii: "\n")) else {
                    position = blockStart
                    continue
                }
                trimmedEnd = true
                data.removeLast(data.count - last - 1)
            }
            // data ends with a newline; walk its records from the end.
            var end = data.count - 1
            while true {
                let newline = end > 0 ? data[..<end].lastIndex(of: UInt8(ascii: "\n")) : nil
                guard let newline else { break }
                if !body(data[(newline + 1)..<end], blockStart + Int64(newline + 1)) { return }
                end = newline
            }
            // data[0..<end] is a record whose start lies in an earlier block, unless this is the start.
            if blockStart == 0 {
                _ = body(data[0..<end], 0)
                return
            }
            pending = Array(data[0...end])
            position = blockStart
        }
    }

    /// True for an `F` record of a wanted stream, read from its header alone.
    static func isFinalRecord(_ record: ArraySlice<UInt8>, of streams: LogStreamFilter) -> Bool {
        let fields = record.split(separator: UInt8(ascii: " "), maxSplits: 3, omittingEmptySubsequences: false)
        guard fields.count >= 3, let tag = fields[2].first, tag == UInt8(ascii: "F"),
            fields[2].count == 1 || fields[2].dropFirst().first == UInt8(ascii: ":"),
            let stream = CRILogLine.Stream(rawValue: String(decoding: fields[1], as: UTF8.self))
        else { return false }
        return streams.includes(stream)
    }
}
