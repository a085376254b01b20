/// The three pressure conditions a node reports, with the kubelet's reasons and messages.
enum NodePressureType: String, Sendable, CaseIterable {
    case memory = "MemoryPressure"
    case disk = "DiskPressure"
    case pid = "PIDPressure"

    func reason(underPressure: Bool) -> String {
        switch (self, underPressure) {
        case (.memory, false): "KubeletHasSufficientMemory"
        case (.memory, true): "KubeletHasInsufficientMemory"
        case (.disk, false): "KubeletHasNoDiskPressure"
        case (.disk, true): "KubeletHasDiskPressure"
        case (.pid, false): "KubeletHasSufficientPID"
        case (.pid, true): "KubeletHasInsufficientPID"
        }
    }

    func message(underPressure: Bool) -> String {
        switch (self, underPressure) {
        case (.memory, false): "kubelet has sufficient memory available"
        case (.memory, true): "kubelet has insufficient memory available"
        case (.disk, false): "kubelet has no disk pressure"
        case (.disk, true): "kubelet has disk pressure"
        case (.pid, false): "kubelet has sufficient PID available"
        case (.pid, true): "kubelet has insufficient PID available"
        }
    }
}
