import Foundation

/// The system's time zone database (tzdata under /usr/share/zoneinfo), which a CronJob's
/// `spec.timeZone` names. The only file reading of the schedule code, kept apart from the
/// Foundation-free parsing.
extension ZoneRules {
    public static let databaseDirectory = "/usr/share/zoneinfo"

    /// The rules of an IANA zone name (`Europe/Berlin`, `UTC`); errors read as Go's
    /// `time.LoadLocation`, which Kubernetes' validation reports.
    public static func load(named name: String, directory: String = databaseDirectory) throws(ZoneRulesError) -> ZoneRules {
        if name == "UTC" { return .utc }
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        guard !name.isEmpty, !name.hasPrefix("/"), !name.contains("\\"), !parts.contains(".."), !parts.contains("") else {
            throw ZoneRulesError("time: invalid location name")
        }
        guard let data = FileManager.default.contents(atPath: "\(directory)/\(name)") else {
            throw ZoneRulesError("unknown time zone \(name)")
        }
        do {
            return try ZoneRules(tzif: Array(data))
        } catch {
            throw ZoneRulesError("unknown time zone \(name)")
        }
    }
}
