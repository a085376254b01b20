import SkiffStats

/// A fake /proc with the files NodeReader reads, inside a FakeTree.
struct FakeProc {
    let tree: FakeTree
    var root: String { tree.root + "/proc" }
    var reader: NodeReader { NodeReader(procRoot: root, rootFilesystem: "/") }

    init(_ tree: FakeTree) throws {
        self.tree = tree
        try writeStat(busyTicks: 1000)
        try tree.write(
            "proc/meminfo",
            """
            MemTotal:        8000000 kB
            MemFree:         2000000 kB
            MemAvailable:    5000000 kB
            Inactive(file):  1000000 kB
            AnonPages:       3000000 kB
            SwapTotal:             0 kB
            SwapFree:              0 kB

            """)
        try tree.write("proc/vmstat", "pgfault 4242\npgmajfault 17\n")
        try tree.write("proc/loadavg", "0.52 0.58 0.59 2/731 12345\n")
        try tree.write("proc/sys/kernel/pid_max", "4194304\n")
        try tree.write(
            "proc/net/dev",
            """
            Inter-|   Receive                                                |  Transmit
             face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
                lo: 500 5 0 0 0 0 0 0 500 5 0 0 0 0 0 0
              eth0: 1000 10 1 0 0 0 0 0 2000 20 2 0 0 0 0 0
              ens4: 3000 30 0 0 0 0 0 0 4000 40 0 0 0 0 0 0

            """)
        try tree.write("proc/net/route", "Iface\tDestination\tGateway\tFlags\nens4\t00000000\t010200C0\t0003\n")
    }

    /// /proc/stat whose busy columns (user nice system irq softirq steal) sum to `busyTicks`;
    /// idle, iowait and guest must not count.
    func writeStat(busyTicks: UInt64) throws {
        let user = busyTicks - 60
        try tree.write("proc/stat", "cpu  \(user) 10 20 99999 888 10 10 10 777 0\ncpu0 1 2 3 4 5 6 7 8 9 0\nbtime 1790000000\n")
    }

    func writePressure() throws {
        try tree.write("proc/pressure/cpu", "some avg10=3.00 avg60=2.00 avg300=1.00 total=500\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n")
        try tree.write("proc/pressure/memory", "some avg10=0.10 avg60=0.20 avg300=0.30 total=600\nfull avg10=0.01 avg60=0.02 avg300=0.03 total=60\n")
        try tree.write("proc/pressure/io", "some avg10=4.00 avg60=3.00 avg300=2.00 total=700\nfull avg10=1.00 avg60=1.00 avg300=1.00 total=70\n")
    }
}
