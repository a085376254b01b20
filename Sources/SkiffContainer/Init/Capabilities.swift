import CCap
import Glibc
import SkiffOCI
import SkiffSystem

/// Applies the five capability sets with libcap.
enum Capabilities {
    static func numbers(_ names: [String]?) -> [cap_value_t] {
        (names ?? []).compactMap { LinuxNames.capability($0) }.map { cap_value_t($0) }
    }

    /// Drops everything outside the bounding set. Needs CAP_SETPCAP, so it runs before setuid.
    static func limitBoundingSet(_ caps: RuntimeSpec.Capabilities) throws {
        let keep = Set(numbers(caps.bounding))
        let last = cap_value_t(cap_max_bits())
        for cap in 0..<last where !keep.contains(cap) && cap_get_bound(cap) > 0 {
            try sys("cap_drop_bound", LinuxNames.capabilities.indices.contains(Int(cap)) ? LinuxNames.capabilities[Int(cap)] : "\(cap)") {
                cap_drop_bound(cap)
            }
        }
    }

    /// Sets effective, permitted and inheritable, then the ambient set (which needs the
    /// capability in both permitted and inheritable).
    static func applyProcessSets(_ caps: RuntimeSpec.Capabilities) throws {
        let state = try sys("cap_init", "") { cap_init() }
        defer { cap_free(UnsafeMutableRawPointer(state)) }
        let sets: [(cap_flag_t, [String]?)] = [
            (CAP_EFFECTIVE, caps.effective), (CAP_PERMITTED, caps.permitted), (CAP_INHERITABLE, caps.inheritable),
        ]
        for (flag, names) in sets {
            var values = numbers(names)
            if values.isEmpty { continue }
            try sys("cap_set_flag", "\(flag)") { cap_set_flag(state, flag, Int32(values.count), &values, CAP_SET) }
        }
        try sys("cap_set_proc", "effective/permitted/inheritable") { cap_set_proc(state) }
        _ = cap_reset_ambient()
        for cap in numbers(caps.ambient) {
            // runc treats an ambient capability outside permitted/inheritable as a warning, not an error.
            _ = cap_set_ambient(cap, CAP_SET)
        }
    }
}
