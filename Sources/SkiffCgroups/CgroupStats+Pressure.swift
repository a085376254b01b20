import SkiffSystem

extension CgroupFiles {
    /// cpu.pressure, memory.pressure and io.pressure in `directory` (a cgroup v2 directory, or
    /// /proc/pressure whose files are named cpu, memory, io); nil when none of them exists.
    public static func pressure(in directory: String, suffix: String = ".pressure") -> CgroupStats.Pressure? {
        func read(_ resource: String) -> CgroupStats.PSI? {
            (try? FileSystem.readString(directory + "/" + resource + suffix)).flatMap(psi)
        }
        let pressure = CgroupStats.Pressure(cpu: read("cpu"), memory: read("memory"), io: read("io"))
        return pressure.cpu == nil && pressure.memory == nil && pressure.io == nil ? nil : pressure
    }
}

extension CgroupV2 {
    /// Pressure stall information, or nil on kernels without CONFIG_PSI (or booted psi=0).
    public func pressure() -> CgroupStats.Pressure? {
        CgroupFiles.pressure(in: directory)
    }
}

extension CgroupV1 {
    /// Kernels booted with psi_v1 expose the pressure files in the cpuacct hierarchy; without
    /// that (the usual case) there is none and this is nil.
    public func pressure() -> CgroupStats.Pressure? {
        for controller in ["cpuacct", "cpu"] {
            if let directory = directory(controller), let pressure = CgroupFiles.pressure(in: directory) { return pressure }
        }
        return nil
    }
}
