/// Byte counts written as Kubernetes quantities ("100Mi", "51200Ki", "1023"), the form the
/// kubelet's eviction messages use.
enum ByteQuantity {
    /// The largest binary suffix that divides `bytes` exactly, as resource.Quantity prints a
    /// BinarySI value.
    static func string(_ bytes: Int64) -> String {
        guard bytes != 0 else { return "0" }
        var value = bytes
        var suffix = ""
        for next in ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei"] {
            guard value % 1024 == 0 else { break }
            value /= 1024
            suffix = next
        }
        return "\(value)\(suffix)"
    }
}
